package dev.easel.engine.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.easel.engine.png.PngEncoder;
import dev.easel.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stand-in for an SGLang Diffusion server serving Krea 2, for tests: the real one needs a GPU and
 * weights, which CI has not. Written from SGLang's documented API (ENGINES.md), not from its code:
 * <ul>
 *   <li>{@code GET /health} → {@code {"status":"ok"}}; {@code GET /v1/models} → {@code {"object":"list","data":[{id, pipeline_class}]}};</li>
 *   <li>{@code POST /v1/images/generations}: validates its body like SGLang (422 {@code {"detail":[…]}} for a
 *       wrong type or a size that is not a multiple of 16; 400 {@code {"detail"}} for {@code response_format: url}
 *       without storage; unknown fields accepted; an omitted seed is 1024), renders one image at a time,
 *       and answers {@code {"id","created","data":[{"b64_json","revised_prompt"}],"inference_time_s","peak_memory_mb"}};</li>
 *   <li>LoRAs global to the server: {@code POST /v1/set_lora} (lists or single values; the files must exist),
 *       refused while a different set is merged until {@code POST /v1/unmerge_lora_weights};
 *       {@code GET /v1/list_loras}.</li>
 * </ul>
 * The PNG is real, of the requested size, and its pixels follow the prompt, the seed and the merged
 * LoRAs. Tests make it slow, fail, hang or die on demand, and read the calls it received.
 */
public final class SglangStandIn implements AutoCloseable {
    /** One call as received: method, path and JSON body (null when none). */
    public record Call(String method, String path, JsonNode body) {}

    public final List<Call> calls = new CopyOnWriteArrayList<>();
    public volatile long millisPerImage;
    /** What merging a LoRA set costs (a real server re-patches the model's weights; 0 here by default). */
    public volatile long millisPerLoraSet;
    /** The next image request answers this status with {@code {"detail"}} (0: none). */
    public volatile int failNextWith;
    /** The next {@code set_lora} answers this status with {@code {"detail"}} (0: none). */
    public volatile int failNextSetLoraWith;
    /** The next image request never answers (until {@link #close()}). */
    public volatile boolean hangNext;
    /** The next image request kills the server: its connection is dropped, and nothing answers any more. */
    public volatile boolean dieNext;

    private final HttpServer server;
    private final String model;
    private final ReentrantLock gpu = new ReentrantLock(true); // one image at a time, as SGLang renders them
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile List<JsonNode> merged = List.of();
    private volatile boolean dead;

    public SglangStandIn(String model) {
        this.model = model;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public SglangStandIn() {
        this("krea/Krea-2-Turbo");
    }

    /** Stops answering at once, as a server whose process died: connections are refused. */
    public void die() {
        dead = true;
        server.stop(0);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Call> calls(String path) {
        return calls.stream().filter(c -> c.path().equals(path)).toList();
    }

    /** The paths of the LoRA and image calls, in order: {@code set_lora}, {@code unmerge}, {@code generate}. */
    public List<String> loraAndImageCalls() {
        List<String> out = new ArrayList<>();
        for (Call c : calls) {
            switch (c.path()) {
                case "/v1/set_lora" -> out.add("set_lora " + c.body().get("lora_nickname"));
                case "/v1/unmerge_lora_weights" -> out.add("unmerge");
                case "/v1/images/generations" -> out.add("generate");
                default -> { }
            }
        }
        return out;
    }

    private void handle(HttpExchange ex) throws IOException {
        if (dead) {
            ex.close();
            return;
        }
        JsonNode body = null;
        byte[] raw = ex.getRequestBody().readAllBytes();
        if (raw.length > 0) {
            try {
                body = Json.MAPPER.readTree(raw);
            } catch (IOException e) {
                reply(ex, 422, detailList("body", "JSON decode error"));
                return;
            }
        }
        String path = ex.getRequestURI().getPath();
        calls.add(new Call(ex.getRequestMethod(), path, body));
        try {
            switch (ex.getRequestMethod() + " " + path) {
                case "GET /health" -> reply(ex, 200, Json.MAPPER.createObjectNode().put("status", "ok"));
                case "GET /v1/models" -> {
                    ObjectNode o = Json.MAPPER.createObjectNode().put("object", "list");
                    o.putArray("data").addObject().put("id", model).put("object", "model").put("pipeline_class", "Krea2Pipeline");
                    reply(ex, 200, o);
                }
                case "POST /v1/images/generations" -> generate(ex, body);
                case "POST /v1/set_lora" -> setLora(ex, body);
                case "POST /v1/unmerge_lora_weights" -> {
                    merged = List.of();
                    reply(ex, 200, Json.MAPPER.createObjectNode().put("status", "ok").put("message", "unmerged"));
                }
                case "GET /v1/list_loras" -> {
                    ObjectNode o = Json.MAPPER.createObjectNode();
                    ArrayNode active = o.putObject("active").putArray("transformer");
                    merged.forEach(active::add);
                    reply(ex, 200, o);
                }
                default -> reply(ex, 404, Json.MAPPER.createObjectNode().put("detail", "Not Found"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void generate(HttpExchange ex, JsonNode body) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        if (body == null || !body.isObject()) {
            reply(ex, 422, detailList("body", "Input should be a valid dictionary"));
            return;
        }
        if (!body.path("prompt").isTextual()) problems.add("prompt");
        for (String f : List.of("width", "height", "seed", "num_inference_steps", "n")) {
            if (body.has(f) && !body.get(f).isIntegralNumber()) problems.add(f);
        }
        if (body.has("guidance_scale") && !body.get("guidance_scale").isNumber()) problems.add("guidance_scale");
        int width = body.path("width").asInt(1024), height = body.path("height").asInt(1024);
        if (width % 16 != 0 || height % 16 != 0 || width < 256 || height < 256 || width > 2048 || height > 2048) problems.add("width/height");
        if (!problems.isEmpty()) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            ArrayNode detail = o.putArray("detail");
            problems.forEach(p -> detail.addObject().put("loc", "body." + p).put("msg", "invalid value").put("type", "value_error"));
            reply(ex, 422, o);
            return;
        }
        if (!"b64_json".equals(body.path("response_format").asText("url"))) {
            reply(ex, 400, Json.MAPPER.createObjectNode().put("detail", "response_format=url needs cloud storage or an output path"));
            return;
        }
        gpu.lockInterruptibly();
        try {
            long started = System.nanoTime();
            if (dieNext) {
                dead = true;
                server.stop(0);
                ex.close();
                return;
            }
            if (hangNext) {
                hangNext = false;
                closed.await();
                ex.close();
                return;
            }
            if (failNextWith != 0) {
                int status = failNextWith;
                failNextWith = 0;
                reply(ex, status, Json.MAPPER.createObjectNode().put("detail", "CUDA out of memory (stand-in)"));
                return;
            }
            if (millisPerImage > 0) Thread.sleep(millisPerImage);
            long seed = body.path("seed").asLong(1024);
            byte[] png = picture(width, height, body.get("prompt").asText(), seed, merged);
            ObjectNode o = Json.MAPPER.createObjectNode().put("id", "img-" + Long.toHexString(seed)).put("created", System.currentTimeMillis() / 1000);
            o.putArray("data").addObject().put("b64_json", Base64.getEncoder().encodeToString(png)).putNull("revised_prompt");
            o.put("inference_time_s", (System.nanoTime() - started) / 1e9);
            o.put("peak_memory_mb", 31_000);
            reply(ex, 200, o);
        } finally {
            gpu.unlock();
        }
    }

    private void setLora(HttpExchange ex, JsonNode body) throws IOException {
        if (body == null || !body.has("lora_nickname") || !body.has("lora_path")) {
            reply(ex, 422, detailList("body.lora_nickname", "Field required"));
            return;
        }
        if (failNextSetLoraWith != 0) {
            int status = failNextSetLoraWith;
            failNextSetLoraWith = 0;
            reply(ex, status, Json.MAPPER.createObjectNode().put("detail", "cannot load the LoRA (stand-in)"));
            return;
        }
        List<JsonNode> names = list(body.get("lora_nickname")), paths = list(body.get("lora_path")), strengths = list(body.get("strength"));
        if (names.size() != paths.size() || (!strengths.isEmpty() && strengths.size() != names.size())) {
            reply(ex, 400, Json.MAPPER.createObjectNode().put("detail", "lora_nickname, lora_path and strength must have the same length"));
            return;
        }
        List<JsonNode> wanted = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (!Files.isRegularFile(Path.of(paths.get(i).asText()))) {
                reply(ex, 400, Json.MAPPER.createObjectNode().put("detail", "LoRA file not found: " + paths.get(i).asText()));
                return;
            }
            wanted.add(Json.MAPPER.createObjectNode().put("nickname", names.get(i).asText()).put("path", paths.get(i).asText())
                    .put("merged", true).put("strength", strengths.isEmpty() ? 1.0 : strengths.get(i).asDouble()));
        }
        if (!merged.isEmpty() && !merged.equals(wanted)) {
            reply(ex, 400, Json.MAPPER.createObjectNode().put("detail", "a different LoRA set is merged: call /v1/unmerge_lora_weights first"));
            return;
        }
        if (millisPerLoraSet > 0) {
            try {
                Thread.sleep(millisPerLoraSet);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        merged = List.copyOf(wanted);
        reply(ex, 200, Json.MAPPER.createObjectNode().put("status", "ok").put("message", "set " + names.size() + " LoRA(s)"));
    }

    private static List<JsonNode> list(JsonNode n) {
        List<JsonNode> out = new ArrayList<>();
        if (n == null || n.isNull()) return out;
        if (n.isArray()) n.forEach(out::add);
        else out.add(n);
        return out;
    }

    /** A picture that follows the prompt, the seed and the merged LoRAs: a two-colour gradient. */
    static byte[] picture(int width, int height, String prompt, long seed, List<JsonNode> loras) {
        int h = (prompt + "#" + seed + "#" + loras).hashCode();
        int r0 = h & 0xff, g0 = (h >> 8) & 0xff, b0 = (h >> 16) & 0xff;
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                rgb[i] = (byte) (r0 + x * 64 / width);
                rgb[i + 1] = (byte) (g0 + y * 64 / height);
                rgb[i + 2] = (byte) b0;
            }
        }
        return PngEncoder.encode(width, height, rgb, Map.of());
    }

    private static ObjectNode detailList(String loc, String msg) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.putArray("detail").addObject().put("loc", loc).put("msg", msg).put("type", "value_error");
        return o;
    }

    private static void reply(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}
