package dev.easel.engine.gpu;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.json.Json;
import java.nio.file.Path;

/**
 * The graph ComfyUI runs for one image, in its API format (ENGINES.md's Krea 2 graph): the
 * transformer ({@code UNETLoader}), the Qwen3-VL text encoder ({@code CLIPLoader}, type {@code krea2}),
 * the VAE, one {@code LoraLoaderModelOnly} per LoRA in a chain with its own strength (sliders
 * included), the prompt, an empty latent of the requested size, {@code KSampler} with the recipe's
 * steps and cfg (ComfyUI's cfg, like SGLang's guidance scale, is Krea's value plus one: 1 is off),
 * {@code VAEDecode} and {@code SaveImage}. LoRAs are named as ComfyUI lists them: the file name in
 * its {@code loras} folder, which easel's LoRA directory must be.
 *
 * @param unet the transformer's file in ComfyUI's {@code diffusion_models} folder
 * @param clip the text encoder's file in its {@code text_encoders} folder
 * @param vae  the VAE's file in its {@code vae} folder
 */
public record ComfyGraph(String unet, String clip, String vae) {
    /** The file names of Comfy-Org's Krea 2 repackaging, the defaults of the flags. */
    public static final ComfyGraph DEFAULT = new ComfyGraph("krea2_turbo_bf16.safetensors", "qwen3vl_4b_instruct_fp8_scaled.safetensors",
            "qwen_image_vae.safetensors");

    /** What the pool reports as the server's model. */
    public String model() {
        return unet;
    }

    public ObjectNode of(GpuDriver.Request r) {
        ObjectNode g = Json.MAPPER.createObjectNode();
        node(g, "1", "UNETLoader").put("unet_name", unet).put("weight_dtype", "default");
        node(g, "2", "CLIPLoader").put("clip_name", clip).put("type", "krea2");
        node(g, "3", "VAELoader").put("vae_name", vae);
        String model = "1";
        int next = 10;
        for (GpuDriver.ActiveLora l : r.loras()) {
            String id = Integer.toString(next++);
            ObjectNode in = node(g, id, "LoraLoaderModelOnly");
            link(in, "model", model);
            in.put("lora_name", Path.of(l.path()).getFileName().toString()).put("strength_model", l.strength());
            model = id;
        }
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
