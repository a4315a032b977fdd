package dev.easel.moodboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import dev.easel.assets.AssetsTest;
import java.awt.Color;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Moodboards over real HTTP: from assets or URLs, owner only, and priced at $0.04 in a generation. */
class MoodboardsTest {
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

    private String asset(String key, Color color) throws Exception {
        byte[] png = AssetsTest.image("png", 4, 4, color);
        return server.multipart(key, "/assets", Map.of(), "file", "c.png", "image/png", png).json().get("id").asText();
    }

    private TestServer.Response create(String key, String body) {
        return server.send("POST", "/moodboards", body, Map.of("Authorization", "Bearer " + key));
    }

    @Test
    void madeFromAssetsOrUrlsAndSeenOnlyByTheOwner() throws Exception {
        String red = asset(alice, Color.RED), blue = asset(alice, Color.BLUE);
        TestServer.Response r = create(alice, "{\"title\":\"Warm\",\"asset_ids\":[\"" + red + "\",\"" + blue + "\"]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode m = r.json();
        assertThat(m.get("title").asText()).isEqualTo("Warm");
        assertThat(m.get("asset_ids")).extracting(JsonNode::asText).containsExactly(red, blue);
        assertThat(m.get("image_urls")).isEmpty();
        String id = m.get("id").asText();
        assertThat(id).matches("[0-9a-f-]{36}");
        assertThat(server.get(alice, "/moodboards/" + id).json()).isEqualTo(m);

        clock.advance(java.time.Duration.ofMillis(1)); // newer: within one millisecond the order is by id
        JsonNode byUrl = create(alice, "{\"title\":\"Web\",\"image_urls\":[\"https://example.test/a.png\"]}").json();
        assertThat(byUrl.get("image_urls").get(0).asText()).isEqualTo("https://example.test/a.png");
        JsonNode list = server.get(alice, "/moodboards?limit=1").json();
        assertThat(list.get("items").get(0).get("id").asText()).isEqualTo(byUrl.get("id").asText());
        assertThat(server.get(alice, "/moodboards?limit=1&cursor=" + list.get("next_cursor").asText()).json().get("items").get(0)
                .get("id").asText()).isEqualTo(id);

        assertThat(server.get(bob, "/moodboards/" + id).status()).isEqualTo(404);
        assertThat(server.get(bob, "/moodboards").json().get("items")).isEmpty();
        assertThat(server.delete(bob, "/moodboards/" + id).status()).isEqualTo(404);

        TestServer.Response inUse = server.delete(alice, "/assets/" + red);
        assertThat(inUse.status()).isEqualTo(409);
        assertThat(inUse.error()).isEqualTo("asset " + red + " is part of moodboard " + id + "; delete the moodboard first");
        assertThat(server.delete(alice, "/moodboards/" + id).json().get("success").asBoolean()).isTrue();
        assertThat(server.get(alice, "/moodboards/" + id).status()).isEqualTo(404);
        assertThat(server.delete(alice, "/assets/" + red).status()).isEqualTo(200);
    }

    @Test
    void everyProblemIsNamed() throws Exception {
        String mine = asset(alice, Color.RED), theirs = asset(bob, Color.GREEN);
        TestServer.Response r = create(alice, "{\"asset_ids\":[\"" + mine + "\",\"" + theirs + "\",7]}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("title is required: a non-blank string of at most 200 characters; asset_ids[1] \""
                + theirs + "\" is not an asset of yours; asset_ids[2] must be a string (got a number)");
        r = create(alice, "{\"title\":\"t\",\"image_urls\":[\"ftp://x/y.png\"]}");
        assertThat(r.error()).isEqualTo("image_urls[0] must be an absolute http or https URL of at most 2048 characters "
                + "(got \"ftp://x/y.png\")");
        r = create(alice, "{\"title\":\"t\"}");
        assertThat(r.error()).isEqualTo("send exactly one of image_urls and asset_ids: an array of 1 to 50 items");
        r = create(alice, "{\"title\":\"t\",\"image_urls\":[],\"asset_ids\":[]}");
        assertThat(r.error()).isEqualTo("send exactly one of image_urls and asset_ids: an array of 1 to 50 items");
        r = create(alice, "{\"title\":\"t\",\"image_urls\":[]}");
        assertThat(r.error()).isEqualTo("image_urls must be an array of 1 to 50 items (got 0 items)");
        String many = "\"https://example.test/x.png\",".repeat(51);
        r = create(alice, "{\"title\":\"t\",\"image_urls\":[" + many.substring(0, many.length() - 1) + "]}");
        assertThat(r.error()).isEqualTo("image_urls must be an array of 1 to 50 items (got 51 items)");
        r = create(alice, "{\"title\":\"t\",\"image_urls\":[\"https://example.test/x.png\"],\"mood\":1}");
        assertThat(r.error()).startsWith("unknown field \"mood\"");
        assertThat(server.get(alice, "/moodboards").json().get("items")).isEmpty();
    }

    @Test
    void aGenerationWithAMoodboardCostsFourCentsAndOnlyTheOwnerMayUseIt() throws Exception {
        String id = create(alice, "{\"title\":\"t\",\"asset_ids\":[\"" + asset(alice, Color.RED) + "\"]}").json().get("id").asText();
        String body = "{\"prompt\":\"a fox\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\",\"moodboards\":[{\"id\":\"" + id + "\"}]}";
        assertThat(server.generate(alice, body).status()).isEqualTo(200);
        assertThat(server.get(alice, "/account").json().get("reserved_usd").decimalValue()).isEqualByComparingTo("0.04");
        TestServer.Response other = server.generate(bob, body);
        assertThat(other.status()).isEqualTo(400);
        assertThat(other.error()).isEqualTo("moodboards[0].id \"" + id + "\" is not a moodboard you can use");
    }
}
