package dev.easel.engine.png;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A small, deterministic PNG writer for 8-bit RGB images. Each row gets the filter (None, Sub, Up,
 * Average, Paeth) with the smallest sum of absolute values, the usual heuristic that makes
 * smooth images 2-3x smaller than unfiltered rows. Text goes into iTXt chunks (UTF-8).
 * The same pixels and text always give the same bytes.
 */
public final class PngEncoder {
    private static final byte[] SIGNATURE = {(byte) 137, 80, 78, 71, 13, 10, 26, 10};
    private static final int LEVEL = 4; // measured: near level 6's size on our images at half the time

    private PngEncoder() {}

    /** {@code rgb}: width*height*3 bytes, rows top to bottom, R G B per pixel. */
    public static byte[] encode(int width, int height, byte[] rgb, Map<String, String> text) {
        if (rgb.length != width * height * 3) throw new IllegalArgumentException("rgb size does not match " + width + "x" + height);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(width * height);
            out.write(SIGNATURE);
            ByteArrayOutputStream ihdrBytes = new ByteArrayOutputStream();
            DataOutputStream ihdr = new DataOutputStream(ihdrBytes);
            ihdr.writeInt(width);
            ihdr.writeInt(height);
            ihdr.writeByte(8); // bit depth
            ihdr.writeByte(2); // colour type: truecolour RGB
            ihdr.writeByte(0); // deflate
            ihdr.writeByte(0); // adaptive filtering
            ihdr.writeByte(0); // no interlace
            chunk(out, "IHDR", ihdrBytes.toByteArray());
            for (Map.Entry<String, String> e : text.entrySet()) {
                ByteArrayOutputStream t = new ByteArrayOutputStream();
                t.write(e.getKey().getBytes(StandardCharsets.ISO_8859_1));
                t.write(new byte[] {0, 0, 0, 0, 0}); // null, no compression, method, empty language, empty translated keyword
                t.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                chunk(out, "iTXt", t.toByteArray());
            }
            chunk(out, "IDAT", idat(width, height, rgb));
            chunk(out, "IEND", new byte[0]);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] idat(int width, int height, byte[] rgb) {
        int stride = width * 3;
        byte[] filtered = new byte[height * (stride + 1)];
        byte[] candidate = new byte[stride];
        byte[] best = new byte[stride];
        for (int y = 0; y < height; y++) {
            int row = y * stride;
            int prev = row - stride; // < 0 on the first row: the row above is all zeros
            long bestScore = Long.MAX_VALUE;
            int bestFilter = 0;
            for (int f = 0; f <= 4; f++) {
                long score = 0;
                for (int i = 0; i < stride; i++) {
                    int x = rgb[row + i] & 0xff;
                    int a = i >= 3 ? rgb[row + i - 3] & 0xff : 0;
                    int b = prev >= 0 ? rgb[prev + i] & 0xff : 0;
                    int c = prev >= 0 && i >= 3 ? rgb[prev + i - 3] & 0xff : 0;
                    int v = switch (f) {
                        case 0 -> x;
                        case 1 -> x - a;
                        case 2 -> x - b;
                        case 3 -> x - ((a + b) >>> 1);
                        default -> x - paeth(a, b, c);
                    };
                    candidate[i] = (byte) v;
                    score += Math.abs((byte) v);
                }
                if (score < bestScore) {
                    bestScore = score;
                    bestFilter = f;
                    System.arraycopy(candidate, 0, best, 0, stride);
                }
            }
            int at = y * (stride + 1);
            filtered[at] = (byte) bestFilter;
            System.arraycopy(best, 0, filtered, at + 1, stride);
        }
        Deflater deflater = new Deflater(LEVEL);
        try {
            deflater.setInput(filtered);
            deflater.finish();
            ByteArrayOutputStream z = new ByteArrayOutputStream(filtered.length / 4);
            byte[] buf = new byte[1 << 16];
            while (!deflater.finished()) z.write(buf, 0, deflater.deflate(buf));
            return z.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        return pb <= pc ? b : c;
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        d.writeInt(data.length);
        d.write(t);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }
}
