package dev.easel.jobs;

import static dev.easel.engine.SketchEngineTest.hueDistance;
import static dev.easel.engine.SketchEngineTest.meanHue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.RemoteSite;
import dev.easel.RemoteSite.Reply;
import dev.easel.TestServer;
import dev.easel.assets.AssetsTest;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image style references and moodboards, end to end: a real easel with one worker fetches them from
 * a real local site when the job runs, and the picture shows them; one that cannot be fetched fails
 * the job with {@code reference_unavailable} and the price is released.
 */
class ReferencesTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    private final RemoteSite site = new RemoteSite();
    private TestServer server;
    private String key;
    private byte[] red, blue;
    private static final Color RED = new Color(220, 20, 30), BLUE = new Color(20, 40, 210);
    /** The hues of those two colours, which the pictures should approach. */
    private static final double RED_HUE = meanHue(new int[] {RED.getRGB()}), BLUE_HUE = meanHue(new int[] {BLUE.getRGB()});

    @BeforeEach
    void start() throws Exception {
        red = AssetsTest.image("png", 40, 30, RED);
        blue = AssetsTest.image("png", 30, 40, BLUE);
        site.reply = r -> switch (r.path()) {
            case "/red.png" -> Reply.content("image/png", red);
            case "/blue.png" -> Reply.content("image/png", blue);
            case "/hop" -> Reply.redirect(302, "/red.png");
            case "/huge.png" -> Reply.content("image/png", new byte[20_000_001]);
            case "/page" -> Reply.content("text/html", "<html></html>".getBytes());
            case "/fake.png" -> Reply.content("image/png", "not really a picture".getBytes());
            case "/metadata" -> Reply.redirect(302, "http://169.254.169.254/latest/meta-data/iam/");
            case String p when p.startsWith("/slow/") -> new Reply(200, Map.of("Content-Type", "image/png"), 150, false, blue, false);
            default -> Reply.status(404);
        };
    }

    private void startServer(Path dataDir, String... flags) {
        server = TestServer.start(dataDir, 1, 0, clock, Duration.ofMinutes(10), flags);
        key = server.account("1", 5, 5);
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        site.close();
    }

    private static String body(String extra) {
        return "{\"prompt\":\"an igloo village\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\",\"seed\":42,\"creativity\":\"raw\"" + extra + "}";
    }

    private static String refs(String... urlAndStrength) {
        StringBuilder s = new StringBuilder(",\"image_style_references\":[");
        for (int i = 0; i < urlAndStrength.length; i += 2) {
            if (i > 0) s.append(',');
            s.append("{\"url\":\"").append(urlAndStrength[i]).append("\",\"strength\":").append(urlAndStrength[i + 1]).append('}');
        }
        return s.append(']').toString();
    }

    private JsonNode run(String body, String status) {
        TestServer.Response submitted = server.generate(key, body);
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(200);
        return server.awaitStatus(key, submitted.json().get("job_id").asText(), status);
    }

    private int[] picture(JsonNode done) throws Exception {
        String url = done.get("result").get("urls").get(0).asText();
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(server.send("GET", URI.create(url).getPath(), null, Map.of()).bytes()));
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    private JsonNode account() {
        return server.get(key, "/account").json();
    }

    @Test
    void aStyleReferenceIsFetchedWhenTheJobRunsAndPullsThePictureTowardIt(@TempDir Path dir) throws Exception {
        startServer(dir);
        double plain = hueDistance(meanHue(picture(run(body(""), "completed"))), RED_HUE);
        double half = hueDistance(meanHue(picture(run(body(refs(site.url("/red.png"), "0.5")), "completed"))), RED_HUE);
        double whole = hueDistance(meanHue(picture(run(body(refs(site.url("/hop"), "1")), "completed"))), RED_HUE);
        assertThat(half).isLessThan(plain);
        assertThat(whole).as("through a redirect on the same allowed site").isLessThan(half).isLessThan(5);

        assertThat(site.at("/red.png")).hasSize(2);
        assertThat(site.at("/red.png").get(0).header("user-agent")).isEqualTo("easel-references");
        assertThat(account().get("balance_usd").decimalValue()).as("0.03 + 2 x 0.035").isEqualByComparingTo("0.9");
    }

    @Test
    void aReferenceThatCannotBeHadFailsTheJobAndReleasesItsPrice(@TempDir Path dir) {
        startServer(dir);
        Map<String, String> reasons = Map.of(
                "/missing.png", "it answered HTTP 404",
                "/huge.png", "the image is larger than 20 MB",
                "/page", "its content type is text/html, not an image");
        reasons.forEach((path, reason) -> {
            JsonNode failed = run(body(refs(site.url("/red.png"), "0.5", site.url(path), "0.5")), "failed");
            assertThat(failed.at("/error/code").asText()).isEqualTo("reference_unavailable");
            assertThat(failed.at("/error/message").asText())
                    .isEqualTo("image_style_references[1] could not be fetched from 127.0.0.1: " + reason);
        });
        JsonNode fake = run(body(refs(site.url("/fake.png"), "1")), "failed");
        assertThat(fake.at("/error/message").asText())
                .startsWith("image_style_references[0] from 127.0.0.1 is not a usable image: the file is not a PNG, JPEG or WebP image");
        assertThat(account().get("balance_usd").decimalValue()).as("nothing charged").isEqualByComparingTo("1");
        assertThat(account().get("reserved_usd").decimalValue()).isEqualByComparingTo("0");
    }

    /** The operator allows exactly this site's address; a redirect from it to the metadata service is refused. */
    @Test
    void aRedirectToAPrivateAddressIsRefused(@TempDir Path dir) {
        startServer(dir, "--allow-private-targets=127.0.0.1/32");
        JsonNode failed = run(body(refs(site.url("/metadata"), "0.5")), "failed");
        assertThat(failed.at("/error/code").asText()).isEqualTo("reference_unavailable");
        assertThat(failed.at("/error/message").asText()).isEqualTo("image_style_references[0] could not be fetched from 127.0.0.1: "
                + "refused: 169.254.169.254 is a cloud metadata address");
        run(body(refs(site.url("/hop"), "0.5")), "completed");
        assertThat(account().get("balance_usd").decimalValue()).isEqualByComparingTo("0.965");
    }

    @Test
    void aMoodboardsAssetsAndUrlsAreLoadedAndPullThePicture(@TempDir Path dir) throws Exception {
        startServer(dir);
        String asset = server.multipart(key, "/assets", Map.of(), "file", "b.png", "image/png", blue).json().get("id").asText();
        String fromAsset = moodboard("{\"title\":\"Blue\",\"asset_ids\":[\"" + asset + "\"]}");
        String fromUrls = moodboard("{\"title\":\"Blue\",\"image_urls\":[\"" + site.url("/blue.png") + "\"]}");
        double plain = hueDistance(meanHue(picture(run(body(""), "completed"))), BLUE_HUE);
        double byDefault = hueDistance(meanHue(picture(run(body(",\"moodboards\":[{\"id\":\"" + fromAsset + "\"}]"), "completed"))), BLUE_HUE);
        double whole = hueDistance(meanHue(picture(run(body(",\"moodboards\":[{\"id\":\"" + fromUrls + "\",\"strength\":1}]"),
                "completed"))), BLUE_HUE);
        assertThat(byDefault).as("the default strength 0.23 moves it a little").isLessThan(plain);
        assertThat(whole).isLessThan(byDefault).isLessThan(5);
        assertThat(site.at("/blue.png")).hasSize(1);
        assertThat(account().get("balance_usd").decimalValue()).as("0.03 + 2 x 0.04").isEqualByComparingTo("0.89");

        String broken = moodboard("{\"title\":\"Gone\",\"image_urls\":[\"" + site.url("/blue.png") + "\",\"" + site.url("/gone.png") + "\"]}");
        JsonNode failed = run(body(",\"moodboards\":[{\"id\":\"" + broken + "\"}]"), "failed");
        assertThat(failed.at("/error/message").asText())
                .isEqualTo("moodboard " + broken + " image 1 could not be fetched from 127.0.0.1: it answered HTTP 404");
        assertThat(account().get("balance_usd").decimalValue()).isEqualByComparingTo("0.89");
    }

    private String moodboard(String json) {
        TestServer.Response r = server.send("POST", "/moodboards", json, Map.of("Authorization", "Bearer " + key));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    /** A moodboard of 20 URLs is fetched in parallel, but never more than 8 at once (each may hold 20 MB). */
    @Test
    void aMoodboardsUrlsAreFetchedInParallelWithinABound(@TempDir Path dir) {
        startServer(dir);
        StringBuilder urls = new StringBuilder();
        for (int i = 0; i < 20; i++) urls.append(i == 0 ? "" : ",").append('"').append(site.url("/slow/" + i + ".png")).append('"');
        String board = moodboard("{\"title\":\"Many\",\"image_urls\":[" + urls + "]}");
        run(body(",\"moodboards\":[{\"id\":\"" + board + "\"}]"), "completed");
        assertThat(site.received).hasSize(20);
        assertThat(site.maxInFlight.get()).isBetween(2, 8);
    }
}
