package dev.easel.engine.gpu;

import dev.easel.engine.ColourTransfer;
import dev.easel.engine.RenderSpec;
import dev.easel.engine.png.PngEncoder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import javax.imageio.ImageIO;

/** A GPU server's PNG with the request's references and moodboards applied as a colour transfer (see {@link ColourTransfer}). */
final class References {
    private References() {}

    static byte[] apply(byte[] png, RenderSpec spec) {
        if (spec.imageStyleReferences().isEmpty() && spec.moodboards().isEmpty()) return png;
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(png));
        } catch (IOException e) {
            throw new UncheckedIOException("the server's PNG cannot be decoded", e);
        }
        int w = img.getWidth(), h = img.getHeight();
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        return png(new RenderSpec.Pixels(w, h, ColourTransfer.apply(new RenderSpec.Pixels(w, h, argb), spec)));
    }

    /**
     * The reference a server that applies references itself gets: the first image style reference,
     * else the first moodboard's first image, as a PNG with its strength; null when the job has none.
     */
    static GpuDriver.Reference first(RenderSpec spec) {
        if (!spec.imageStyleReferences().isEmpty()) {
            RenderSpec.ImageReference r = spec.imageStyleReferences().get(0);
            return new GpuDriver.Reference(png(r.image()), r.strength());
        }
        for (RenderSpec.MoodboardImages m : spec.moodboards()) {
            if (!m.images().isEmpty()) return new GpuDriver.Reference(png(m.images().get(0)), m.strength());
        }
        return null;
    }

    /** Pixels as a PNG. */
    static byte[] png(RenderSpec.Pixels p) {
        byte[] rgb = new byte[p.width() * p.height() * 3];
        for (int i = 0; i < p.argb().length; i++) {
            rgb[i * 3] = (byte) (p.argb()[i] >> 16);
            rgb[i * 3 + 1] = (byte) (p.argb()[i] >> 8);
            rgb[i * 3 + 2] = (byte) p.argb()[i];
        }
        return PngEncoder.encode(p.width(), p.height(), rgb, Map.of());
    }
}
