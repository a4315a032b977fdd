package dev.easel.engine.png;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/** Reads a PNG's size, and adds a {@code tEXt} chunk to a PNG made elsewhere, without decoding it. */
public final class PngText {
    private static final byte[] SIGNATURE = {(byte) 137, 80, 78, 71, 13, 10, 26, 10};

    private PngText() {}

    /** {width, height} from the IHDR chunk, or null when the bytes are not a PNG. */
    public static int[] size(byte[] png) {
        if (png.length < 33) return null;
        for (int i = 0; i < 8; i++) if (png[i] != SIGNATURE[i]) return null;
        ByteBuffer b = ByteBuffer.wrap(png);
        if (b.getInt(8) != 13 || b.getInt(12) != 0x49484452) return null; // length 13, "IHDR"
        return new int[] {b.getInt(16), b.getInt(20)};
    }

    /** The PNG with a {@code tEXt} chunk {@code key}: {@code value} (Latin-1) right after its IHDR. */
    public static byte[] insert(byte[] png, String key, String value) {
        if (size(png) == null) throw new IllegalArgumentException("not a PNG");
        byte[] data = (key + "\u0000" + value).getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length + data.length + 12);
        int afterIhdr = 8 + 4 + 4 + 13 + 4;
        out.write(png, 0, afterIhdr);
        ByteBuffer chunk = ByteBuffer.allocate(12 + data.length);
        chunk.putInt(data.length).put("tEXt".getBytes(StandardCharsets.ISO_8859_1)).put(data);
        CRC32 crc = new CRC32();
        crc.update(chunk.array(), 4, 4 + data.length);
        chunk.putInt((int) crc.getValue());
        out.write(chunk.array(), 0, chunk.capacity());
        out.write(png, afterIhdr, png.length - afterIhdr);
        return out.toByteArray();
    }
}
