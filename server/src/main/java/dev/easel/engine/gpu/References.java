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
        int[] moved = ColourTransfer.apply(new RenderSpec.Pixels(w, h, argb), spec);
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < moved.length; i++) {
            rgb[i * 3] = (byte) (moved[i] >> 16);
            rgb[i * 3 + 1] = (byte) (moved[i] >> 8);
            rgb[i * 3 + 2] = (byte) moved[i];
        }
        return PngEncoder.encode(w, h, rgb, Map.of());
    }
}
