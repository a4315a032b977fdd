package dev.easel.assets;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.function.Supplier;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * What an uploaded or fetched file really is: its type from its first bytes (never from a name or a
 * declared type), and its size from decoding it for real: PNG and JPEG with the JDK's decoders, WebP
 * with TwelveMonkeys'. The whole file is decoded, subsampled to at most {@link #SAMPLE_EDGE} pixels
 * a side so that memory stays small, and that sample is kept (palettes are taken from it).
 */
public final class ImageProbe {
    /** Images larger than this are refused before decoding (a small file can claim a huge raster). */
    public static final long MAX_PIXELS = 100_000_000L;
    static final int SAMPLE_EDGE = 512;

    /** A decoded image: its type, its full size, and a subsampled copy of its pixels. */
    public record Probed(String mimeType, int width, int height, BufferedImage sample) {}

    /** The file extension of an accepted MIME type, as image URLs carry it. */
    public static String extension(String mimeType) {
        return switch (mimeType) {
            case "image/png" -> "png";
            case "image/jpeg" -> "jpg";
            case "image/webp" -> "webp";
            default -> throw new IllegalArgumentException("not an accepted image type: " + mimeType);
        };
    }

    /** The file is not an image easel accepts; the message says why. */
    public static final class NotAnImage extends Exception {
        public NotAnImage(String message) {
            super(message, null, false, false);
        }
    }

    private ImageProbe() {}

    /** @param open opens the file from its start; called twice (sniff, then decode) */
    public static Probed probe(Supplier<InputStream> open) throws NotAnImage, IOException {
        byte[] head;
        try (InputStream in = open.get()) {
            head = in.readNBytes(12);
        }
        String mime = sniff(head);
        if (mime == null) {
            throw new NotAnImage("the file is not a PNG, JPEG or WebP image (it starts with bytes "
                    + java.util.HexFormat.ofDelimiter(" ").formatHex(head, 0, Math.min(8, head.length)) + ")");
        }
        String format = mime.substring("image/".length());
        try (InputStream in = open.get(); ImageInputStream iis = ImageIO.createImageInputStream(in)) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
            if (!readers.hasNext()) throw new IllegalStateException("no ImageIO reader for " + format);
            ImageReader reader = readers.next();
            try {
                reader.setInput(iis, true, true);
                int width = reader.getWidth(0), height = reader.getHeight(0);
                if (width < 1 || height < 1) throw new NotAnImage("the " + format.toUpperCase() + " image has no pixels");
                if ((long) width * height > MAX_PIXELS) {
                    throw new NotAnImage("the image is " + width + "x" + height + "; at most " + MAX_PIXELS / 1_000_000
                            + " megapixels are accepted");
                }
                ImageReadParam param = reader.getDefaultReadParam();
                int step = Math.max(1, (Math.max(width, height) + SAMPLE_EDGE - 1) / SAMPLE_EDGE);
                param.setSourceSubsampling(step, step, 0, 0);
                BufferedImage sample = reader.read(0, param);
                return new Probed(mime, width, height, sample);
            } catch (IOException | RuntimeException e) {
                throw new NotAnImage("the file starts like a " + format.toUpperCase() + " image but cannot be decoded: "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            } finally {
                reader.dispose();
            }
        }
    }

    /** The MIME type the first bytes announce, or null. */
    static String sniff(byte[] b) {
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == 0x0d
                && b[5] == 0x0a && b[6] == 0x1a && b[7] == 0x0a) return "image/png";
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) return "image/jpeg";
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E'
                && b[10] == 'B' && b[11] == 'P') return "image/webp";
        return null;
    }
}
