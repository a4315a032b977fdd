package dev.easel.engine.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.json.Json;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a Krea 2 LoRA into the diffusers key names SGLang loads
 * ({@code transformer.transformer_blocks.N.attn.to_q.lora_A.weight}). Three namings come in:
 * <ul>
 *   <li>diffusers (Krea's official LoRAs): kept as they are;</li>
 *   <li>Krea's native / ComfyUI names, {@code diffusion_model.blocks.N.attn.wq.lora_down.weight} with
 *       an {@code alpha} per module: renamed, {@code lora_down}/{@code lora_up} to {@code lora_A}/{@code lora_B},
 *       and the alphas folded into the strength ({@code alpha / rank}; they must agree across modules);</li>
 *   <li>PEFT over native names, {@code base_model.model.blocks.N.attn.wq.lora_A.weight}: renamed.</li>
 * </ul>
 * Only the attention projections have a module name known for certain in both namings
 * ({@code wq wk wv wo} = {@code to_q to_k to_v to_out.0}); a file that touches any other module is
 * refused with its name, rather than loaded wrongly.
 */
public final class LoraConverter {
    private static final Pattern DIFFUSERS = Pattern.compile("transformer\\.transformer_blocks\\.\\d+\\..+\\.lora_[AB]\\.weight");
    private static final Pattern NATIVE = Pattern.compile("(?:diffusion_model|base_model\\.model)\\.blocks\\.(\\d+)\\.attn\\.(wq|wk|wv|wo)\\.(lora_down|lora_up|lora_A|lora_B|alpha)(?:\\.weight)?");
    private static final Map<String, String> ATTENTION = Map.of("wq", "to_q", "wk", "to_k", "wv", "to_v", "wo", "to_out.0");
    private static final long MAX_HEADER = 100_000_000;

    /** The file cannot be made into one SGLang loads; the message says why, for the user. */
    public static final class Unconvertible extends Exception {
        public Unconvertible(String message) {
            super(message, null, false, false);
        }
    }

    /** The converted file is written; {@code strengthFactor} multiplies each strength (the folded alphas). */
    public record Converted(double strengthFactor) {}

    private record Tensor(String name, String newName, String dtype, JsonNode shape, long begin, long end) {}

    private LoraConverter() {}

    /** Checks the header only: null when the file converts (or needs no conversion), else why not. */
    public static String problem(InputStream in) throws IOException {
        try {
            plan(header(new DataInputStream(in)));
            return null;
        } catch (Unconvertible e) {
            return e.getMessage();
        }
    }

    /** Reads a safetensors LoRA from {@code in} and writes it with diffusers key names to {@code out}. */
    public static Converted convert(InputStream in, OutputStream out) throws IOException, Unconvertible {
        DataInputStream data = new DataInputStream(in);
        List<Tensor> tensors = plan(header(data));
        tensors.sort(Comparator.comparingLong(Tensor::begin));
        Map<String, Double> alphas = new LinkedHashMap<>();
        Map<String, Long> ranks = new LinkedHashMap<>();
        ObjectNode newHeader = Json.MAPPER.createObjectNode();
        long at = 0, written = 0;
        List<byte[]> kept = new ArrayList<>();
        for (Tensor t : tensors) {
            data.skipNBytes(t.begin() - at);
            byte[] bytes = data.readNBytes((int) (t.end() - t.begin()));
            at = t.end();
            String module = t.name().replaceAll("\\.(lora_down|lora_up|lora_A|lora_B|alpha)(\\.weight)?$", "");
            if (t.name().endsWith(".alpha")) {
                alphas.put(module, scalar(t.dtype(), bytes, t.name()));
                continue;
            }
            if (t.name().contains(".lora_down.") || t.name().contains(".lora_A.")) ranks.put(module, t.shape().path(0).asLong());
            ObjectNode entry = newHeader.putObject(t.newName());
            entry.put("dtype", t.dtype());
            entry.set("shape", t.shape());
            entry.putArray("data_offsets").add(written).add(written + bytes.length);
            written += bytes.length;
            kept.add(bytes);
        }
        double factor = 1;
        if (!alphas.isEmpty()) {
            Double common = null;
            for (Map.Entry<String, Double> a : alphas.entrySet()) {
                Long rank = ranks.get(a.getKey());
                if (rank == null || rank == 0) throw new Unconvertible("the alpha of " + a.getKey() + " has no lora_down weight beside it");
                double f = a.getValue() / rank;
                if (common != null && Math.abs(common - f) > 1e-6) {
                    throw new Unconvertible("the modules' alpha/rank differ (" + common + " and " + f + " at " + a.getKey()
                            + "): easel folds one alpha into the strength; convert the file to diffusers keys instead");
                }
                common = f;
            }
            factor = common;
        }
        byte[] json = Json.MAPPER.writeValueAsBytes(newHeader);
        int padded = (json.length + 7) / 8 * 8; // aligned, as the safetensors writer does
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(json);
        for (int i = json.length; i < padded; i++) out.write(' ');
        for (byte[] b : kept) out.write(b);
        return new Converted(factor);
    }

    private static JsonNode header(DataInputStream in) throws IOException {
        byte[] len = in.readNBytes(8);
        if (len.length < 8) throw new IOException("not a safetensors file: shorter than 8 bytes");
        long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n <= 0 || n > MAX_HEADER) throw new IOException("not a safetensors file: header length " + n);
        return Json.MAPPER.readTree(new String(in.readNBytes((int) n), StandardCharsets.UTF_8));
    }

    /** Every tensor with its new name; the file is refused at its first tensor that no rule maps. */
    private static List<Tensor> plan(JsonNode header) throws Unconvertible {
        List<Tensor> out = new ArrayList<>();
        for (var it = header.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            JsonNode t = e.getValue(), offsets = t.path("data_offsets");
            String newName;
            if (DIFFUSERS.matcher(name).matches()) {
                newName = name;
            } else {
                Matcher m = NATIVE.matcher(name);
                if (!m.matches()) {
                    throw new Unconvertible("tensor " + name + " is not one easel can map to SGLang's diffusers names: it converts Krea's"
                            + " native (diffusion_model.blocks.N.attn.wq…) and PEFT (base_model.model.blocks.N.attn.wq…) names for the"
                            + " attention projections wq, wk, wv, wo only; convert the file to diffusers keys"
                            + " (transformer.transformer_blocks.N.attn.to_q.lora_A.weight) first");
                }
                String suffix = switch (m.group(3)) {
                    case "lora_down", "lora_A" -> ".lora_A.weight";
                    case "lora_up", "lora_B" -> ".lora_B.weight";
                    default -> "";
                };
                newName = "transformer.transformer_blocks." + m.group(1) + ".attn." + ATTENTION.get(m.group(2)) + suffix;
            }
            out.add(new Tensor(name, newName, t.path("dtype").asText(), t.path("shape"), offsets.path(0).asLong(), offsets.path(1).asLong()));
        }
        if (out.stream().noneMatch(t -> t.newName().endsWith(".lora_A.weight"))) throw new Unconvertible("the file holds no LoRA weights");
        return out;
    }

    private static double scalar(String dtype, byte[] b, String name) throws Unconvertible {
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        return switch (dtype) {
            case "F32" -> buf.getFloat();
            case "F64" -> buf.getDouble();
            case "F16" -> Float.float16ToFloat(buf.getShort());
            case "BF16" -> Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
            default -> throw new Unconvertible("the alpha " + name + " is stored as " + dtype + ", not a float");
        };
    }
}
