package dev.easel.styles;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LoRA styles over real multipart HTTP: upload, list, get, patch, delete, and use in a generation. */
class StylesTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    private TestServer server;
    private String alice, bob;

    @BeforeEach
    void start() {
        server = TestServer.start(0, 0, clock);
        alice = server.account("1", 5, 5);
        bob = server.account("1", 5, 5);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private TestServer.Response upload(String key, byte[] file, String title) {
        return server.multipart(key, "/styles", title == null ? Map.of() : Map.of("title", title, "prompt", "in the style of ink"),
                "file", "style.safetensors", "application/octet-stream", file);
    }

    private TestServer.Response generateWith(String key, String styleId) {
        return server.generate(key, "{\"prompt\":\"a fox\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\",\"styles\":[{\"id\":\""
                + styleId + "\",\"strength\":0.8}]}");
    }

    @Test
    void aKohyaAndAPeftLoraAreRegisteredWithWhatTheyHold() {
        byte[] kohya = new SafetensorsWriter().kohyaLayer("lora_unet_blocks_0_attn_to_q", 8, 64, 64).bytes();
        TestServer.Response r = upload(alice, kohya, "Ink wash");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode s = r.json();
        assertThat(s.get("title").asText()).isEqualTo("Ink wash");
        assertThat(s.get("prompt").asText()).isEqualTo("in the style of ink");
        assertThat(s.get("public").asBoolean()).isFalse();
        assertThat(s.get("like_count").asInt()).isZero();
        assertThat(s.get("urls")).isEmpty();
        assertThat(s.get("models").get(0).asText()).isEqualTo("krea-2");
        assertThat(s.get("created_at").asText()).isEqualTo("2026-11-25T12:00:00.000Z");
        assertThat(s.get("lora").get("format").asText()).isEqualTo("kohya");
        assertThat(s.get("lora").get("rank").asInt()).isEqualTo(8);
        assertThat(s.get("lora").get("tensors").asInt()).isEqualTo(3);
        assertThat(s.get("lora").get("size_bytes").asLong()).isEqualTo(kohya.length);

        JsonNode peft = upload(alice, new SafetensorsWriter().peftLayer("transformer.blocks.0.to_q", 4, 32, 32).bytes(), "Peft").json();
        assertThat(peft.get("lora").get("format").asText()).isEqualTo("peft");
        assertThat(peft.get("lora").get("rank").asInt()).isEqualTo(4);
    }

    @Test
    void aFileThatIsNotALoraIsA400ThatSaysWhy() {
        TestServer.Response r = upload(alice, new SafetensorsWriter().add("model.weight", "F32", 2, 2).bytes(), "Model");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("file is not a LoRA in safetensors format: not a LoRA: none of its 1 tensors form a "
                + "lora_down/lora_up or lora_A/lora_B pair (for example \"model.weight\")");
        r = upload(alice, "PK\u0003\u0004 a zip".getBytes(), "Zip");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).startsWith("file is not a LoRA in safetensors format: the header length says");
        r = upload(alice, new SafetensorsWriter().kohyaLayer("l", 2, 4, 4).bytes(), null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("title is required: a non-blank string of at most 200 characters");
        assertThat(uploaded(alice)).isEmpty();
    }

    /** The styles in an account's list that are not built in. */
    private java.util.List<String> uploaded(String key) {
        java.util.List<String> ids = new java.util.ArrayList<>();
        server.get(key, "/styles?limit=1000").json().get("items").forEach(s -> {
            if (!s.get("owner").asText().equals("easel")) ids.add(s.get("id").asText());
        });
        return ids;
    }

    /** The built-in styles come last in the list (a picker over GET /styles finds them), and paging walks across them. */
    @Test
    void theBuiltInStylesAreListedAfterTheUploadedOnes() {
        String id = upload(alice, new SafetensorsWriter().kohyaLayer("l", 2, 4, 4).bytes(), "Mine").json().get("id").asText();
        java.util.List<String> walked = new java.util.ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = server.get(alice, "/styles?limit=3" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("items").forEach(s -> walked.add(s.get("id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        assertThat(walked).containsExactly(id, "scanlines", "posterize", "pastel", "neon", "ink", "halftone", "grain", "blueprint");
        JsonNode ink = server.get(bob, "/styles/ink").json();
        assertThat(ink.get("owner").asText()).isEqualTo("easel");
        assertThat(ink.get("public").asBoolean()).isTrue();
        assertThat(ink.get("title").asText()).isEqualTo("Ink");
        assertThat(ink.get("prompt").asText()).startsWith("inked outlines");
        assertThat(ink.has("lora")).isFalse();
        assertThat(server.delete(alice, "/styles/ink").status()).as("nobody owns a built-in style").isEqualTo(404);
    }

    @Test
    void aStyleIsPrivateToItsOwnerUntilMadePublic() {
        String id = upload(alice, new SafetensorsWriter().kohyaLayer("l", 2, 4, 4).bytes(), "Mine").json().get("id").asText();
        assertThat(server.get(bob, "/styles/" + id).status()).isEqualTo(404);
        assertThat(uploaded(bob)).isEmpty();
        TestServer.Response refused = generateWith(bob, id);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error()).isEqualTo("styles[0].id \"" + id + "\" is not a style you can use");
        assertThat(generateWith(alice, id).status()).isEqualTo(200);
        assertThat(generateWith(alice, "ink").status()).as("built-in styles keep working").isEqualTo(200);

        TestServer.Response patch = server.send("PATCH", "/styles/" + id, "{\"public\":true,\"title\":\"Ours\"}",
                Map.of("Authorization", "Bearer " + alice));
        assertThat(patch.status()).as(patch.body()).isEqualTo(200);
        assertThat(patch.json().get("public").asBoolean()).isTrue();
        assertThat(patch.json().get("title").asText()).isEqualTo("Ours");
        assertThat(patch.json().get("prompt").asText()).as("unchanged").isEqualTo("in the style of ink");
        assertThat(server.get(bob, "/styles/" + id).json().get("owner").asText()).isNotBlank();
        assertThat(uploaded(bob)).containsExactly(id);
        assertThat(generateWith(bob, id).status()).isEqualTo(200);

        assertThat(server.send("PATCH", "/styles/" + id, "{\"public\":false}", Map.of("Authorization", "Bearer " + bob)).status())
                .as("only the owner changes it").isEqualTo(404);
        assertThat(server.delete(bob, "/styles/" + id).status()).isEqualTo(404);
        TestServer.Response bad = server.send("PATCH", "/styles/" + id, "{\"public\":\"yes\",\"color\":1}",
                Map.of("Authorization", "Bearer " + alice));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.error()).startsWith("unknown field \"color\"");

        TestServer.Response deleted = server.delete(alice, "/styles/" + id);
        assertThat(deleted.json().get("success").asBoolean()).isTrue();
        assertThat(server.get(alice, "/styles/" + id).status()).isEqualTo(404);
        assertThat(generateWith(alice, id).status()).isEqualTo(400);
    }

    /**
     * The worker opens the LoRA file when the job runs. A style deleted, or made private, between
     * submission and run fails its job with reference_unavailable, and the price is released.
     */
    @Test
    void aStyleThatGoesAwayBeforeTheJobRunsFailsItAndReleasesThePrice() {
        String kept = upload(alice, new SafetensorsWriter().kohyaLayer("lora_unet_a", 4, 16, 16).bytes(), "Kept").json().get("id").asText();
        String gone = upload(alice, new SafetensorsWriter().kohyaLayer("lora_unet_b", 4, 16, 16).bytes(), "Gone").json().get("id").asText();
        String hidden = upload(alice, new SafetensorsWriter().kohyaLayer("lora_unet_c", 4, 16, 16).bytes(), "Hidden").json().get("id").asText();
        server.send("PATCH", "/styles/" + hidden, "{\"public\":true}", Map.of("Authorization", "Bearer " + alice));
        String ok = generateWith(alice, kept).json().get("job_id").asText();
        String orphan = generateWith(alice, gone).json().get("job_id").asText();
        String borrowed = generateWith(bob, hidden).json().get("job_id").asText();
        server.delete(alice, "/styles/" + gone);
        server.send("PATCH", "/styles/" + hidden, "{\"public\":false}", Map.of("Authorization", "Bearer " + alice));

        server = server.restart(1, 0); // the same data, now with a worker
        assertThat(server.awaitStatus(alice, ok, "completed").at("/result/prompt").asText()).startsWith("a fox");
        JsonNode failed = server.awaitStatus(alice, orphan, "failed");
        assertThat(failed.at("/error/code").asText()).isEqualTo("reference_unavailable");
        assertThat(failed.at("/error/message").asText()).isEqualTo("style " + gone + " was deleted or made private after the job was submitted");
        assertThat(server.awaitStatus(bob, borrowed, "failed").at("/error/code").asText()).isEqualTo("reference_unavailable");
        assertThat(server.get(alice, "/account").json().get("balance_usd").decimalValue()).isEqualByComparingTo("0.97");
        assertThat(server.get(bob, "/account").json().get("balance_usd").decimalValue()).isEqualByComparingTo("1");
    }
}
