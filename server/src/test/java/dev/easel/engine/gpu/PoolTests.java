package dev.easel.engine.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.TestServer;
import dev.easel.styles.SafetensorsWriter;
import java.util.Map;
import java.util.function.Predicate;

/** What the GPU pool tests share, whatever the servers: waiting on /readyz, and uploading LoRA styles. */
final class PoolTests {
    private PoolTests() {}

    /** Waits until {@code n} servers are in the rotation. */
    static void awaitInRotation(TestServer server, int n) {
        awaitReadyz(server, body -> body.split("\"state\":\"up\"", -1).length - 1 == n);
    }

    /** Polls /readyz until its body satisfies {@code done}: an observable state, not a sleep. */
    static void awaitReadyz(TestServer server, Predicate<String> done) {
        TestServer.await("/readyz in the expected state", () -> done.test(server.send("GET", "/readyz", null, Map.of()).body()));
    }

    /** Uploads a LoRA as a style of the key's account; returns the style's id. */
    static String uploadStyle(TestServer server, String key, byte[] file) {
        TestServer.Response r = server.multipart(key, "/styles", Map.of("title", "s"), "file", "s.safetensors", "application/octet-stream", file);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    /** A small LoRA in diffusers naming (Krea's official files), on layer {@code layer}'s query projection. */
    static byte[] diffusersLora(int layer) {
        return new SafetensorsWriter().peftLayer("transformer.transformer_blocks." + layer + ".attn.to_q", 4, 16, 16).bytes();
    }
}
