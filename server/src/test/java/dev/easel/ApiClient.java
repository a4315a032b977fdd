package dev.easel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.TestServer.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Predicate;

/** A small HTTP client for the easel API at {@code base}, in this process or another. */
public class ApiClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    public final String base;

    public ApiClient(String base) {
        this.base = base;
    }

    public Response generate(String key, String body) {
        return send("POST", TestServer.GENERATE, body, Map.of("Authorization", "Bearer " + key));
    }

    public Response get(String key, String path) {
        return send("GET", path, null, Map.of("Authorization", "Bearer " + key));
    }

    public Response delete(String key, String path) {
        return send("DELETE", path, null, Map.of("Authorization", "Bearer " + key));
    }

    public Response send(String method, String path, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        headers.forEach(b::header);
        return send(b.build());
    }

    /**
     * A multipart/form-data POST: the text {@code fields}, then (when {@code data} is not null) one file
     * field {@code fileField} with its name and declared type.
     */
    public Response multipart(String key, String path, Map<String, String> fields, String fileField, String filename,
                              String contentType, byte[] data) {
        String boundary = "easel-test-" + Long.toHexString(System.nanoTime());
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        java.nio.charset.Charset utf8 = java.nio.charset.StandardCharsets.UTF_8;
        fields.forEach((name, value) -> body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name
                + "\"\r\n\r\n" + value + "\r\n").getBytes(utf8)));
        if (data != null) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fileField + "\"; filename=\""
                    + filename + "\"\r\nContent-Type: " + contentType + "\r\n\r\n").getBytes(utf8));
            body.writeBytes(data);
            body.writeBytes("\r\n".getBytes(utf8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(utf8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        return send(request);
    }

    /** Sends, and holds the answer to the served OpenAPI document (see {@link OpenApiContract}). */
    private Response send(HttpRequest request) {
        try {
            HttpResponse<byte[]> r = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (!request.uri().getPath().equals("/openapi.json")) {
                OpenApiContract.of(base).check(request.method(), request.uri().getPath(), r.statusCode(),
                        r.headers().firstValue("Content-Type"), r.body());
            }
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Polls GET /jobs/{id} until {@code done} holds, for at most 30 s of real time. */
    public JsonNode awaitJob(String key, String jobId, Predicate<JsonNode> done) {
        Instant deadline = Instant.now().plusSeconds(30);
        JsonNode job = null;
        while (Instant.now().isBefore(deadline)) {
            job = get(key, "/jobs/" + jobId).json();
            if (done.test(job)) return job;
            sleep(10);
        }
        throw new AssertionError("job " + jobId + " did not reach the expected state; last seen: " + job);
    }

    public JsonNode awaitStatus(String key, String jobId, String status) {
        return awaitJob(key, jobId, j -> j.get("status").asText().equals(status));
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
