package dev.easel.engine.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * ComfyUI's HTTP and WebSocket API (ENGINES.md; written against ComfyUI's {@code server.py} as of late
 * 2026, version 0.3.x with native Krea 2 nodes). Per image: a WebSocket {@code /ws?clientId=} named
 * after the request, then {@code POST /prompt} with the graph ({@link ComfyGraph}) under the request's
 * id as {@code prompt_id}; {@code progress} frames are the steps, binary frames the previews; at
 * {@code execution_success} the image is read through {@code /history/{id}} and {@code /view}. LoRAs
 * travel in each graph, any number, negative strengths included. Cancel: {@code POST /api/jobs/{id}/cancel},
 * or on older servers {@code POST /interrupt} (only while that prompt runs) and {@code POST /queue {"delete"}}.
 *
 * <p>ComfyUI keeps its queue and history in memory: when the socket drops, the driver connects again
 * and reads the prompt's state from {@code /history} and {@code /queue}; a prompt found in neither was
 * lost (the server restarted) and fails as the server's fault, so the job goes back to the queue
 * without losing an attempt. A submit whose answer was lost is sent again only if the server does not
 * know its {@code prompt_id}: ComfyUI itself would run it twice.
 */
public final class ComfyuiDriver implements GpuDriver {
    private static final Capabilities CAPABILITIES = new Capabilities(true, 32, true, true, true, true, true);
    /** Without a frame for this long, the prompt's state is read from the server (a frame may have been missed). */
    private static final long QUIET_MILLIS = 2_000;

    private final URI base;
    private final HttpClient http;
    private final ComfyGraph graph;

    public ComfyuiDriver(URI base, HttpClient http, ComfyGraph graph) {
        this.base = URI.create(base.toString().endsWith("/") ? base.toString() : base + "/");
        this.http = http;
        this.graph = graph;
    }

    @Override
    public String kind() {
        return "comfyui";
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public String probe(Duration timeout) throws IOException, InterruptedException {
        JsonNode stats = json(call("GET", "system_stats", null, timeout), "system_stats");
        String version = stats.path("system").path("comfyui_version").asText("");
        if (version.isEmpty()) throw new ServerError("/system_stats names no comfyui_version: " + stats, null);
        return graph.model();
    }

    @Override
    public boolean appliesReferences() {
        return graph.usesReference();
    }

    @Override
    public void setLoras(List<ActiveLora> current, List<ActiveLora> wanted, Duration timeout) {
        throw new UnsupportedOperationException("comfyui takes LoRAs with each request");
    }

    /** What the socket brought: a JSON frame, a preview, or its end. */
    private sealed interface Frame {
        record Message(JsonNode message) implements Frame {}

        record Preview(byte[] image) implements Frame {}

        record Closed(String why) implements Frame {}
    }

    @Override
    public Output generate(Request r, Duration timeout, Events events) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        WebSocket socket = connect(r.id(), frames, timeout);
        try {
            submit(r, timeout);
            long quietSince = System.nanoTime();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    try {
                        cancel(r.id(), Duration.ofSeconds(5)); // a prompt past its deadline would hold the GPU for nothing
                    } catch (IOException notCancelled) {
                        // the server is failing anyway
                    }
                    throw new ServerError("no image within " + timeout.toSeconds() + " s", null);
                }
                Frame f = frames.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(250)), TimeUnit.NANOSECONDS);
                if (f == null) {
                    if (System.nanoTime() - quietSince > TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS)) {
                        JsonNode ended = ended(r.id(), timeout);
                        if (ended != null) return image(ended, timeout);
                        quietSince = System.nanoTime();
                    }
                    continue;
                }
                quietSince = System.nanoTime();
                switch (f) {
                    case Frame.Preview p -> events.preview(p.image());
                    case Frame.Closed c -> {
                        // the socket dropped: connect again, then read what happened meanwhile
                        socket = connect(r.id(), frames, timeout);
                        JsonNode ended = ended(r.id(), timeout);
                        if (ended != null) return image(ended, timeout);
                    }
                    case Frame.Message j -> {
                        JsonNode data = j.message().path("data");
                        if (!r.id().equals(data.path("prompt_id").asText())) continue;
                        switch (j.message().path("type").asText()) {
                            case "progress" -> events.step(data.path("value").asInt(), data.path("max").asInt());
                            case "execution_success" -> {
                                return image(history(r.id(), timeout), timeout);
                            }
                            case "executing" -> {
                                if (data.path("node").isNull()) return image(history(r.id(), timeout), timeout);
                            }
                            case "execution_error" -> throw new ServerError("the prompt failed in node " + data.path("node_type").asText()
                                    + ": " + data.path("exception_message").asText(), null);
                            case "execution_interrupted" -> throw new ServerError("the prompt was interrupted", null);
                            default -> { }
                        }
                    }
                }
            }
        } finally {
            socket.abort();
        }
    }

    /** Sends the prompt; when its answer is lost, sends it again only if the server does not know it. */
    private void submit(Request r, Duration timeout) throws IOException, InterruptedException {
        String reference = graph.usesReference() ? upload(r, timeout) : null;
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("prompt", graph.of(r, reference));
        body.put("client_id", r.id());
        body.put("prompt_id", r.id());
        try {
            json(call("POST", "prompt", body, timeout), "prompt");
        } catch (ServerError lost) {
            if (known(r.id(), timeout)) return;
            json(call("POST", "prompt", body, timeout), "prompt");
        }
    }

    /** A plain grey PNG: the reference of a job that has none, for a graph that needs an image (at strength 0). */
    private static final byte[] GREY = dev.easel.engine.png.PngEncoder.encode(8, 8, grey(8 * 8 * 3), java.util.Map.of());

    private static byte[] grey(int n) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) 128);
        return b;
    }

    /** Uploads the job's reference image ({@code POST /upload/image}) and returns its name on the server for a LoadImage node. */
    private String upload(Request r, Duration timeout) throws IOException, InterruptedException {
        byte[] png = r.reference() == null ? GREY : r.reference().png();
        String boundary = "easel-" + java.util.UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"easel-ref-" + r.id() + ".png\"\r\n"
                + "Content-Type: image/png\r\n\r\n";
        body.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        body.writeBytes(png);
        body.writeBytes(("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ninput\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\ntrue\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<byte[]> res;
        try {
            res = http.send(java.net.http.HttpRequest.newBuilder(base.resolve("upload/image")).timeout(timeout)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ServerError("POST /upload/image failed: " + e, e);
        }
        JsonNode uploaded = json(res, "upload/image");
        String name = uploaded.path("name").asText("");
        if (name.isEmpty()) throw new ServerError("/upload/image answered without a name: " + uploaded, null);
        String sub = uploaded.path("subfolder").asText("");
        return sub.isEmpty() ? name : sub + "/" + name;
    }

    /** The prompt's entry in {@code /history} (missing while it is queued or runs, or when the server lost it). */
    private JsonNode history(String id, Duration timeout) throws IOException, InterruptedException {
        return json(call("GET", "history/" + id, null, timeout), "history").path(id);
    }

    /**
     * The prompt's {@code /history} entry once it has ended well; null while it is queued or runs; a
     * {@link ServerError} when the server knows it no more (it restarted) or it ended without an image.
     */
    private JsonNode ended(String id, Duration timeout) throws IOException, InterruptedException {
        JsonNode entry = history(id, timeout);
        if (!entry.isMissingNode()) {
            if ("success".equals(entry.path("status").path("status_str").asText())) return entry;
            throw new ServerError("the prompt ended with status " + entry.path("status").path("status_str").asText("unknown"), null);
        }
        if (queuePlace(id, timeout) != null) return null;
        throw new ServerError("the prompt is in neither the server's queue nor its history: the server lost it (a restart?)", null);
    }

    private boolean known(String id, Duration timeout) throws IOException, InterruptedException {
        return !history(id, timeout).isMissingNode() || queuePlace(id, timeout) != null;
    }

    /** Where the prompt is in {@code /queue}: {@code queue_running}, {@code queue_pending}, or null when it is not there. */
    private String queuePlace(String id, Duration timeout) throws IOException, InterruptedException {
        JsonNode queue = json(call("GET", "queue", null, timeout), "queue");
        for (String list : List.of("queue_running", "queue_pending")) {
            for (JsonNode item : queue.path(list)) if (id.equals(item.path(1).asText())) return list;
        }
        return null;
    }

    /** The first output image of the prompt's {@code /history} entry, through /view. */
    private Output image(JsonNode entry, Duration timeout) throws IOException, InterruptedException {
        JsonNode outputs = entry.path("outputs");
        for (JsonNode node : outputs) {
            JsonNode image = node.path("images").path(0);
            if (!image.has("filename")) continue;
            String query = "filename=" + enc(image.path("filename").asText()) + "&subfolder=" + enc(image.path("subfolder").asText(""))
                    + "&type=" + enc(image.path("type").asText("output"));
            HttpResponse<byte[]> res = call("GET", "view?" + query, null, timeout);
            if (res.statusCode() != 200) throw new ServerError("/view answered " + res.statusCode() + " for " + image, null);
            return new Output(res.body(), 0);
        }
        throw new ServerError("the prompt's history has no image: " + outputs, null);
    }

    @Override
    public void cancel(String requestId, Duration timeout) throws IOException, InterruptedException {
        HttpResponse<byte[]> res = call("POST", "api/jobs/" + enc(requestId) + "/cancel", Json.MAPPER.createObjectNode(), timeout);
        if (res.statusCode() / 100 == 2) return;
        if (res.statusCode() != 404 && res.statusCode() != 405) throw new ServerError("cancel answered " + res.statusCode(), null);
        // an older server: /interrupt stops whatever runs, so only while this prompt is what runs; and out of the queue
        if ("queue_running".equals(queuePlace(requestId, timeout))) {
            json(call("POST", "interrupt", Json.MAPPER.createObjectNode().put("prompt_id", requestId), timeout), "interrupt");
        }
        ObjectNode delete = Json.MAPPER.createObjectNode();
        delete.putArray("delete").add(requestId);
        json(call("POST", "queue", delete, timeout), "queue");
    }

    private WebSocket connect(String clientId, BlockingQueue<Frame> frames, Duration timeout) throws IOException, InterruptedException {
        URI ws = URI.create((base.getScheme().equals("https") ? "wss" : "ws") + base.toString().substring(base.getScheme().length()) + "ws?clientId=" + enc(clientId));
        try {
            return http.newWebSocketBuilder().connectTimeout(timeout).buildAsync(ws, new Listener(frames)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new ServerError("the WebSocket " + ws + " could not be opened: " + (e.getCause() != null ? e.getCause() : e), e);
        }
    }

    /** Gathers each message's parts into frames for the waiting thread. */
    private static final class Listener implements WebSocket.Listener {
        private final BlockingQueue<Frame> frames;
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

        Listener(BlockingQueue<Frame> frames) {
            this.frames = frames;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    frames.add(new Frame.Message(Json.MAPPER.readTree(text.toString())));
                } catch (IOException e) {
                    // not JSON: not a frame of ComfyUI's protocol; ignored
                }
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            binary.writeBytes(chunk);
            if (last) {
                byte[] all = binary.toByteArray();
                binary.reset();
                // 4 bytes event type (1: a preview image), 4 bytes image type (1 JPEG, 2 PNG), the image
                if (all.length > 8 && ByteBuffer.wrap(all).getInt(0) == 1) {
                    byte[] image = java.util.Arrays.copyOfRange(all, 8, all.length);
                    byte[] png = ByteBuffer.wrap(all).getInt(4) == 2 ? image : asPng(image);
                    if (png != null) frames.add(new Frame.Preview(png));
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            frames.add(new Frame.Closed(status + " " + reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            frames.add(new Frame.Closed(error.toString()));
        }
    }

    /** A JPEG preview (ComfyUI's default) as a PNG, as easel keeps previews; null when it cannot be decoded (it is skipped). */
    static byte[] asPng(byte[] image) {
        try {
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(image));
            if (img == null) return null;
            int w = img.getWidth(), h = img.getHeight();
            return References.png(new dev.easel.engine.RenderSpec.Pixels(w, h, img.getRGB(0, 0, w, h, null, 0, w)));
        } catch (IOException e) {
            return null;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A 2xx answer's JSON; {@link Refused} for a 400 (an invalid graph, with ComfyUI's error); else {@link ServerError}. */
    private static JsonNode json(HttpResponse<byte[]> res, String what) throws IOException {
        JsonNode json;
        try {
            json = res.body().length == 0 ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(res.body());
        } catch (IOException e) {
            throw new ServerError("/" + what + " answered " + res.statusCode() + " with a body that is not JSON", e);
        }
        if (res.statusCode() / 100 == 2) return json;
        if (res.statusCode() == 400) {
            throw new Refused("comfyui refused /" + what + ": " + json.path("error").path("message").asText(json.toString())
                    + (json.path("node_errors").isEmpty() ? "" : " " + json.get("node_errors")));
        }
        throw new ServerError("/" + what + " answered " + res.statusCode() + ": " + json, null);
    }

    private HttpResponse<byte[]> call(String method, String path, JsonNode body, Duration timeout) throws IOException, InterruptedException {
        return GpuHttp.send(http, base, method, path, body, timeout);
    }
}
