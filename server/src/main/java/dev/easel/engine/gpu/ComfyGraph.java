package dev.easel.engine.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The graph ComfyUI runs for one image, in its API format: easel's own Krea 2 graph ({@link Builtin}),
 * or an operator's {@link Template}. Either way each LoRA of the image (styles and sliders) is one
 * {@code LoraLoaderModelOnly} node with its own strength, chained from the transformer, named as
 * ComfyUI lists it ({@link #loraName}).
 * ComfyUI's cfg, like SGLang's guidance scale, is Krea's value plus one (1 is off).
 */
public sealed interface ComfyGraph {
    /** What the pool reports as the server's model. */
    String model();

    /** The graph for one image; {@code referenceImage} is the name of its reference on the server (null: none uploaded). */
    ObjectNode of(GpuDriver.Request r, String referenceImage);

    /** Whether the graph takes the job's reference image (a template with {@code {{reference_image}}}). */
    default boolean usesReference() {
        return false;
    }

    /**
     * ENGINES.md's Krea 2 graph: {@code UNETLoader}, {@code CLIPLoader} (type {@code krea2}),
     * {@code VAELoader}, the LoRA chain, the prompt, an empty latent of the requested size,
     * {@code KSampler} with the recipe's steps and cfg, {@code VAEDecode}, {@code SaveImage}.
     *
     * @param unet the transformer's file in ComfyUI's {@code diffusion_models} folder
     * @param clip the text encoder's file in its {@code text_encoders} folder
     * @param vae  the VAE's file in its {@code vae} folder
     */
    record Builtin(String unet, String clip, String vae) implements ComfyGraph {
        @Override
        public String model() {
            return unet;
        }

        @Override
        public ObjectNode of(GpuDriver.Request r, String referenceImage) {
            ObjectNode g = Json.MAPPER.createObjectNode();
            node(g, "1", "UNETLoader").put("unet_name", unet).put("weight_dtype", "default");
            node(g, "2", "CLIPLoader").put("clip_name", clip).put("type", "krea2");
            node(g, "3", "VAELoader").put("vae_name", vae);
            String model = loraChain(g, "1", r.loras());
            link(node(g, "4", "CLIPTextEncode").put("text", r.prompt()), "clip", "2");
            link(node(g, "5", "CLIPTextEncode").put("text", ""), "clip", "2");
            node(g, "6", "EmptySD3LatentImage").put("width", r.width()).put("height", r.height()).put("batch_size", 1);
            ObjectNode k = node(g, "7", "KSampler").put("seed", r.seed()).put("steps", r.steps()).put("cfg", r.guidanceScale())
                    .put("sampler_name", "euler").put("scheduler", "simple").put("denoise", 1.0);
            link(k, "model", model);
            link(k, "positive", "4");
            link(k, "negative", "5");
            link(k, "latent_image", "6");
            ObjectNode decode = node(g, "8", "VAEDecode");
            link(decode, "samples", "7");
            link(decode, "vae", "3");
            link(node(g, "9", "SaveImage").put("filename_prefix", "easel"), "images", "8");
            return g;
        }
    }

    /** The file names of Comfy-Org's Krea 2 repackaging: the defaults of the flags. */
    Builtin DEFAULT = new Builtin("krea2_turbo_bf16.safetensors", "qwen3vl_4b_instruct_fp8_scaled.safetensors", "qwen_image_vae.safetensors");

    /**
     * An operator's graph in ComfyUI's API format (exported with "Save (API)"), with placeholders as
     * whole string values: {@code "{{prompt}}"}, {@code "{{seed}}"}, {@code "{{width}}"},
     * {@code "{{height}}"} and {@code "{{model}}"} (where the model goes after the LoRA chain, which
     * starts from the graph's one {@code UNETLoader}) are required; {@code "{{steps}}"} and
     * {@code "{{cfg}}"} (the server's recipe) may be used, and {@code "{{reference_image}}"} (the job's
     * first reference image, uploaded to the server; a plain grey one when it has none) with
     * {@code "{{reference_strength}}"} (its strength; 0 when none). Anything else is refused at start.
     */
    record Template(ObjectNode graph, String base, boolean usesReference) implements ComfyGraph {
        static final Set<String> REQUIRED = Set.of("prompt", "seed", "width", "height", "model");
        static final Set<String> KNOWN = Set.of("prompt", "seed", "width", "height", "model", "steps", "cfg", "reference_image",
                "reference_strength");
        private static final Pattern WHOLE = Pattern.compile("\\{\\{([A-Za-z0-9_]*)}}");

        /** Reads and checks a template; the message of the exception names what is wrong. */
        public static Template read(Path file) {
            JsonNode root;
            try {
                root = Json.MAPPER.readTree(Files.readAllBytes(file));
            } catch (IOException e) {
                throw new IllegalArgumentException("the ComfyUI template " + file + " cannot be read as JSON: " + e.getMessage());
            }
            if (root == null || !root.isObject() || root.isEmpty()) {
                throw new IllegalArgumentException("the ComfyUI template " + file + " is not a graph in API format (an object of nodes)");
            }
            Set<String> found = new TreeSet<>(), unknown = new TreeSet<>();
            List<String> unets = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> n = it.next();
                if (!n.getValue().path("class_type").isTextual() || !n.getValue().path("inputs").isObject()) {
                    throw new IllegalArgumentException("the ComfyUI template " + file + ": node " + n.getKey() + " has no class_type and inputs");
                }
                if (n.getValue().get("class_type").asText().equals("UNETLoader")) unets.add(n.getKey());
                for (JsonNode v : n.getValue().get("inputs")) {
                    if (!v.isTextual() || !v.asText().contains("{{")) continue;
                    Matcher m = WHOLE.matcher(v.asText());
                    if (!m.matches()) {
                        throw new IllegalArgumentException("the ComfyUI template " + file + ": node " + n.getKey() + " has " + Json.quote(v.asText())
                                + "; a placeholder must be a whole value, such as \"{{prompt}}\"");
                    }
                    (KNOWN.contains(m.group(1)) ? found : unknown).add(m.group(1));
                }
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("the ComfyUI template " + file + " has unknown placeholders " + braces(unknown)
                        + " (known: " + braces(new TreeSet<>(KNOWN)) + ")");
            }
            Set<String> missing = new TreeSet<>(REQUIRED);
            missing.removeAll(found);
            if (!missing.isEmpty()) throw new IllegalArgumentException("the ComfyUI template " + file + " lacks the placeholders " + braces(missing));
            if (unets.size() != 1) {
                throw new IllegalArgumentException("the ComfyUI template " + file + " must have one UNETLoader node (the LoRA chain starts"
                        + " from it), not " + unets.size());
            }
            if (found.contains("reference_strength") && !found.contains("reference_image")) {
                throw new IllegalArgumentException("the ComfyUI template " + file + " has {{reference_strength}} without {{reference_image}}");
            }
            return new Template((ObjectNode) root, unets.get(0), found.contains("reference_image"));
        }

        private static String braces(Set<String> names) {
            return String.join(", ", names.stream().map(n -> "{{" + n + "}}").toList());
        }

        @Override
        public String model() {
            return graph.get(base).path("inputs").path("unet_name").asText("template");
        }

        @Override
        public ObjectNode of(GpuDriver.Request r, String referenceImage) {
            ObjectNode g = graph.deepCopy();
            String model = loraChain(g, base, r.loras());
            for (JsonNode node : g) {
                ObjectNode inputs = (ObjectNode) node.get("inputs");
                for (Iterator<Map.Entry<String, JsonNode>> it = inputs.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> in = it.next();
                    Matcher m = WHOLE.matcher(in.getValue().isTextual() ? in.getValue().asText() : "");
                    if (!m.matches()) continue;
                    switch (m.group(1)) {
                        case "prompt" -> inputs.put(in.getKey(), r.prompt());
                        case "seed" -> inputs.put(in.getKey(), r.seed());
                        case "width" -> inputs.put(in.getKey(), r.width());
                        case "height" -> inputs.put(in.getKey(), r.height());
                        case "steps" -> inputs.put(in.getKey(), r.steps());
                        case "cfg" -> inputs.put(in.getKey(), r.guidanceScale());
                        case "model" -> link(inputs, in.getKey(), model);
                        case "reference_image" -> inputs.put(in.getKey(), referenceImage);
                        case "reference_strength" -> inputs.put(in.getKey(), r.reference() == null ? 0.0 : r.reference().strength());
                        default -> throw new IllegalStateException("checked when read: " + m.group(1));
                    }
                }
            }
            return g;
        }
    }

    /** One {@code LoraLoaderModelOnly} per LoRA, chained from {@code from}'s model; returns the last node's id. */
    private static String loraChain(ObjectNode g, String from, List<GpuDriver.ActiveLora> loras) {
        String model = from;
        int n = 1;
        for (GpuDriver.ActiveLora l : loras) {
            String id = "easel_lora_" + n++;
            ObjectNode in = node(g, id, "LoraLoaderModelOnly");
            link(in, "model", model);
            in.put("lora_name", loraName(l.path())).put("strength_model", l.strength());
            model = id;
        }
        return model;
    }

    /**
     * A LoRA as ComfyUI names it: its path under the last {@code loras} folder of the path the GPU host
     * sees ({@code /opt/ComfyUI/models/loras/easel/x.safetensors} is {@code easel/x.safetensors}), else
     * its file name (the directory is then itself one of ComfyUI's LoRA folders).
     */
    static String loraName(String remotePath) {
        String p = remotePath.replace('\\', '/');
        int i = p.lastIndexOf("/loras/");
        return i >= 0 ? p.substring(i + "/loras/".length()) : Path.of(p).getFileName().toString();
    }

    /** A node; returns its inputs. */
    private static ObjectNode node(ObjectNode graph, String id, String type) {
        ObjectNode n = graph.putObject(id);
        n.put("class_type", type);
        return n.putObject("inputs");
    }

    /** An input fed by another node's first output: {@code [id, 0]}. */
    private static void link(ObjectNode inputs, String name, String from) {
        ArrayNode a = inputs.putArray(name);
        a.add(from).add(0);
    }
}
