package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.RawHttp;
import dev.easel.RawHttp.Answer;
import dev.easel.TestServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP surface for every client and every input (API.md section 9): errors are JSON whoever
 * produces them, nothing a client sends is a 5xx, HEAD answers what GET would, a path's other
 * methods are a 405 with Allow, CORS for the configured origins, and a retried cancel destroys nothing.
 */
class HttpSurfaceTest {
    static final String ORIGIN = "https://app.example.test";
    static final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    static TestServer server;
    static String key;

    @BeforeAll
    static void start() {
        server = TestServer.start(1, 0, clock, "--cors-origins", ORIGIN);
        key = server.account("10", 10, 10);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Answer raw(String request) {
        return RawHttp.exchange(server.easel.port(), request);
    }

    private static void assertJsonError(Answer a, int status) {
        assertThat(a.status()).as(a.text()).isEqualTo(status);
        assertThat(a.header("Content-Type")).startsWith("application/json");
        assertThat(TestServer.object(a.text()).get("error").asText()).isNotBlank();
    }

    @Test
    void whatJettyRefusesByItselfIsJsonToo() {
        assertJsonError(raw("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414);
        assertJsonError(raw("GET /jobs HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n"), 431);
        assertJsonError(raw("GARBAGE\r\n\r\n"), 400);
        assertJsonError(raw("GET /jobs HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"), 400);
    }

    @Test
    void methodsAPathDoesNotTakeAre405WithAllow() {
        Answer lower = raw("get /jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertJsonError(lower, 405);
        assertThat(lower.header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
        Answer put = raw("PUT /jobs/0b7a4b8e-2f0c-4c1e-9a51-9f2d1c3e4a5b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertJsonError(put, 405);
        assertThat(put.header("Allow")).isEqualTo("GET, HEAD, DELETE, OPTIONS");
        assertJsonError(raw("DELETE /account HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 405);
        assertJsonError(raw("GET /no/such/path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 404);
        assertJsonError(raw("PROPFIND /no/such/path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 404);
    }

    @Test
    void bodiesThatCannotBeReadAre400() {
        String auth = "Authorization: Bearer " + key + "\r\n";
        assertJsonError(raw("POST " + TestServer.GENERATE + " HTTP/1.1\r\nHost: x\r\n" + auth
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"), 400);
        assertJsonError(raw("POST " + TestServer.GENERATE + " HTTP/1.1\r\nHost: x\r\n" + auth
                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"prompt\""), 400);
        Answer noType = raw("POST /assets HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 3\r\n\r\nabc");
        assertJsonError(noType, 400);
        assertThat(noType.text()).contains("got no Content-Type");
        Answer noBoundary = raw("POST /styles HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: multipart/form-data\r\nContent-Length: 3\r\n\r\nabc");
        assertJsonError(noBoundary, 400);
        assertThat(noBoundary.text()).contains("without a boundary");
        assertJsonError(raw("POST /assets HTTP/1.1\r\nHost: x\r\n" + auth
                + "Content-Type: multipart/form-data; boundary=zzz\r\nContent-Length: 11\r\n\r\nnot framing"), 400);
        assertJsonError(raw("POST /assets HTTP/1.1\r\nHost: x\r\n" + auth
                + "Content-Type: multipart/form-data; boundary=zzz\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n--zzz\r\nqq\r\n"), 400);
    }

    @Test
    void cursorsAndNumbersOfAnySizeAre400() {
        assertThat(server.get(key, "/jobs?cursor=%2B999999999-12-31T23:59:59Z").status()).isEqualTo(400);
        assertThat(server.get(key, "/jobs?cursor=-999999999-01-01T00:00:00Z").status()).isEqualTo(400);
        for (String list : new String[] {"/assets", "/styles", "/moodboards"}) {
            TestServer.Response r = server.get(key, list + "?cursor=99999999999999999999_0b7a4b8e-2f0c-4c1e-9a51-9f2d1c3e4a5b");
            assertThat(r.status()).as(list).isEqualTo(400);
        }
        Map<String, String> admin = Map.of("Authorization", "Bearer " + server.easel.adminToken());
        String id = server.send("POST", "/admin/accounts", "{\"name\":\"n\"}", admin).json().get("id").asText();
        for (String amount : new String[] {"1E-999999999", "1E+999999999", "-1E+999999999", "123456789012345678901234567890.5"}) {
            TestServer.Response r = server.send("POST", "/admin/accounts/" + id + "/credits", "{\"amount_usd\":" + amount + "}", admin);
            assertThat(r.status()).as(amount).isEqualTo(400);
            assertThat(r.body().length()).as("the message does not expand the number").isLessThan(300);
        }
        assertThat(server.send("POST", "/admin/accounts", "{\"name\":\"n\",\"max_backlog\":1E+999999999}", admin).status()).isEqualTo(400);
        for (String field : new String[] {"seed", "intensity"}) {
            for (String n : new String[] {"1E-999999999", "1E+999999999"}) {
                TestServer.Response r = server.generate(key, GenerateValidationTest.with(field, n));
                assertThat(r.status()).as(field + " " + n).isEqualTo(400);
                assertThat(r.body().length()).isLessThan(300);
            }
        }
    }

    @Test
    void aWebhookUrlWithAnImpossiblePortIsRefusedAtSubmit() {
        for (String url : new String[] {"http://hooks.test:99999/", "http://hooks.test:0/x", "https://hooks.test:-1/"}) {
            TestServer.Response r = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY,
                    Map.of("Authorization", "Bearer " + key, "X-Webhook-URL", url));
            assertThat(r.status()).as(url).isEqualTo(400);
            assertThat(r.error()).startsWith("X-Webhook-URL must be an absolute http or https URL");
        }
        TestServer.Response ok = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY,
                Map.of("Authorization", "Bearer " + key, "X-Webhook-URL", "http://hooks.test:65535/x"));
        assertThat(ok.status()).isEqualTo(200);
        server.delete(key, "/jobs/" + ok.json().get("job_id").asText());
    }

    @Test
    void headAnswersWhatGetWouldWithoutTheBody() {
        TestServer.Response noKey = server.send("HEAD", "/account", null, Map.of());
        assertThat(noKey.status()).isEqualTo(401);
        assertThat(noKey.header("Content-Type")).startsWith("application/json");
        assertThat(noKey.bytes()).isEmpty();

        TestServer.Response get = server.get(key, "/account");
        TestServer.Response head = server.send("HEAD", "/account", null, Map.of("Authorization", "Bearer " + key));
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.bytes()).isEmpty();
        assertThat(head.header("Content-Type")).isEqualTo(get.header("Content-Type"));
        assertThat(head.header("Content-Length")).isEqualTo(Integer.toString(get.bytes().length));

        String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        JsonNode done = server.awaitStatus(key, id, "completed");
        String image = URI.create(done.get("result").get("urls").get(0).asText()).getPath();
        TestServer.Response png = server.send("GET", image, null, Map.of());
        TestServer.Response headPng = server.send("HEAD", image, null, Map.of());
        assertThat(headPng.status()).isEqualTo(200);
        assertThat(headPng.header("Content-Type")).isEqualTo("image/png");
        assertThat(headPng.header("Content-Length")).isEqualTo(Integer.toString(png.bytes().length));
        assertThat(headPng.bytes()).isEmpty();
        assertThat(server.send("HEAD", "/images/" + "x".repeat(20) + ".png", null, Map.of()).status()).isEqualTo(404);
    }

    @Test
    void browsersOnTheConfiguredOriginMayCallTheApi() {
        Answer preflight = raw("OPTIONS " + TestServer.GENERATE + " HTTP/1.1\r\nHost: x\r\nOrigin: " + ORIGIN
                + "\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type, idempotency-key, x-webhook-url"
                + "\r\nConnection: close\r\n\r\n");
        assertThat(preflight.status()).isEqualTo(204);
        assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
        assertThat(preflight.header("Access-Control-Allow-Methods")).contains("POST");
        assertThat(preflight.header("Access-Control-Allow-Headers"))
                .contains("Authorization", "Content-Type", "Idempotency-Key", "X-Webhook-URL");
        assertThat(preflight.header("Vary")).contains("Origin");

        for (String path : new String[] {"/jobs/0b7a4b8e-2f0c-4c1e-9a51-9f2d1c3e4a5b", "/assets", "/admin/accounts", "/healthz"}) {
            Answer p = raw("OPTIONS " + path + " HTTP/1.1\r\nHost: x\r\nOrigin: " + ORIGIN + "\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n");
            assertThat(p.status()).as(path).isEqualTo(204);
            assertThat(p.header("Access-Control-Allow-Origin")).as(path).isEqualTo(ORIGIN);
        }

        TestServer.Response get = server.send("GET", "/account", null, Map.of("Authorization", "Bearer " + key, "Origin", ORIGIN));
        assertThat(get.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
        assertThat(get.header("Access-Control-Expose-Headers")).contains("Retry-After", "X-Request-Id", "Deprecation", "Sunset");
        TestServer.Response denied = server.send("GET", "/account", null, Map.of("Origin", ORIGIN));
        assertThat(denied.status()).isEqualTo(401);
        assertThat(denied.header("Access-Control-Allow-Origin")).as("a page can read the error too").isEqualTo(ORIGIN);

        TestServer.Response other = server.send("GET", "/account", null, Map.of("Authorization", "Bearer " + key, "Origin", "https://evil.test"));
        assertThat(other.header("Access-Control-Allow-Origin")).isNull();
        Answer otherPreflight = raw("OPTIONS /account HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.test\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n");
        assertThat(otherPreflight.header("Access-Control-Allow-Origin")).isNull();
        assertThat(otherPreflight.header("Access-Control-Allow-Methods")).isNull();
    }

    @Test
    void noOriginIsAllowedByDefaultAndAStarAllowsAny() {
        try (TestServer closed = TestServer.start(0, 0, Clock.systemUTC());
             TestServer open = TestServer.start(0, 0, Clock.systemUTC(), "--cors-origins", "*")) {
            assertThat(closed.send("GET", "/healthz", null, Map.of("Origin", ORIGIN)).header("Access-Control-Allow-Origin")).isNull();
            assertThat(open.send("GET", "/healthz", null, Map.of("Origin", "https://any.test")).header("Access-Control-Allow-Origin")).isEqualTo("*");
        }
    }

    @Test
    void aRetriedCancelAnswersTheCancelledJobAndDestroysNothing() {
        MutableClock own = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
        try (TestServer idle = TestServer.start(0, 0, own)) { // no workers: the job is pending when cancelled
            String k = idle.account("1", 2, 2);
            String id = idle.generate(k, TestServer.SIMPLE_BODY).json().get("job_id").asText();
            assertThat(idle.delete(k, "/jobs/" + id).json().get("status").asText()).isEqualTo("cancelled");
            for (int i = 0; i < 3; i++) {
                own.advance(Duration.ofHours(7));
                TestServer.Response again = idle.delete(k, "/jobs/" + id);
                assertThat(again.status()).isEqualTo(200);
                assertThat(again.json().get("status").asText()).isEqualTo("cancelled");
                assertThat(idle.get(k, "/jobs/" + id).status()).as("still there after %d h", 7 * (i + 1)).isEqualTo(200);
            }
            own.advance(Duration.ofHours(3).plusMillis(1)); // 24 h and 1 ms after the cancel
            assertThat(idle.delete(k, "/jobs/" + id).status()).isEqualTo(200);
            assertThat(idle.get(k, "/jobs/" + id).status()).as("deleted after 24 hours").isEqualTo(404);

            // a job that ended otherwise is deleted by the first DELETE
            String failed = idle.generate(k, TestServer.SIMPLE_BODY).json().get("job_id").asText();
            var claimed = idle.easel.jobs().claim("w/0").orElseThrow();
            assertThat(idle.easel.jobs().fail(claimed, dev.easel.jobs.JobError.ENGINE_ERROR, "broke")).isTrue();
            assertThat(idle.delete(k, "/jobs/" + failed).json().get("status").asText()).isEqualTo("failed");
            assertThat(idle.get(k, "/jobs/" + failed).status()).isEqualTo(404);
        }
    }
}
