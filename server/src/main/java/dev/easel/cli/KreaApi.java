package dev.easel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The API server a command talks to, over its public HTTP API only (easel or any Krea-compatible
 * server): JSON in and out with the bearer key; a refusal is {@link Refused}, a server that cannot be
 * reached (or answers 5xx) is {@link Unreachable}.
 */
final class KreaApi {
    /** The server answered 4xx: the request is wrong, and its {@code error} says how. */
    static final class Refused extends Exception {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** No answer, or a 5xx: the server cannot serve it now. */
    static final class Unreachable extends Exception {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final URI base;
    private final String key;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    KreaApi(URI base, String key) {
        this.base = base;
        this.key = key;
    }

    URI base() {
        return base;
    }

    JsonNode get(String path) throws Refused, Unreachable, InterruptedException {
        return send("GET", path, null, null);
    }

    JsonNode delete(String path) throws Refused, Unreachable, InterruptedException {
        return send("DELETE", path, null, null);
    }

    JsonNode post(String path, JsonNode body, String webhookUrl) throws Refused, Unreachable, InterruptedException {
        return send("POST", path, body, webhookUrl);
    }

    private JsonNode send(String method, String path, JsonNode body, String webhookUrl) throws Refused, Unreachable, InterruptedException {
        HttpRequest.Builder b = request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body.toString()));
        if (body != null) b.header("Content-Type", "application/json");
        if (webhookUrl != null) b.header("X-Webhook-URL", webhookUrl);
        return answer(method, path, exchange(b.build(), HttpResponse.BodyHandlers.ofByteArray()));
    }

    /** A 2xx answer's JSON; else {@link Refused} (4xx) or {@link Unreachable}. */
    private static JsonNode answer(String method, String path, HttpResponse<byte[]> res) throws Refused, Unreachable {
        JsonNode json;
        try {
            json = res.body().length == 0 ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(res.body());
        } catch (IOException e) {
            throw new Unreachable(method + " " + path + " answered " + res.statusCode() + " with a body that is not JSON", e);
        }
        if (res.statusCode() / 100 == 2) return json;
        String message = json.path("error").isTextual() ? json.get("error").asText() : json.toString();
        if (res.statusCode() / 100 == 4) throw new Refused(res.statusCode(), message);
        throw new Unreachable("the server answered " + res.statusCode() + ": " + message, null);
    }

    /** A multipart upload: {@code file} as the part {@code file}, and text fields (null values left out). */
    JsonNode upload(String path, java.nio.file.Path file, java.util.Map<String, String> fields) throws Refused, Unreachable, InterruptedException {
        String boundary = "easel-" + java.util.UUID.randomUUID();
        StringBuilder head = new StringBuilder();
        fields.forEach((name, value) -> {
            if (value != null) {
                head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"").append(name).append("\"\r\n\r\n")
                        .append(value).append("\r\n");
            }
        });
        head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"")
                .append(file.getFileName().toString().replace("\"", "")).append("\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        HttpRequest.BodyPublisher body;
        try {
            body = HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofString(head.toString()), HttpRequest.BodyPublishers.ofFile(file),
                    HttpRequest.BodyPublishers.ofString("\r\n--" + boundary + "--\r\n"));
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException("no file " + file);
        }
        HttpResponse<byte[]> res = exchange(request(path).header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(body).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return answer("POST", path, res);
    }

    /** A file at an absolute URL (a result image: its URL is a capability, no key is sent). */
    byte[] download(String url) throws Unreachable, InterruptedException, Refused {
        HttpResponse<byte[]> res = exchange(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (res.statusCode() == 200) return res.body();
        if (res.statusCode() / 100 == 4) throw new Refused(res.statusCode(), "the image at " + url + " answered " + res.statusCode());
        throw new Unreachable("the image at " + url + " answered " + res.statusCode(), null);
    }

    /**
     * Follows {@code GET /jobs/{id}/events} and hands each job object to {@code seen} until it returns
     * true (a terminal status); a dropped stream is opened again (it starts with the job as it is).
     */
    void follow(String jobId, Predicate<JsonNode> seen) throws Refused, Unreachable, InterruptedException {
        int failures = 0;
        while (true) {
            HttpResponse<InputStream> res = exchange(request("/jobs/" + jobId + "/events").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (res.statusCode() / 100 == 4) throw new Refused(res.statusCode(), "the job's event stream answered " + res.statusCode());
            try (BufferedReader r = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("event: deleted")) throw new Refused(404, "job " + jobId + " was deleted");
                    if (line.startsWith("data: ") && seen.test(Json.MAPPER.readTree(line.substring(6)))) return;
                }
            } catch (IOException e) {
                if (++failures > 5) throw new Unreachable("the job's event stream keeps dropping: " + e.getMessage(), e);
            }
            Thread.sleep(500);
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return b;
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws Unreachable, InterruptedException {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new Unreachable("cannot reach " + base + ": " + e, e);
        }
    }
}
