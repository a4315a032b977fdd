package dev.easel.engine.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.json.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.websocket.WsContext;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a ComfyUI server running Krea 2, for tests: the real one needs a GPU and weights.
 * Written from ComfyUI's documented API as ENGINES.md records it, not from its code:
 * <ul>
 *   <li>{@code POST /prompt {"prompt", "client_id", "prompt_id"}} validates the graph (an unknown node type
 *       or a missing input is ComfyUI's 400 {@code {"error":{type,message,details,extra_info},"node_errors"}}),
 *       queues it and answers {@code {"prompt_id","number","node_errors"}}; every route also under {@code /api};</li>
 *   <li>one prompt at a time: over the WebSocket {@code /ws?clientId=} of the prompt's client it sends
 *       {@code execution_start}, {@code executing}, {@code progress {value,max,node,prompt_id}} per step, a binary
 *       preview frame (4-byte type 1, 4-byte image type 2 for PNG, the PNG) halfway, {@code executed},
 *       {@code execution_success} and {@code executing} with {@code node: null};</li>
 *   <li>{@code GET /history/{id}}, {@code GET /view}, {@code GET /queue}, {@code GET /system_stats}, and
 *       {@code POST /upload/image} (multipart {@code image}) for {@code LoadImage} nodes, which must name an uploaded file;</li>
 *   <li>cancel: {@code POST /api/jobs/{id}/cancel → {"cancelled"}} (interrupts or dequeues; absent on an
 *       "older" stand-in), {@code POST /interrupt} (global, or one {@code prompt_id}), {@code POST /queue {"delete"}}.</li>
 * </ul>
 * Queue and history live in memory, as ComfyUI's do: {@link #restart()} loses them. Tests make it
 * slow, fail, hang or drop its sockets, and read the prompts and cancel calls it received.
 */
public final class ComfyStandIn implements AutoCloseable {
    /** A prompt as received: its id and its graph. */
    public record Prompt(String promptId, JsonNode graph) {}

    /** The Krea 2 node types it knows, with their required inputs. */
    static final Map<String, List<String>> NODE_TYPES = Map.ofEntries(
            Map.entry("UNETLoader", List.of("unet_name", "weight_dtype")),
            Map.entry("CLIPLoader", List.of("clip_name", "type")),
            Map.entry("VAELoader", List.of("vae_name")),
            Map.entry("LoraLoaderModelOnly", List.of("model", "lora_name", "strength_model")),
            Map.entry("EmptySD3LatentImage", List.of("width", "height", "batch_size")),
            Map.entry("CLIPTextEncode", List.of("clip", "text")),
            Map.entry("KSampler", List.of("model", "seed", "steps", "cfg", "sampler_name", "scheduler", "positive", "negative", "latent_image", "denoise")),
            Map.entry("VAEDecode", List.of("samples", "vae")),
            Map.entry("SaveImage", List.of("images", "filename_prefix")),
            Map.entry("LoadImage", List.of("image")),
            Map.entry("ImageBlend", List.of("image1", "image2", "blend_factor", "blend_mode")));

    public final List<Prompt> prompts = new CopyOnWriteArrayList<>();
    /** Cancel calls as received: {@code cancel <id>}, {@code interrupt <id or all>}, {@code delete <ids>}. */
    public final List<String> cancels = new CopyOnWriteArrayList<>();
    public volatile long millisPerStep = 20;
    /** An older ComfyUI: no {@code /api/jobs/{id}/cancel}. */
    public volatile boolean legacyCancelOnly;
    /** Previews as JPEG (image type 1), ComfyUI's default, instead of PNG. */
    public volatile boolean jpegPreviews;
    /** The next prompt fails with {@code execution_error}. */
    public volatile boolean failNext;
    /** The next prompt never ends (until cancelled, restarted or closed). */
    public volatile boolean hangNext;
    /** Called when a prompt starts running (a test may restart the server then). */
    public volatile java.util.function.Consumer<String> onStart = id -> { };

    private final Javalin app;
    private final Map<String, WsContext> clients = new ConcurrentHashMap<>();
    private final LinkedBlockingDeque<Queued> queue = new LinkedBlockingDeque<>();
    private final Map<String, ObjectNode> history = new ConcurrentHashMap<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    /** Images uploaded to the input folder ({@code POST /upload/image}), by name. */
    public final Map<String, byte[]> inputs = new ConcurrentHashMap<>();
    private final AtomicInteger number = new AtomicInteger();
    private final Thread executor;
    private volatile Queued running;
    private volatile boolean closed;
    private volatile int generation; // counts restarts

    private static final class Queued {
        final int number;
        final String id, clientId;
        final JsonNode graph;
        volatile boolean interrupted;

        Queued(int number, String id, String clientId, JsonNode graph) {
            this.number = number;
            this.id = id;
            this.clientId = clientId;
            this.graph = graph;
        }
    }

    public ComfyStandIn() {
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            for (String prefix : List.of("", "/api")) {
                config.routes.post(prefix + "/prompt", this::prompt);
                config.routes.get(prefix + "/history/{id}", this::history);
                config.routes.get(prefix + "/view", this::view);
                config.routes.get(prefix + "/queue", this::queueState);
                config.routes.post(prefix + "/queue", this::queueDelete);
                config.routes.post(prefix + "/interrupt", this::interrupt);
                config.routes.post(prefix + "/upload/image", this::upload);
                config.routes.get(prefix + "/system_stats", ctx -> ctx.json(Json.MAPPER.createObjectNode()
                        .set("system", Json.MAPPER.createObjectNode().put("comfyui_version", "0.3.77-standin").put("os", "posix"))));
            }
            config.routes.post("/api/jobs/{id}/cancel", this::cancel);
            config.routes.ws("/ws", ws -> {
                ws.onConnect(ctx -> {
                    String id = ctx.queryParam("clientId") != null ? ctx.queryParam("clientId") : UUID.randomUUID().toString();
                    ctx.session.setIdleTimeout(java.time.Duration.ofMinutes(10));
                    clients.put(id, ctx);
                    ObjectNode status = Json.MAPPER.createObjectNode();
                    status.putObject("status").putObject("exec_info").put("queue_remaining", queue.size());
                    status.put("sid", id);
                    ctx.send(frame("status", status));
                });
                ws.onClose(ctx -> clients.values().remove(ctx));
            });
        }).start("127.0.0.1", 0);
        executor = Thread.ofPlatform().daemon().name("comfy-standin").start(this::execute);
    }

    public String url() {
        return "http://127.0.0.1:" + app.port();
    }

    /** The server process restarts: queue, history and the running prompt are lost, every socket drops. */
    public void restart() {
        generation++;
        queue.clear();
        history.clear();
        Queued r = running;
        if (r != null) r.interrupted = true;
        dropSockets();
    }

    /** Every WebSocket is closed by the server, as when a proxy or the network drops it. */
    public void dropSockets() {
        for (WsContext c : List.copyOf(clients.values())) c.closeSession(1001, "going away");
        clients.clear();
    }

    /** The output images it made, by file name. */
    public Map<String, byte[]> outputs() {
        return Map.copyOf(files);
    }

    /** The graph of the prompt with this id, as received. */
    public JsonNode graph(String promptId) {
        return prompts.stream().filter(p -> p.promptId().equals(promptId)).map(Prompt::graph).reduce((a, b) -> b).orElseThrow();
    }

    // ---------------------------------------------------------------- the HTTP API

    private void prompt(Context ctx) {
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(ctx.bodyAsBytes());
        } catch (java.io.IOException e) {
            ctx.status(400).json(error("invalid_prompt", "Invalid prompt: " + e.getMessage(), "", Json.MAPPER.createObjectNode()));
            return;
        }
        JsonNode graph = body.path("prompt");
        if (!graph.isObject()) {
            ctx.status(400).json(error("no_prompt", "No prompt provided", "", Json.MAPPER.createObjectNode()));
            return;
        }
        ObjectNode nodeErrors = Json.MAPPER.createObjectNode();
        boolean output = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = graph.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> node = it.next();
            String type = node.getValue().path("class_type").asText(null);
            List<String> required = NODE_TYPES.get(type);
            if (required == null) {
                ctx.status(400).json(error("invalid_prompt", "Cannot execute because node " + type + " does not exist.",
                        "Node ID '#" + node.getKey() + "'", Json.MAPPER.createObjectNode()));
                return;
            }
            if (type.equals("SaveImage")) output = true;
            ArrayNode errors = Json.MAPPER.createArrayNode();
            if (type.equals("LoadImage") && !inputs.containsKey(node.getValue().path("inputs").path("image").asText())) {
                errors.addObject().put("type", "custom_validation_failed").put("message", "Custom validation failed for node")
                        .put("details", "image - Invalid image file: " + node.getValue().path("inputs").path("image").asText()).putObject("extra_info");
            }
            for (String input : required) {
                JsonNode v = node.getValue().path("inputs").get(input);
                boolean brokenLink = v != null && v.isArray() && !graph.has(v.path(0).asText());
                if (v == null || v.isNull() || brokenLink) {
                    errors.addObject().put("type", "required_input_missing").put("message", "Required input is missing")
                            .put("details", input).putObject("extra_info").put("input_name", input);
                }
            }
            if (!errors.isEmpty()) {
                ObjectNode e = nodeErrors.putObject(node.getKey());
                e.set("errors", errors);
                e.putArray("dependent_outputs");
                e.put("class_type", type);
            }
        }
        if (!output) {
            ctx.status(400).json(error("prompt_no_outputs", "Prompt has no outputs", "", Json.MAPPER.createObjectNode()));
            return;
        }
        if (!nodeErrors.isEmpty()) {
            ObjectNode o = error("prompt_outputs_failed_validation", "Prompt outputs failed validation", "", nodeErrors);
            ctx.status(400).json(o);
            return;
        }
        String id = body.path("prompt_id").asText(UUID.randomUUID().toString());
        prompts.add(new Prompt(id, graph));
        Queued q = new Queued(number.getAndIncrement(), id, body.path("client_id").asText(""), graph);
        queue.add(q);
        ctx.json(Json.MAPPER.createObjectNode().put("prompt_id", id).put("number", q.number).set("node_errors", Json.MAPPER.createObjectNode()));
    }

    private static ObjectNode error(String type, String message, String details, ObjectNode nodeErrors) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.putObject("error").put("type", type).put("message", message).put("details", details).putObject("extra_info");
        o.set("node_errors", nodeErrors);
        return o;
    }

    private void upload(Context ctx) {
        io.javalin.http.UploadedFile file = ctx.uploadedFile("image");
        if (file == null) {
            ctx.status(400);
            return;
        }
        byte[] bytes;
        try (var in = file.content()) {
            bytes = in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        inputs.put(file.filename(), bytes);
        ctx.json(Json.MAPPER.createObjectNode().put("name", file.filename()).put("subfolder", "").put("type", "input"));
    }

    private void history(Context ctx) {
        String id = ctx.pathParam("id");
        ObjectNode o = Json.MAPPER.createObjectNode();
        ObjectNode h = history.get(id);
        if (h != null) o.set(id, h);
        ctx.json(o);
    }

    private void view(Context ctx) {
        byte[] png = files.get(ctx.queryParam("filename"));
        if (png == null || !"output".equals(ctx.queryParam("type"))) {
            ctx.status(404);
            return;
        }
        ctx.contentType("image/png").result(png);
    }

    private void queueState(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode runningList = o.putArray("queue_running"), pending = o.putArray("queue_pending");
        Queued r = running;
        if (r != null) runningList.addArray().add(r.number).add(r.id).add(r.graph).addObject();
        for (Queued q : queue) pending.addArray().add(q.number).add(q.id).add(q.graph).addObject();
        ctx.json(o);
    }

    private void queueDelete(Context ctx) throws java.io.IOException {
        JsonNode body = Json.MAPPER.readTree(ctx.bodyAsBytes());
        List<String> ids = new ArrayList<>();
        body.path("delete").forEach(n -> ids.add(n.asText()));
        cancels.add("delete " + ids);
        queue.removeIf(q -> ids.contains(q.id));
        ctx.json(Json.MAPPER.createObjectNode());
    }

    private void interrupt(Context ctx) throws java.io.IOException {
        byte[] raw = ctx.bodyAsBytes();
        String id = raw.length == 0 ? null : Json.MAPPER.readTree(raw).path("prompt_id").asText(null);
        cancels.add("interrupt " + (id == null ? "all" : id));
        Queued r = running;
        if (r != null && (id == null || id.equals(r.id))) r.interrupted = true;
        ctx.json(Json.MAPPER.createObjectNode());
    }

    private void cancel(Context ctx) {
        if (legacyCancelOnly) {
            ctx.status(404).result("404: Not Found");
            return;
        }
        String id = ctx.pathParam("id");
        cancels.add("cancel " + id);
        boolean cancelled = queue.removeIf(q -> q.id.equals(id));
        Queued r = running;
        if (r != null && r.id.equals(id)) {
            r.interrupted = true;
            cancelled = true;
        }
        ctx.json(Json.MAPPER.createObjectNode().put("cancelled", cancelled));
    }

    // ---------------------------------------------------------------- running prompts, one at a time

    private void execute() {
        while (!closed) {
            Queued q;
            try {
                q = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (q == null) continue;
            running = q;
            try {
                run(q);
            } catch (InterruptedException e) {
                return;
            } finally {
                running = null;
            }
        }
    }

    private void run(Queued q) throws InterruptedException {
        JsonNode g = q.graph;
        String sampler = nodeOf(g, "KSampler"), save = nodeOf(g, "SaveImage");
        JsonNode k = g.get(sampler).path("inputs");
        int steps = k.path("steps").asInt(8);
        send(q, "execution_start", Json.MAPPER.createObjectNode().put("prompt_id", q.id).put("timestamp", System.currentTimeMillis()));
        send(q, "executing", Json.MAPPER.createObjectNode().put("node", sampler).put("display_node", sampler).put("prompt_id", q.id));
        int started = generation;
        onStart.accept(q.id);
        boolean hang = hangNext;
        hangNext = false;
        for (int step = 1; step <= steps || hang; step++) {
            if (closed) return;
            if (q.interrupted) {
                if (generation != started) return; // lost in a restart: nothing is recorded, nothing is sent
                send(q, "execution_interrupted", Json.MAPPER.createObjectNode().put("prompt_id", q.id).put("node_id", sampler)
                        .put("node_type", "KSampler").set("executed", Json.MAPPER.createArrayNode()));
                record(q, "error", null);
                return;
            }
            Thread.sleep(millisPerStep);
            if (hang) continue;
            send(q, "progress", Json.MAPPER.createObjectNode().put("value", step).put("max", steps).put("prompt_id", q.id).put("node", sampler));
            if (step == Math.max(1, steps / 2)) preview(q);
        }
        if (failNext) {
            failNext = false;
            send(q, "execution_error", Json.MAPPER.createObjectNode().put("prompt_id", q.id).put("node_id", sampler).put("node_type", "KSampler")
                    .put("exception_message", "CUDA out of memory (stand-in)").put("exception_type", "torch.OutOfMemoryError")
                    .set("traceback", Json.MAPPER.createArrayNode()));
            record(q, "error", null);
            return;
        }
        String latent = k.path("latent_image").path(0).asText();
        JsonNode size = g.path(latent).path("inputs");
        String text = g.path(k.path("positive").path(0).asText()).path("inputs").path("text").asText("");
        List<JsonNode> loras = new ArrayList<>();
        for (JsonNode n : g) if (n.path("class_type").asText().equals("LoraLoaderModelOnly")) loras.add(n.path("inputs"));
        byte[] png = SglangStandIn.picture(size.path("width").asInt(), size.path("height").asInt(), text, k.path("seed").asLong(), loras);
        String filename = g.path(save).path("inputs").path("filename_prefix").asText("ComfyUI") + "_" + String.format("%05d", q.number) + "_.png";
        files.put(filename, png);
        ObjectNode image = Json.MAPPER.createObjectNode().put("filename", filename).put("subfolder", "").put("type", "output");
        ObjectNode executed = Json.MAPPER.createObjectNode().put("node", save).put("display_node", save).put("prompt_id", q.id);
        executed.putObject("output").putArray("images").add(image);
        record(q, "success", Map.of(save, image));
        send(q, "executed", executed);
        send(q, "execution_success", Json.MAPPER.createObjectNode().put("prompt_id", q.id).put("timestamp", System.currentTimeMillis()));
        send(q, "executing", Json.MAPPER.createObjectNode().putNull("node").put("prompt_id", q.id));
    }

    private void record(Queued q, String status, Map<String, ObjectNode> outputs) {
        ObjectNode h = Json.MAPPER.createObjectNode();
        h.putArray("prompt").add(q.number).add(q.id).add(q.graph);
        ObjectNode out = h.putObject("outputs");
        if (outputs != null) outputs.forEach((node, image) -> out.putObject(node).putArray("images").add(image));
        h.putObject("status").put("status_str", status).put("completed", status.equals("success")).putArray("messages");
        history.put(q.id, h);
    }

    private void preview(Queued q) {
        WsContext c = clients.get(q.clientId);
        if (c == null) return;
        byte[] png = SglangStandIn.picture(64, 64, "preview " + q.id, q.number, List.of());
        boolean jpeg = jpegPreviews;
        byte[] image = jpeg ? jpeg(png) : png;
        ByteBuffer frame = ByteBuffer.allocate(8 + image.length);
        frame.putInt(1).putInt(jpeg ? 1 : 2).put(image).flip(); // PREVIEW_IMAGE, JPEG or PNG
        try {
            c.send(frame);
        } catch (RuntimeException gone) {
            // the socket dropped: ComfyUI sends to nobody then
        }
    }

    private static byte[] jpeg(byte[] png) {
        try {
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
            java.awt.image.BufferedImage rgb = new java.awt.image.BufferedImage(img.getWidth(), img.getHeight(), java.awt.image.BufferedImage.TYPE_INT_RGB);
            rgb.getGraphics().drawImage(img, 0, 0, null);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(rgb, "jpeg", out);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void send(Queued q, String type, ObjectNode data) {
        WsContext c = clients.get(q.clientId);
        if (c == null) return;
        try {
            c.send(frame(type, data));
        } catch (RuntimeException gone) {
            // as above
        }
    }

    private static String frame(String type, ObjectNode data) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("type", type);
        o.set("data", data);
        return o.toString();
    }

    private static String nodeOf(JsonNode graph, String type) {
        for (Iterator<Map.Entry<String, JsonNode>> it = graph.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> n = it.next();
            if (n.getValue().path("class_type").asText().equals(type)) return n.getKey();
        }
        throw new IllegalStateException("no " + type + " node");
    }

    @Override
    public void close() {
        closed = true;
        executor.interrupt();
        app.stop();
    }

    /** The LoRA nodes of a graph in chain order: name and strength. */
    public static Map<String, Double> loraStrengths(JsonNode graph) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (JsonNode n : graph) {
            if (n.path("class_type").asText().equals("LoraLoaderModelOnly")) {
                out.put(n.path("inputs").path("lora_name").asText(), n.path("inputs").path("strength_model").asDouble());
            }
        }
        return out;
    }
}
