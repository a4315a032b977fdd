package dev.easel.expand;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.RemoteSite;
import dev.easel.TestServer;
import dev.easel.assets.AssetsTest;
import dev.easel.json.Json;
import java.awt.Color;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reference styles put into words by a vision model, for an engine without a reference adapter (the
 * sketch engine, like SGLang): against a stand-in of an OpenAI-compatible vision chat API (the image
 * sent as a data URL in an image_url content part, as OpenAI's API and SGLang's, vLLM's and Ollama's
 * take it), and a real image host.
 */
class ReferenceDescriberTest {
    private static final String WATERCOLOUR = "soft watercolour washes in muted blues, diffuse light, grainy paper texture";
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T12:00:00Z"));
    private final RemoteSite vision = new RemoteSite(), images = new RemoteSite();
    private TestServer server;
    private String key;
    private byte[] blue;

    @BeforeEach
    void start() throws Exception {
        blue = AssetsTest.image("png", 600, 300, new Color(20, 40, 210));
        images.reply = r -> r.path().equals("/blue.png") ? RemoteSite.Reply.content("image/png", blue) : RemoteSite.Reply.status(404);
        vision.reply = r -> LanguageModelExpansionTest.says(WATERCOLOUR + ".");
        server = TestServer.start(1, 0, clock, "--describer-url", vision.url("/v1"), "--describer-model", "qwen2.5-vl",
                "--allow-private-targets");
        key = server.account("1", 4, 4);
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        vision.close();
        images.close();
    }

    private JsonNode run(long seed, double strength) {
        String body = "{\"prompt\":\"a harbour\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\",\"creativity\":\"raw\",\"seed\":" + seed
                + ",\"image_style_references\":[{\"url\":\"" + images.url("/blue.png") + "\",\"strength\":" + strength + "}]}";
        TestServer.Response r = server.generate(key, body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return server.awaitStatus(key, r.json().get("job_id").asText(), "completed").get("result");
    }

    @Test
    void theReferencesStyleIsAddedToThePromptWeightedByStrengthAndAskedForOncePerImage() throws Exception {
        JsonNode first = run(1, 0.8);
        assertThat(first.get("prompt").asText()).isEqualTo("a harbour, strongly in the style of " + WATERCOLOUR);
        assertThat(first.get("expansion").asText()).isEqualTo("none");

        List<RemoteSite.Received> calls = vision.at("/v1/chat/completions");
        assertThat(calls).hasSize(1);
        JsonNode request = Json.MAPPER.readTree(calls.get(0).bodyText());
        assertThat(request.get("model").asText()).isEqualTo("qwen2.5-vl");
        assertThat(request.at("/messages/0/content").asText()).isEqualTo(ReferenceDescriber.SYSTEM_PROMPT)
                .contains("medium, colour palette, lighting and texture", "Never name or describe what it shows");
        JsonNode parts = request.at("/messages/1/content");
        assertThat(parts.get(0).get("type").asText()).isEqualTo("text");
        assertThat(parts.get(1).get("type").asText()).isEqualTo("image_url");
        String url = parts.get(1).at("/image_url/url").asText();
        assertThat(url).startsWith("data:image/png;base64,");
        var sent = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1))));
        assertThat(sent.getWidth()).as("scaled down to 512 at most").isEqualTo(300);
        assertThat(sent.getHeight()).isEqualTo(150);
        assertThat(new Color(sent.getRGB(10, 10))).isEqualTo(new Color(20, 40, 210));

        JsonNode second = run(2, 0.2);
        assertThat(second.get("prompt").asText()).isEqualTo("a harbour, with a hint of " + WATERCOLOUR);
        assertThat(vision.at("/v1/chat/completions")).as("the same image is described once").hasSize(1);
    }

    @Test
    void aDescriberThatFailsLeavesThePromptAndTheJobGoesOn() {
        vision.reply = r -> RemoteSite.Reply.status(503);
        JsonNode result = run(1, 0.8);
        assertThat(result.get("prompt").asText()).isEqualTo("a harbour");
        assertThat(vision.at("/v1/chat/completions")).hasSize(1);
    }
}
