package dev.easel.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's output classifier, called with every finished image before it is stored (the Krea 2
 * weights' licence obliges operators to filter output). Our contract: {@code POST} the PNG as
 * {@code image/png}; a 2xx answers {@code {"flagged": bool, "categories": [string]}}. Anything else
 * (an error, another shape, no answer within the timeout) is {@link Unavailable}: the job fails
 * closed. The URL is the operator's, usually on a private network, so the guard for user-chosen URLs
 * does not apply.
 */
public final class ContentFilter implements AutoCloseable {
    /** The classifier's verdict. */
    public record Verdict(boolean flagged, List<String> categories) {}

    /** The classifier could not give a verdict. */
    public static final class Unavailable extends Exception {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final URI url;
    private final Duration timeout;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();

    public ContentFilter(URI url, Duration timeout) {
        this.url = url;
        this.timeout = timeout;
    }

    public Verdict check(byte[] png) throws Unavailable, InterruptedException {
        HttpResponse<byte[]> res;
        try {
            res = http.send(HttpRequest.newBuilder(url).timeout(timeout).header("Content-Type", "image/png")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new Unavailable("the content filter did not answer: " + e.getClass().getSimpleName(), e);
        }
        if (res.statusCode() / 100 != 2) throw new Unavailable("the content filter answered HTTP " + res.statusCode(), null);
        JsonNode verdict;
        try {
            verdict = Json.MAPPER.readTree(res.body());
        } catch (IOException e) {
            throw new Unavailable("the content filter's answer is not JSON", e);
        }
        if (verdict == null || !verdict.path("flagged").isBoolean()) throw new Unavailable("the content filter's answer has no boolean \"flagged\"", null);
        List<String> categories = new ArrayList<>();
        verdict.path("categories").forEach(c -> categories.add(c.asText()));
        return new Verdict(verdict.get("flagged").booleanValue(), categories);
    }

    @Override
    public void close() {
        http.close();
    }
}
