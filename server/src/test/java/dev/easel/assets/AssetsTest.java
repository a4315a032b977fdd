package dev.easel.assets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Assets over real multipart HTTP, with real image files made by the test. */
public class AssetsTest {
    /** 8x6 red, lossless and lossy, made with libwebp's cwebp (WebP has no encoder in the JDK). */
    static final byte[] WEBP_LOSSLESS = Base64.getDecoder().decode("UklGRiIAAABXRUJQVlA4TBYAAAAvB0ABAAdQinKXov8BgCD8b5uI6H8I");
    static final byte[] WEBP_LOSSY = Base64.getDecoder().decode(
            "UklGRjwAAABXRUJQVlA4IDAAAADQAQCdASoIAAYAAUAmJaACdLoB+AADsAD+8dyP/ILSuW8Af/xIX4kL8SF/4fwAAAA=");

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    private TestServer server;
    private String key;

    @BeforeEach
    void start() {
        server = TestServer.start(0, 0, clock);
        key = server.account("1", 1, 1);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** A one-colour image of {@code w}x{@code h} in {@code format} (png, jpg), written by the JDK. */
    public static byte[] image(String format, int w, int h, Color color) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, color.getRGB());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, format, out)).isTrue();
        return out.toByteArray();
    }

    private TestServer.Response upload(String filename, String declared, byte[] data, String description) {
        return server.multipart(key, "/assets", description == null ? Map.of() : Map.of("description", description), "file",
                filename, declared, data);
    }

    @Test
    void pngJpegAndWebpAreDecodedAndServed() throws Exception {
        byte[] png = image("png", 40, 30, Color.RED);
        JsonNode a = upload("red.png", "image/png", png, "a red square").json();
        assertThat(a.get("mime_type").asText()).isEqualTo("image/png");
        assertThat(a.get("width").asInt()).isEqualTo(40);
        assertThat(a.get("height").asInt()).isEqualTo(30);
        assertThat(a.get("size_bytes").asLong()).isEqualTo(png.length);
        assertThat(a.get("description").asText()).isEqualTo("a red square");
        assertThat(a.get("uploaded_at").asText()).isEqualTo("2026-11-25T12:00:00.000Z");
        TestServer.Response file = server.send("GET", URI.create(a.get("image_url").asText()).getPath(), null, Map.of());
        assertThat(file.status()).isEqualTo(200);
        assertThat(file.header("content-type")).isEqualTo("image/png");
        assertThat(file.bytes()).isEqualTo(png);

        JsonNode jpeg = upload("photo.jpeg", "image/jpeg", image("jpg", 17, 9, Color.BLUE), null).json();
        assertThat(jpeg.get("mime_type").asText()).isEqualTo("image/jpeg");
        assertThat(jpeg.get("width").asInt()).isEqualTo(17);
        assertThat(jpeg.get("image_url").asText()).endsWith(".jpg");
        assertThat(jpeg.get("description").isNull()).isTrue();

        for (byte[] webp : new byte[][] {WEBP_LOSSLESS, WEBP_LOSSY}) {
            JsonNode w = upload("red.webp", "image/webp", webp, null).json();
            assertThat(w.get("mime_type").asText()).isEqualTo("image/webp");
            assertThat(w.get("width").asInt()).isEqualTo(8);
            assertThat(w.get("height").asInt()).isEqualTo(6);
            assertThat(server.send("GET", URI.create(w.get("image_url").asText()).getPath(), null, Map.of()).header("content-type"))
                    .isEqualTo("image/webp");
        }
    }

    @Test
    void theContentDecidesTheTypeNotTheNameOrTheDeclaredType() throws Exception {
        JsonNode a = upload("holiday.jpg", "image/jpeg", image("png", 5, 5, Color.GREEN), null).json();
        assertThat(a.get("mime_type").asText()).isEqualTo("image/png");
        assertThat(a.get("image_url").asText()).endsWith(".png");
    }

    @Test
    void whatIsNotAnImageIsA400ThatSaysWhy() throws Exception {
        TestServer.Response r = upload("notes.png", "image/png", "hello, not an image".getBytes(), null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("file: the file is not a PNG, JPEG or WebP image (it starts with bytes 68 65 6c 6c 6f 2c 20 6e)");

        byte[] png = image("png", 300, 200, Color.RED);
        r = upload("cut.png", "image/png", Arrays.copyOf(png, png.length / 2), null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).startsWith("file: the file starts like a PNG image but cannot be decoded: ");

        r = upload("empty.png", "image/png", new byte[0], null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("file is empty");

        r = server.multipart(key, "/assets", Map.of("description", "x"), "file", "x", "x", null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("the multipart field \"file\" is missing: send an image (PNG, JPEG or WebP)");

        r = server.send("POST", "/assets", "{}", Map.of("Authorization", "Bearer " + key));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).startsWith("send multipart/form-data with the field \"file\"");

        r = upload("red.png", "image/png", image("png", 2, 2, Color.RED), "d".repeat(1001));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("description may be at most 1000 characters (got 1001)");
        assertThat(server.get(key, "/assets").json().get("items")).isEmpty();
    }

    @Test
    void anUploadOver75MegabytesIsRefused() throws Exception {
        byte[] png = image("png", 4, 4, Color.RED);
        byte[] big = Arrays.copyOf(png, 76_000_000); // a valid start, then zeros
        TestServer.Response r = upload("big.png", "image/png", big, null);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).isEqualTo("file is 76000000 bytes; an asset may be at most 75000000 bytes (75 MB)");
        assertThat(server.get(key, "/assets").json().get("items")).isEmpty();
    }

    @Test
    void listPagesNewestFirstAndOnlyTheOwnerSeesAnAsset() throws Exception {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            ids.add(upload("a.png", "image/png", image("png", 2, 2, Color.RED), "n" + i).json().get("id").asText());
            if (i % 2 == 0) clock.advance(Duration.ofMillis(1)); // some share a millisecond
        }
        Set<String> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = server.get(key, "/assets?limit=2" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("items").forEach(a -> assertThat(seen.add(a.get("id").asText())).isTrue());
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            pages++;
        } while (cursor != null);
        assertThat(seen).isEqualTo(ids);
        assertThat(pages).isEqualTo(3);
        assertThat(server.get(key, "/assets?cursor=yesterday").error())
                .isEqualTo("cursor must be a next_cursor from a previous page (got \"yesterday\")");

        String id = ids.iterator().next();
        String other = server.account("1", 1, 1);
        assertThat(server.get(other, "/assets/" + id).status()).isEqualTo(404);
        assertThat(server.delete(other, "/assets/" + id).status()).isEqualTo(404);
        assertThat(server.get(other, "/assets").json().get("items")).isEmpty();

        String url = URI.create(server.get(key, "/assets/" + id).json().get("image_url").asText()).getPath();
        TestServer.Response deleted = server.delete(key, "/assets/" + id);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().get("success").asBoolean()).isTrue();
        assertThat(deleted.json().get("message").asText()).isEqualTo("asset " + id + " deleted");
        assertThat(server.get(key, "/assets/" + id).status()).isEqualTo(404);
        assertThat(server.send("GET", url, null, Map.of()).status()).isEqualTo(404);
    }
}
