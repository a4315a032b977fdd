package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.MutableClock;
import dev.easel.TestServer;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every rule of the request schema, over real HTTP: one case per rule, asserting the 400 and its message. */
class GenerateValidationTest {
    static TestServer server;
    static String key;

    @BeforeAll
    static void start() {
        server = TestServer.start(0, 0, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")));
        key = server.account("1000", 10_000, 10_000);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A valid body with one field replaced (or added); {@code null} removes the field. */
    static String with(String field, String json) {
        var o = TestServer.object("{\"prompt\":\"a fox\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\"}");
        if (json == null) o.remove(field);
        else o.set(field, TestServer.object("{\"v\":" + json + "}").get("v"));
        return o.toString();
    }

    static Stream<Arguments> invalid() {
        String uuid = "0b7a4b8e-2f0c-4c1e-9a51-9f2d1c3e4a5b";
        return Stream.of(
                Arguments.of("not JSON", "{prompt:", "request body is not valid JSON"),
                Arguments.of("empty body", "", "request body must be a JSON object (got an empty body)"),
                Arguments.of("array body", "[1,2]", "request body must be a JSON object (got an array)"),
                Arguments.of("string body", "\"hello\"", "request body must be a JSON object (got a string)"),
                Arguments.of("duplicate key", "{\"prompt\":\"a\",\"prompt\":\"b\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\"}", "request body is not valid JSON: Duplicate field 'prompt'"),
                Arguments.of("unknown field", with("negative_prompt", "\"x\""), "unknown field \"negative_prompt\" (allowed: prompt, seed, styles, image_style_references, aspect_ratio, resolution, creativity, intensity, complexity, moodboards)"),
                Arguments.of("prompt missing", with("prompt", null), "prompt is required"),
                Arguments.of("prompt null", with("prompt", "null"), "prompt must be a string (got null)"),
                Arguments.of("prompt number", with("prompt", "42"), "prompt must be a string (got a number)"),
                Arguments.of("prompt blank", with("prompt", "\" \\t\\n\""), "prompt must contain a non-whitespace character (got \" \\t\\n\")"),
                Arguments.of("prompt too long", with("prompt", "\"" + "a".repeat(10_001) + "\""), "prompt must be at most 10000 characters (got 10001)"),
                Arguments.of("seed string", with("seed", "\"7\""), "seed must be a number or null (got a string)"),
                Arguments.of("seed fraction", with("seed", "1.5"), "seed must be an integer (got 1.5)"),
                Arguments.of("seed negative", with("seed", "-1"), "seed must be between 0 and 9007199254740991 (got -1)"),
                Arguments.of("seed too large", with("seed", "9007199254740992"), "seed must be between 0 and 9007199254740991 (got 9007199254740992)"),
                Arguments.of("aspect_ratio missing", with("aspect_ratio", null), "aspect_ratio is required (one of 1:1, 4:3, 3:2, 16:9, 2.35:1, 4:5, 2:3, 9:16)"),
                Arguments.of("aspect_ratio unknown", with("aspect_ratio", "\"5:1\""), "aspect_ratio must be one of 1:1, 4:3, 3:2, 16:9, 2.35:1, 4:5, 2:3, 9:16 (got \"5:1\")"),
                Arguments.of("aspect_ratio number", with("aspect_ratio", "1"), "aspect_ratio must be one of 1:1, 4:3, 3:2, 16:9, 2.35:1, 4:5, 2:3, 9:16 (got a number)"),
                Arguments.of("resolution missing", with("resolution", null), "resolution is required (one of 1K)"),
                Arguments.of("resolution unknown", with("resolution", "\"2K\""), "resolution must be one of 1K (got \"2K\")"),
                Arguments.of("creativity unknown", with("creativity", "\"max\""), "creativity must be one of raw, low, medium, high (got \"max\")"),
                Arguments.of("intensity fraction", with("intensity", "0.5"), "intensity must be an integer (got 0.5)"),
                Arguments.of("intensity string", with("intensity", "\"10\""), "intensity must be an integer (got a string)"),
                Arguments.of("intensity above", with("intensity", "101"), "intensity must be between -100 and 100 (got 101)"),
                Arguments.of("intensity below", with("intensity", "-101"), "intensity must be between -100 and 100 (got -101)"),
                Arguments.of("complexity above", with("complexity", "101"), "complexity must be between -100 and 100 (got 101)"),
                Arguments.of("complexity fraction", with("complexity", "3.25"), "complexity must be an integer (got 3.25)"),
                Arguments.of("styles not array", with("styles", "{}"), "styles must be an array (got an object)"),
                Arguments.of("style not object", with("styles", "[\"ink\"]"), "styles[0] must be an object with id and strength (got a string)"),
                Arguments.of("style id missing", with("styles", "[{\"strength\":1}]"), "styles[0].id is required"),
                Arguments.of("style id number", with("styles", "[{\"id\":5,\"strength\":1}]"), "styles[0].id must be a string (got a number)"),
                Arguments.of("style strength missing", with("styles", "[{\"id\":\"ink\"}]"), "styles[0].strength is required"),
                Arguments.of("style strength above", with("styles", "[{\"id\":\"ink\",\"strength\":2.5}]"), "styles[0].strength must be between -2 and 2 (got 2.5)"),
                Arguments.of("style strength below", with("styles", "[{\"id\":\"ink\",\"strength\":-2.01}]"), "styles[0].strength must be between -2 and 2 (got -2.01)"),
                Arguments.of("style unknown", with("styles", "[{\"id\":\"ink\",\"strength\":1},{\"id\":\"nope\",\"strength\":1}]"), "styles[1].id \"nope\" is not a style you can use"),
                Arguments.of("references not array", with("image_style_references", "\"x\""), "image_style_references must be an array (got a string)"),
                Arguments.of("references too many", with("image_style_references", "[" + String.join(",", java.util.Collections.nCopies(11, "{\"url\":\"https://e.test/a.png\"}")) + "]"), "image_style_references must have at most 10 items (got 11)"),
                Arguments.of("reference url missing", with("image_style_references", "[{\"strength\":0.5}]"), "image_style_references[0].url is required"),
                Arguments.of("reference url not http", with("image_style_references", "[{\"url\":\"ftp://e.test/a.png\"}]"), "image_style_references[0].url must be an absolute http or https URL (got \"ftp://e.test/a.png\")"),
                Arguments.of("reference url relative", with("image_style_references", "[{\"url\":\"/a.png\"}]"), "image_style_references[0].url must be an absolute http or https URL (got \"/a.png\")"),
                Arguments.of("reference strength above", with("image_style_references", "[{\"url\":\"https://e.test/a.png\",\"strength\":1.5}]"), "image_style_references[0].strength must be between 0 and 1 (got 1.5)"),
                Arguments.of("reference strength below", with("image_style_references", "[{\"url\":\"https://e.test/a.png\",\"strength\":-0.1}]"), "image_style_references[0].strength must be between 0 and 1 (got -0.1)"),
                Arguments.of("moodboards too many", with("moodboards", "[{\"id\":\"" + uuid + "\"},{\"id\":\"" + uuid + "\"}]"), "moodboards must have at most 1 item (got 2)"),
                Arguments.of("moodboard id missing", with("moodboards", "[{\"strength\":0.2}]"), "moodboards[0].id is required"),
                Arguments.of("moodboard id not uuid", with("moodboards", "[{\"id\":\"abc\"}]"), "moodboards[0].id must be a UUID (got \"abc\")"),
                Arguments.of("moodboard unknown", with("moodboards", "[{\"id\":\"" + uuid + "\"}]"), "moodboards[0].id \"" + uuid + "\" is not a moodboard you can use"),
                Arguments.of("moodboard strength above", with("moodboards", "[{\"id\":\"" + uuid + "\",\"strength\":2}]"), "moodboards[0].strength must be between 0 and 1 (got 2)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void rejects(String rule, String body, String message) {
        TestServer.Response r = server.generate(key, body);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.error()).contains(message);
    }

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("minimal", TestServer.SIMPLE_BODY),
                Arguments.of("seed zero", with("seed", "0")),
                Arguments.of("seed max", with("seed", "9007199254740991")),
                Arguments.of("seed null", with("seed", "null")),
                Arguments.of("seed integral float", with("seed", "12.0")),
                Arguments.of("sliders at bounds", with("intensity", "100").replace("}", ",\"complexity\":-100}")),
                Arguments.of("style strength bounds", with("styles", "[{\"id\":\"ink\",\"strength\":-2},{\"id\":\"neon\",\"strength\":2}]")),
                Arguments.of("style item extra key", with("styles", "[{\"id\":\"ink\",\"strength\":1,\"note\":\"x\"}]")),
                Arguments.of("ten references", with("image_style_references", "[" + String.join(",", java.util.Collections.nCopies(10, "{\"url\":\"https://e.test/a.png\"}")) + "]")),
                Arguments.of("every creativity", with("creativity", "\"raw\"")),
                Arguments.of("every aspect ratio", with("aspect_ratio", "\"2.35:1\"")),
                Arguments.of("prompt at the limit", with("prompt", "\"" + "é".repeat(10_000) + "\"")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void accepts(String rule, String body) {
        TestServer.Response r = server.generate(key, body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("queued");
        assertThat(r.json().get("completed_at").isNull()).isTrue();
        assertThat(r.json().get("result").isNull()).isTrue();
    }

    @Test
    void reportsEveryProblemTogether() {
        TestServer.Response r = server.generate(key, "{\"prompt\":\"\",\"aspect_ratio\":\"5:1\",\"intensity\":500,\"x\":1}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("unknown field \"x\"", "prompt must contain a non-whitespace character",
                "aspect_ratio must be one of", "resolution is required", "intensity must be between -100 and 100 (got 500)");
    }

    @Test
    void rejectsABadWebhookUrl() {
        TestServer.Response r = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY,
                Map.of("Authorization", "Bearer " + key, "X-Webhook-URL", "ftp://hooks.test/x"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("X-Webhook-URL must be an absolute http or https URL of at most 2048 characters (got \"ftp://hooks.test/x\")");
        TestServer.Response tooLong = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY,
                Map.of("Authorization", "Bearer " + key, "X-Webhook-URL", "https://hooks.test/" + "a".repeat(2048)));
        assertThat(tooLong.status()).isEqualTo(400);
        TestServer.Response ok = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY,
                Map.of("Authorization", "Bearer " + key, "X-Webhook-URL", "https://hooks.test/x"));
        assertThat(ok.status()).isEqualTo(200);
    }

    @Test
    void rejectsABadIdempotencyKey() {
        TestServer.Response r = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY,
                Map.of("Authorization", "Bearer " + key, "Idempotency-Key", "a".repeat(256)));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).startsWith("Idempotency-Key must be 1 to 255 printable ASCII characters");
    }

    @Test
    void rejectsAnOversizedBody() {
        TestServer.Response r = server.generate(key, with("prompt", "\"" + "a".repeat(1_100_000) + "\""));
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().has("error")).isTrue();
    }
}
