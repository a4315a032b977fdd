package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.RawHttp;
import dev.easel.RawHttp.Answer;
import dev.easel.TestServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A few thousand hostile requests from a fixed seed: mutated bodies, headers, cursors, paths,
 * methods, chunked and multipart framing, written byte by byte on a socket. None may get a 5xx or
 * a non-JSON error, none may hang, and the server must be healthy afterwards. A failure prints the
 * request, so the seed and the case reproduce it.
 */
class HostileInputTest {
    private static final long SEED = 20261130L;
    private static final int REQUESTS = 3000;
    private static final String UUID = "0b7a4b8e-2f0c-4c1e-9a51-9f2d1c3e4a5b";
    private static final List<String> TEMPLATES = List.of(TestServer.GENERATE, "/jobs", "/jobs/{id}", "/jobs/{id}/events",
            "/jobs/{id}/webhook", "/jobs/{id}/webhook/redeliver", "/assets", "/assets/{id}", "/styles", "/styles/{id}",
            "/moodboards", "/moodboards/{id}", "/account", "/account/webhook-secret", "/account/webhook-secret/rotate",
            "/admin/accounts", "/admin/accounts/{id}", "/admin/accounts/{id}/credits", "/admin/accounts/{id}/keys",
            "/images/{id}", "/healthz", "/readyz", "/metrics", "/openapi.json", "/", "/nope");
    private static final List<String> BODIES = List.of(
            "{\"prompt\":\"a fox\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\"}",
            "{\"prompt\":\"a fox\",\"aspect_ratio\":\"16:9\",\"resolution\":\"1K\",\"seed\":42,\"styles\":[{\"id\":\"ink\",\"strength\":1}],"
                    + "\"image_style_references\":[{\"url\":\"https://e.test/a.png\",\"strength\":0.5}],\"moodboards\":[{\"id\":\"" + UUID + "\"}],"
                    + "\"creativity\":\"high\",\"intensity\":10,\"complexity\":-5}",
            "{\"name\":\"team\",\"credits_usd\":5,\"max_concurrent_jobs\":2,\"max_backlog\":3}",
            "{\"amount_usd\":1.5}",
            "{\"title\":\"board\",\"image_urls\":[\"https://e.test/a.png\"]}",
            "{\"title\":\"t\",\"prompt\":\"p\",\"public\":true}");
    private static final List<String> VALUES = List.of("null", "true", "-1", "0", "1E-999999999", "1E+999999999", "-0.0",
            "123456789012345678901234567890", "\"\"", "\"\\u0000\"", "\"" + "x".repeat(5000) + "\"", "[]", "{}", "[[[[[[[[[[]]]]]]]]]]",
            "\"\\ud800\"", "\"é\"", "1.5", "\"http://h:99999/\"", "[" + "1,".repeat(200) + "1]", "\"" + UUID + "\"");

    @Test
    void noHostileRequestGetsA5xxANonJsonErrorOrAHang() {
        try (TestServer server = TestServer.start(1, 0, Clock.systemUTC(), "--cors-origins", "*")) {
            String key = server.account("1000", 2, 5);
            String admin = server.easel.adminToken();
            SplittableRandom random = new SplittableRandom(SEED);
            List<String> problems = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i < REQUESTS && problems.size() < 10; i++) {
                byte[] request = request(random, key, admin);
                Answer a = RawHttp.exchange(server.easel.port(), request, 10_000);
                String what = "#" + i + " " + printable(request);
                boolean head = new String(request, 0, Math.min(5, request.length), StandardCharsets.ISO_8859_1).startsWith("HEAD ");
                if (a.timedOut()) problems.add("no answer within 10 s: " + what);
                else if (a.status() >= 500) problems.add(a.status() + " " + a.text() + ": " + what);
                else if (a.status() == -1) problems.add("closed without an answer: " + what);
                else if (a.status() >= 400 && !head && !isJsonError(a)) problems.add(a.status() + " not a JSON error (" + a.headers() + " " + a.text() + "): " + what);
            }
            assertThat(problems).isEmpty();
            assertThat((System.nanoTime() - started) / 1e9).as("seconds for %d requests", REQUESTS).isLessThan(120);

            assertThat(server.send("GET", "/healthz", null, Map.of()).status()).isEqualTo(200);
            assertThat(server.send("GET", "/readyz", null, Map.of()).status()).isEqualTo(200);
            String fresh = server.account("1", 1, 1);
            String id = server.generate(fresh, TestServer.SIMPLE_BODY).json().get("job_id").asText();
            assertThat(server.awaitStatus(fresh, id, "completed").get("result").get("urls")).hasSize(1);
        }
    }

    private static boolean isJsonError(Answer a) {
        if (a.header("Content-Type") == null || !a.header("Content-Type").startsWith("application/json")) return false;
        try {
            return TestServer.object(a.text()).get("error").isTextual();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static byte[] request(SplittableRandom r, String key, String admin) {
        String method = pick(r, "GET", "GET", "POST", "POST", "POST", "DELETE", "PATCH", "PUT", "HEAD", "OPTIONS", "get", "Post", "PROPFIND",
                "G\u0001T", "TRACE", "CONNECT");
        String path = pick(r, TEMPLATES).replace("{id}", pick(r, UUID, "x", "%00", "..%2F..%2Fetc%2Fpasswd", "a".repeat(3000), "%ZZ",
                "\u00e9", "9".repeat(30) + ".png", "-1", "%20", ""));
        if (r.nextInt(4) == 0) {
            path += "?" + pick(r, "limit", "cursor", "status", "types", "x") + "=" + pick(r, "0", "1001", "-1", "99999999999999999999",
                    "%2B999999999-12-31T23:59:59Z", "99999999999999999999_" + UUID, "queued", "%FF", "", "a,b,,c", "1e9")
                    + (r.nextBoolean() ? "&limit=" + pick(r, "1", "abc") : "");
        }
        if (r.nextInt(30) == 0) path = pick(r, "*", "http://evil.test/jobs", "//jobs", "/jobs/../account", "jobs", "/jobs#x");
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(' ')
                .append(r.nextInt(40) == 0 ? pick(r, "HTTP/1.0", "HTTP/2", "HTTP/1.1 x", "FOO") : "HTTP/1.1").append("\r\nHost: x\r\n");
        switch (r.nextInt(6)) {
            case 0, 1, 2 -> head.append("Authorization: Bearer ").append(key).append("\r\n");
            case 3 -> head.append("Authorization: Bearer ").append(admin).append("\r\n");
            case 4 -> head.append("Authorization: ").append(pick(r, "Bearer", "Basic eDp5", "Bearer " + "k".repeat(500), "bearer  x")).append("\r\n");
            default -> { }
        }
        byte[] body = body(r);
        String type = pick(r, "application/json", "application/json", "application/json; charset=utf-16", "text/plain", "",
                "multipart/form-data", "multipart/form-data; boundary=B", "multipart/form-data; boundary=", null);
        if (type != null && type.startsWith("multipart/form-data; boundary=B") || (type != null && type.startsWith("multipart") && r.nextBoolean())) {
            type = "multipart/form-data; boundary=B";
            body = multipart(r);
        }
        if (type != null) head.append("Content-Type: ").append(type).append("\r\n");
        if (r.nextInt(5) == 0) head.append(pick(r, "X-Webhook-URL: ", "Idempotency-Key: ", "X-Request-Id: ", "Origin: ", "Expect: "))
                .append(pick(r, "http://h:99999/", "https://e.test/h", "k".repeat(300), "\u00ff\u00fe", "", "100-continue", "a b c")).append("\r\n");
        if (r.nextInt(50) == 0) head.append("X-Many: ").append("v".repeat(r.nextInt(20_000))).append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (r.nextInt(10)) {
            case 0 -> { // chunked, often broken
                head.append("Transfer-Encoding: chunked\r\n\r\n");
                out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.writeBytes(chunked(r, body));
            }
            case 1 -> { // a Content-Length that lies, or is not a number
                head.append("Content-Length: ").append(pick(r, Integer.toString(body.length + 1 + r.nextInt(100)), "-5", "abc",
                        Integer.toString(Math.max(0, body.length - 3)), "99999999999999999999", "1, 2")).append("\r\n\r\n");
                out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.writeBytes(body);
            }
            case 2 -> { // both framings
                head.append("Content-Length: ").append(body.length).append("\r\nTransfer-Encoding: chunked\r\n\r\n");
                out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.writeBytes(chunked(r, body));
            }
            default -> {
                head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
                out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.writeBytes(body);
            }
        }
        return out.toByteArray();
    }

    /** A valid body of one of the routes, mutated: a value replaced, bytes flipped, cut short, or nested deep. */
    private static byte[] body(SplittableRandom r) {
        String json = pick(r, BODIES);
        switch (r.nextInt(7)) {
            case 0 -> { // a value replaced by a hostile one
                int colon = json.indexOf(':', r.nextInt(json.length()));
                if (colon > 0) {
                    int end = json.indexOf(',', colon);
                    if (end < 0) end = json.length() - 1;
                    json = json.substring(0, colon + 1) + pick(r, VALUES) + json.substring(end);
                }
            }
            case 1 -> { // bytes flipped
                byte[] b = json.getBytes(StandardCharsets.UTF_8);
                for (int k = 0; k < 1 + r.nextInt(4); k++) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                return b;
            }
            case 2 -> json = json.substring(0, r.nextInt(json.length())); // cut short
            case 3 -> json = "[".repeat(2000 + r.nextInt(3000)) + "]".repeat(r.nextInt(2)); // nested past the parser's limit
            case 4 -> json = json.replaceFirst("\\{", "{\"" + pick(r, "prompt", "name", "x") + "\":1,"); // a duplicate or unknown key
            default -> { }
        }
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] multipart(SplittableRandom r) {
        String part = "--B\r\nContent-Disposition: form-data; name=\"" + pick(r, "file", "title", "x", "file\"; filename=\"a.png")
                + "\"\r\n" + (r.nextBoolean() ? "Content-Type: image/png\r\n" : "") + "\r\n"
                + pick(r, "\u0089PNG\r\n\u001a\n", "hello", "", "x".repeat(2000)) + "\r\n";
        String all = part + (r.nextBoolean() ? "--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n" : "")
                + pick(r, "--B--\r\n", "--B", "", "--C--\r\n", "--B--");
        byte[] b = all.getBytes(StandardCharsets.ISO_8859_1);
        if (r.nextInt(3) == 0 && b.length > 0) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        return b;
    }

    private static byte[] chunked(SplittableRandom r, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (r.nextInt(5)) {
            case 0 -> out.writeBytes(("zz\r\n").getBytes(StandardCharsets.ISO_8859_1)); // not a hex size
            case 1 -> { // a size larger than what follows
                out.writeBytes((Integer.toHexString(body.length + 50) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.writeBytes(body);
            }
            case 2 -> out.writeBytes(("fffffffffffffffff\r\n").getBytes(StandardCharsets.ISO_8859_1)); // a size past any limit
            default -> { // well formed, in pieces
                int at = 0;
                while (at < body.length) {
                    int n = Math.min(body.length - at, 1 + r.nextInt(64));
                    out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body, at, n);
                    out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    at += n;
                }
                out.writeBytes(("0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        return out.toByteArray();
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom r, T... options) {
        return options[r.nextInt(options.length)];
    }

    private static <T> T pick(SplittableRandom r, List<T> options) {
        return options.get(r.nextInt(options.size()));
    }

    private static String printable(byte[] request) {
        String s = new String(request, 0, Math.min(request.length, 400), StandardCharsets.ISO_8859_1);
        return s.replace("\r", "\\r").replace("\n", "\\n") + (request.length > 400 ? "…(" + request.length + " bytes)" : "");
    }
}
