package dev.easel.engine.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** One HTTP exchange with a GPU server, for every driver: a lost connection or a missed deadline is the server's failure. */
final class GpuHttp {
    private GpuHttp() {}

    /** {@code method base/path} with {@code body} as JSON (none when null); any status comes back, to the driver to judge. */
    static HttpResponse<byte[]> send(HttpClient http, URI base, String method, String path, JsonNode body, Duration timeout)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new GpuDriver.ServerError(method + " /" + path + " got no answer within " + timeout.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new GpuDriver.ServerError(method + " /" + path + " failed: " + e, e);
        }
    }
}
