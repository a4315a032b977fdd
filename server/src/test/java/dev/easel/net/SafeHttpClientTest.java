package dev.easel.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.RemoteSite;
import dev.easel.RemoteSite.Reply;
import dev.easel.net.SafeHttpClient.Fetched;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SafeHttpClient#getImage} against a real local site: the guard allows exactly 127.0.0.1/32
 * (as an operator's {@code --allow-private-targets=127.0.0.1/32} would), so every other non-public
 * address, reached directly or by a redirect, is refused.
 */
class SafeHttpClientTest {
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final byte[] IMAGE = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2, 3};

    final RemoteSite site = new RemoteSite();
    final SafeHttpClient client = new SafeHttpClient(
            new AddressGuard(List.of(AddressRange.parse("127.0.0.1/32")), AddressGuard.SYSTEM_DNS), "easel-test", Clock.systemUTC());

    @AfterEach
    void close() {
        client.close();
        site.close();
    }

    Fetched get(String path) throws InterruptedException {
        return client.getImage(URI.create(site.url(path)), 1_000_000, TIMEOUT);
    }

    static String failure(Fetched f) {
        assertThat(f).isInstanceOf(Fetched.Failed.class);
        return ((Fetched.Failed) f).reason();
    }

    @Test
    void getsAnImageAskingForImageTypes() throws Exception {
        site.reply = r -> Reply.content("image/png", IMAGE);
        Fetched f = get("/a.png");
        assertThat(f).isInstanceOf(Fetched.Body.class);
        assertThat(((Fetched.Body) f).bytes()).isEqualTo(IMAGE);
        assertThat(((Fetched.Body) f).contentType()).isEqualTo("image/png");
        assertThat(site.received.get(0).header("accept")).contains("image/png").contains("image/webp");
        assertThat(site.received.get(0).header("user-agent")).isEqualTo("easel-test");
    }

    @Test
    void followsRedirectsRelativeAndAbsolute() throws Exception {
        site.reply = r -> switch (r.path()) {
            case "/a" -> Reply.redirect(302, "/b");
            case "/b" -> Reply.redirect(307, site.url("/c.png"));
            default -> Reply.content("image/png", IMAGE);
        };
        assertThat(get("/a")).isInstanceOf(Fetched.Body.class);
        assertThat(site.received).extracting(RemoteSite.Received::path).containsExactly("/a", "/b", "/c.png");
    }

    @Test
    void aRedirectToAnotherNonPublicAddressIsRefusedBeforeConnecting() throws Exception {
        site.reply = r -> r.path().equals("/meta") ? Reply.redirect(302, "http://169.254.169.254/latest/meta-data/")
                : Reply.redirect(301, "http://10.0.0.1/internal.png");
        assertThat(failure(get("/meta"))).startsWith("refused: ").contains("169.254.169.254").contains("cloud metadata");
        assertThat(failure(get("/private"))).startsWith("refused: ").contains("10.0.0.1 is a private address");
    }

    @Test
    void withoutTheSettingLoopbackItselfIsRefused() throws Exception {
        try (SafeHttpClient strict = new SafeHttpClient(new AddressGuard(List.of(), AddressGuard.SYSTEM_DNS), "easel-test",
                Clock.systemUTC())) {
            Fetched f = strict.getImage(URI.create(site.url("/a.png")), 1000, TIMEOUT);
            assertThat(failure(f)).contains("127.0.0.1 is a loopback address");
            assertThat(site.received).isEmpty();
        }
    }

    @Test
    void onlyHttpAndHttpsAreFollowed() throws Exception {
        site.reply = r -> Reply.redirect(302, "file:///etc/passwd");
        assertThat(failure(get("/a"))).isEqualTo("it redirects to file:, which is not http(s)");
        assertThat(failure(client.getImage(URI.create("ftp://127.0.0.1/a.png"), 1000, TIMEOUT)))
                .isEqualTo("the URL is not an absolute http(s) URL");
    }

    @Test
    void stopsAfterFiveRedirects() throws Exception {
        site.reply = r -> Reply.redirect(302, "/loop");
        assertThat(failure(get("/loop"))).isEqualTo("more than 5 redirects");
        assertThat(site.received).hasSize(6);
        site.reply = r -> Reply.status(302);
        assertThat(failure(get("/nowhere"))).isEqualTo("it answered 302 without a Location");
    }

    @Test
    void refusesBodiesOverTheLimitDeclaredOrNot() throws Exception {
        byte[] big = new byte[1_000_001];
        site.reply = r -> r.path().equals("/declared") ? Reply.content("image/png", big) : Reply.content("image/png", big).withoutLength();
        assertThat(failure(get("/declared"))).isEqualTo("the image is larger than 1 MB");
        assertThat(failure(get("/chunked"))).isEqualTo("the image is larger than 1 MB");
        site.reply = r -> Reply.content("image/png", new byte[1_000_000]).withoutLength();
        assertThat(get("/exactly")).isInstanceOf(Fetched.Body.class);
    }

    @Test
    void refusesWhatDeclaresItselfNotAnImage() throws Exception {
        site.reply = r -> Reply.content("text/html; charset=utf-8", "<html>".getBytes());
        assertThat(failure(get("/page"))).isEqualTo("its content type is text/html, not an image");
        site.reply = r -> Reply.content("application/octet-stream", IMAGE);
        assertThat(get("/blob")).isInstanceOf(Fetched.Body.class); // what the bytes are is checked by the caller
    }

    @Test
    void anErrorStatusIsAFailure() throws Exception {
        site.reply = r -> Reply.status(404);
        assertThat(failure(get("/gone.png"))).isEqualTo("it answered HTTP 404");
    }

    /** Each hop answers within 1 s, but two of them do not: the second is cut and the third never asked. */
    @Test
    void oneTimeLimitCoversEveryRedirect() throws Exception {
        site.reply = r -> switch (r.path()) {
            case "/slow-0" -> new Reply(302, Map.of("Location", "/slow-1"), 600, false);
            case "/slow-1" -> new Reply(302, Map.of("Location", "/slow-2"), 600, false);
            default -> Reply.content("image/png", IMAGE);
        };
        Fetched f = client.getImage(URI.create(site.url("/slow-0")), 1000, Duration.ofSeconds(1));
        assertThat(failure(f)).isEqualTo("timeout: no response within 1 s");
        assertThat(site.received).extracting(RemoteSite.Received::path).doesNotContain("/slow-2");
    }

    @Test
    void aClosedPortIsAConnectionFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThat(failure(client.getImage(URI.create("http://127.0.0.1:" + port + "/a.png"), 1000, TIMEOUT)))
                .startsWith("connection failed");
    }
}
