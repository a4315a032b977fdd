package dev.easel.engine.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * SGLang Diffusion's HTTP API (ENGINES.md; written against SGLang's {@code multimodal_gen} server as
 * of late 2026). Images: synchronous {@code POST /v1/images/generations}, always with a seed (the
 * server's default is a fixed 1024) and {@code response_format: b64_json} (its default needs cloud
 * storage). LoRAs are global: {@code POST /v1/unmerge_lora_weights} before a different
 * {@code POST /v1/set_lora}. No progress, previews or cancel.
 */
public final class SglangDriver implements GpuDriver {
    private static final Capabilities CAPABILITIES = new Capabilities(false, 8, false, false, false, false, false);

    private final URI base;
    private final HttpClient http;

    public SglangDriver(URI base, HttpClient http) {
        this.base = URI.create(base.toString().endsWith("/") ? base.toString() : base + "/");
        this.http = http;
    }

    @Override
    public String kind() {
        return "sglang";
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public String probe(Duration timeout) throws IOException, InterruptedException {
        JsonNode health = call("GET", "health", null, timeout);
        if (!"ok".equals(health.path("status").asText())) throw new ServerError("/health answered " + health, null);
        JsonNode models = call("GET", "v1/models", null, timeout);
        JsonNode first = models.path("data").path(0);
        if (!first.has("id")) throw new ServerError("/v1/models lists no model", null);
        return first.get("id").asText();
    }

    @Override
    public void setLoras(List<ActiveLora> current, List<ActiveLora> wanted, Duration timeout) throws IOException, InterruptedException {
        if (current == null || !current.isEmpty()) {
            call("POST", "v1/unmerge_lora_weights", Json.MAPPER.createObjectNode().put("target", "all"), timeout);
        }
        if (wanted.isEmpty()) return;
        ObjectNode body = Json.MAPPER.createObjectNode();
        ArrayNode names = body.putArray("lora_nickname"), paths = body.putArray("lora_path"), strengths = body.putArray("strength");
        for (ActiveLora l : wanted) {
            names.add(l.nickname());
            paths.add(l.path());
            strengths.add(l.strength());
        }
        body.put("target", "all");
        call("POST", "v1/set_lora", body, timeout);
    }

    @Override
    public Output generate(Request r, Duration timeout, Events events) throws IOException, InterruptedException {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("prompt", r.prompt());
        body.put("n", 1);
        body.put("width", r.width());
        body.put("height", r.height());
        body.put("seed", r.seed());
        body.put("num_inference_steps", r.steps());
        body.put("guidance_scale", r.guidanceScale());
        body.put("response_format", "b64_json");
        body.put("output_format", "png");
        JsonNode answer = call("POST", "v1/images/generations", body, timeout);
        JsonNode image = answer.path("data").path(0).path("b64_json");
        if (!image.isTextual()) throw new ServerError("the answer has no data[0].b64_json", null);
        try {
            return new Output(Base64.getDecoder().decode(image.textValue()), answer.path("inference_time_s").asDouble(0));
        } catch (IllegalArgumentException e) {
            throw new ServerError("data[0].b64_json is not base64", e);
        }
    }

    /** One exchange: the JSON answer of a 2xx; {@link Refused} for 400 and 422 (with SGLang's detail); else {@link ServerError}. */
    private JsonNode call(String method, String path, JsonNode body, Duration timeout) throws IOException, InterruptedException {
        HttpResponse<byte[]> res = GpuHttp.send(http, base, method, path, body, timeout);
        JsonNode json;
        try {
            json = res.body().length == 0 ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(res.body());
        } catch (IOException e) {
            throw new ServerError(method + " /" + path + " answered " + res.statusCode() + " with a body that is not JSON", e);
        }
        if (res.statusCode() / 100 == 2) return json;
        String detail = json.path("detail").isMissingNode() ? json.toString() : json.get("detail").toString();
        if (res.statusCode() == 400 || res.statusCode() == 422) {
            throw new Refused("sglang refused " + method + " /" + path + " (" + res.statusCode() + "): " + detail);
        }
        throw new ServerError(method + " /" + path + " answered " + res.statusCode() + ": " + detail, null);
    }
}
