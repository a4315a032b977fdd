package dev.easel.styles;

import dev.easel.json.Json;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Writes real .safetensors files for tests: tensors laid out one after another, filled with seeded noise. */
public final class SafetensorsWriter {
    record T(String dtype, long... shape) {
        long bytes() {
            long n = 1;
            for (long d : shape) n *= d;
            return n * switch (dtype) {
                case "F32", "I32" -> 4;
                case "F16", "BF16" -> 2;
                default -> 1;
            };
        }
    }

    private final Map<String, T> tensors = new LinkedHashMap<>();
    private final Map<String, byte[]> values = new LinkedHashMap<>();

    /** A float32 scalar tensor holding {@code value} (an alpha). */
    public SafetensorsWriter scalar(String name, float value) {
        add(name, "F32");
        values.put(name, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array());
        return this;
    }

    public SafetensorsWriter add(String name, String dtype, long... shape) {
        tensors.put(name, new T(dtype, shape));
        return this;
    }

    /** Kohya's names for one layer: lora_down [rank, in], lora_up [out, rank], alpha []. */
    public SafetensorsWriter kohyaLayer(String layer, int rank, int in, int out) {
        return add(layer + ".lora_down.weight", "F16", rank, in).add(layer + ".lora_up.weight", "F16", out, rank)
                .add(layer + ".alpha", "F32");
    }

    /** PEFT/diffusers names for one layer: lora_A [rank, in], lora_B [out, rank]. */
    public SafetensorsWriter peftLayer(String layer, int rank, int in, int out) {
        return add(layer + ".lora_A.weight", "BF16", rank, in).add(layer + ".lora_B.weight", "BF16", out, rank);
    }

    public byte[] bytes() {
        return bytes(Map.of());
    }

    /** @param offsetOverrides tensor name -> [begin, end] to write instead of the true offsets (a lying header) */
    byte[] bytes(Map<String, long[]> offsetOverrides) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long at = 0;
        for (var e : tensors.entrySet()) {
            long[] offsets = offsetOverrides.getOrDefault(e.getKey(), new long[] {at, at + e.getValue().bytes()});
            header.put(e.getKey(), Map.of("dtype", e.getValue().dtype(), "shape", e.getValue().shape(), "data_offsets", offsets));
            at += e.getValue().bytes();
        }
        try {
            byte[] json = Json.MAPPER.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
            int padded = (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8 bytes
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.writeBytes(json);
            out.writeBytes(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
            byte[] data = new byte[(int) at];
            new SplittableRandom(7).nextBytes(data);
            long pos = 0;
            for (var e : tensors.entrySet()) {
                byte[] v = values.get(e.getKey());
                if (v != null) System.arraycopy(v, 0, data, (int) pos, v.length);
                pos += e.getValue().bytes();
            }
            out.writeBytes(data);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
