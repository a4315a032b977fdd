package dev.easel.styles;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a {@code .safetensors} file's header and decides whether it is a LoRA. The format: an 8-byte
 * little-endian header length N, N bytes of JSON mapping each tensor name to {@code dtype},
 * {@code shape} and {@code data_offsets} [begin, end) into the data that follows, and the data,
 * which the tensors must cover exactly (no gap, no overlap). A LoRA holds pairs of low-rank factors:
 * kohya names them {@code <layer>.lora_down.weight} [rank, in…] and {@code <layer>.lora_up.weight}
 * [out, rank…]; PEFT/diffusers {@code <layer>.lora_A.weight} [rank, in] and {@code <layer>.lora_B.weight} [out, rank].
 */
public final class Safetensors {
    /** A header larger than this is refused (real LoRA headers are well under 1 MB). */
    static final long MAX_HEADER = 100_000_000L;
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("F64", 8), Map.entry("F32", 4), Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I64", 8),
            Map.entry("I32", 4), Map.entry("I16", 2), Map.entry("I8", 1), Map.entry("U64", 8), Map.entry("U32", 4),
            Map.entry("U16", 2), Map.entry("U8", 1), Map.entry("BOOL", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1));

    /** What a valid LoRA file holds. {@code format} is kohya or peft; {@code rank} the largest pair's. */
    public record LoraInfo(String format, int rank, int tensorCount, long sizeBytes) {}

    /** The file is not a safetensors LoRA; the message says why. */
    public static final class NotALora extends Exception {
        public NotALora(String message) {
            super(message, null, false, false);
        }
    }

    private record Tensor(String name, long[] shape, long begin, long end) {}

    private Safetensors() {}

    /** @param in the file from its start; {@code size} its length in bytes */
    public static LoraInfo inspect(InputStream in, long size) throws NotALora, IOException {
        if (size < 8) throw new NotALora("the file has " + size + " bytes: too short for a safetensors header");
        long n = ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || n > MAX_HEADER || n > size - 8) {
            throw new NotALora("the header length says " + Long.toUnsignedString(n) + " bytes, but the file has "
                    + (size - 8) + " bytes after it" + (n > MAX_HEADER ? " (and a header may be at most 100 MB)" : ""));
        }
        byte[] headerBytes = in.readNBytes((int) n);
        if (headerBytes.length != n) throw new NotALora("the file ends inside its header");
        JsonNode header;
        try {
            header = Json.STRICT.readTree(headerBytes);
        } catch (IOException e) {
            throw new NotALora("the header is not valid JSON");
        }
        if (header == null || !header.isObject()) throw new NotALora("the header is not a JSON object");
        long dataSize = size - 8 - n;
        List<Tensor> tensors = new ArrayList<>();
        for (var it = header.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            tensors.add(tensor(e.getKey(), e.getValue(), dataSize));
        }
        if (tensors.isEmpty()) throw new NotALora("the file holds no tensors");
        checkCoverage(tensors, dataSize);
        return lora(tensors, size);
    }

    private static Tensor tensor(String name, JsonNode t, long dataSize) throws NotALora {
        String where = "tensor \"" + name + "\"";
        if (!t.isObject()) throw new NotALora(where + " is not described by an object");
        JsonNode dtype = t.get("dtype"), shape = t.get("shape"), offsets = t.get("data_offsets");
        if (dtype == null || !dtype.isTextual() || !DTYPE_BYTES.containsKey(dtype.textValue())) {
            throw new NotALora(where + " has an unknown dtype " + dtype);
        }
        if (shape == null || !shape.isArray()) throw new NotALora(where + " has no shape");
        long[] dims = new long[shape.size()];
        long elements = 1;
        for (int i = 0; i < dims.length; i++) {
            JsonNode d = shape.get(i);
            if (!d.canConvertToExactIntegral() || d.asLong() < 0) throw new NotALora(where + " has a bad shape " + shape);
            dims[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, dims[i]);
            } catch (ArithmeticException overflow) {
                throw new NotALora(where + " has an impossibly large shape " + shape);
            }
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !offsets.get(0).canConvertToExactIntegral()
                || !offsets.get(1).canConvertToExactIntegral()) {
            throw new NotALora(where + " has no data_offsets [begin, end]");
        }
        long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw new NotALora(where + " claims bytes " + begin + ".." + end + " but the data has " + dataSize + " bytes");
        }
        long expected = elements * DTYPE_BYTES.get(dtype.textValue()); // elements <= data size, so no overflow here
        if (elements > dataSize) expected = -1;
        if (end - begin != expected) {
            throw new NotALora(where + " is " + dtype.textValue() + " " + shape + " (" + expected + " bytes) but has "
                    + (end - begin) + " bytes of data");
        }
        return new Tensor(name, dims, begin, end);
    }

    /** The tensors must tile the data exactly: no overlap (two tensors sharing bytes) and no gap. */
    private static void checkCoverage(List<Tensor> tensors, long dataSize) throws NotALora {
        List<Tensor> sorted = new ArrayList<>(tensors);
        sorted.sort((a, b) -> a.begin() != b.begin() ? Long.compare(a.begin(), b.begin()) : Long.compare(a.end(), b.end()));
        long at = 0;
        for (Tensor t : sorted) {
            if (t.begin() < at) throw new NotALora("tensor \"" + t.name() + "\" overlaps the bytes of another tensor");
            if (t.begin() > at) throw new NotALora("bytes " + at + ".." + t.begin() + " of the data belong to no tensor");
            at = t.end();
        }
        if (at != dataSize) throw new NotALora("bytes " + at + ".." + dataSize + " of the data belong to no tensor");
    }

    private static LoraInfo lora(List<Tensor> tensors, long size) throws NotALora {
        Map<String, Tensor> byName = new HashMap<>();
        for (Tensor t : tensors) byName.put(t.name(), t);
        Map<String, String> pairs = new TreeMap<>(); // down/A name -> up/B name
        int kohya = 0, peft = 0;
        for (Tensor t : tensors) {
            String partner = null;
            if (t.name().contains(".lora_down.")) {
                partner = t.name().replace(".lora_down.", ".lora_up.");
                kohya++;
            } else if (t.name().contains(".lora_A.")) {
                partner = t.name().replace(".lora_A.", ".lora_B.");
                peft++;
            } else if (t.name().contains(".lora_up.") && !byName.containsKey(t.name().replace(".lora_up.", ".lora_down."))) {
                throw new NotALora("tensor \"" + t.name() + "\" has no matching lora_down tensor");
            } else if (t.name().contains(".lora_B.") && !byName.containsKey(t.name().replace(".lora_B.", ".lora_A."))) {
                throw new NotALora("tensor \"" + t.name() + "\" has no matching lora_A tensor");
            }
            if (partner == null) continue;
            if (!byName.containsKey(partner)) throw new NotALora("tensor \"" + t.name() + "\" has no matching \"" + partner + "\"");
            pairs.put(t.name(), partner);
        }
        if (pairs.isEmpty()) {
            throw new NotALora("not a LoRA: none of its " + tensors.size() + " tensors form a lora_down/lora_up or lora_A/lora_B "
                    + "pair (for example \"" + tensors.get(0).name() + "\")");
        }
        int rank = 0;
        for (var p : pairs.entrySet()) {
            long[] down = byName.get(p.getKey()).shape(), up = byName.get(p.getValue()).shape();
            if (down.length < 2 || up.length < 2 || down[0] != up[1] || down[0] < 1) {
                throw new NotALora("\"" + p.getKey() + "\" and \"" + p.getValue() + "\" do not share a rank (shapes "
                        + java.util.Arrays.toString(down) + " and " + java.util.Arrays.toString(up) + ")");
            }
            rank = (int) Math.max(rank, Math.min(Integer.MAX_VALUE, down[0]));
        }
        return new LoraInfo(kohya >= peft ? "kohya" : "peft", rank, tensors.size(), size);
    }
}
