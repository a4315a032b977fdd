package dev.easel.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.ApiClient;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import dev.easel.RemoteSite;
import dev.easel.RemoteSite.Received;
import dev.easel.RemoteSite.Reply;
import dev.easel.jobs.Job;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Webhook delivery end to end: a real easel sends to a real receiver on a free port. Backoff is
 * crossed by moving the injected clock to the next due time, never by sleeping through it.
 */
class WebhookDeliveryTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    private final RemoteSite receiver = new RemoteSite();
    private TestServer server;
    private String key;

    private void start(int workers, String... flags) throws Exception {
        server = TestServer.start(workers, 0, clock, flags);
        key = server.account("100", 1000, 1000);
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        receiver.close();
    }

    private String submit(String hookUrl) {
        TestServer.Response r = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY,
                Map.of("Authorization", "Bearer " + key, "X-Webhook-URL", hookUrl));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("job_id").asText();
    }

    private JsonNode hook(String jobId) {
        TestServer.Response r = server.get(key, "/jobs/" + jobId + "/webhook");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private JsonNode awaitHook(String jobId, Predicate<JsonNode> done) {
        Instant deadline = Instant.now().plusSeconds(30);
        JsonNode h = hook(jobId);
        while (!done.test(h)) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("webhook of " + jobId + " stuck at " + h);
            TestServer.sleep(10);
            h = hook(jobId);
        }
        return h;
    }

    private static Predicate<JsonNode> attempts(int n) {
        return h -> h.get("attempts").size() == n && !h.get("status").asText().equals("waiting")
                && (!h.get("status").asText().equals("pending") || !h.get("next_attempt_at").isNull());
    }

    /** Moves the clock to the webhook's next due time, so that the dispatcher retries it now. */
    private void advanceToNextAttempt(JsonNode h) {
        clock.set(Instant.parse(h.get("next_attempt_at").asText()));
    }

    @Test
    void theCompletedJobIsPostedExactlyAsGetReturnsItAndTheSignatureVerifies() throws Exception {
        start(1);
        String id = submit(receiver.url("/hook?token=abc"));
        receiver.await(r -> r.size() == 1);
        Received got = receiver.received.get(0);
        byte[] asGet = server.get(key, "/jobs/" + id).bytes();
        assertThat(got.body()).as("payload byte for byte").isEqualTo(asGet);
        assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("completed");
        assertThat(got.path()).isEqualTo("/hook");
        assertThat(got.header("content-type")).startsWith("application/json");
        assertThat(got.header("webhook-id")).startsWith("msg_");
        assertThat(got.header("webhook-timestamp")).isEqualTo(Long.toString(clock.instant().getEpochSecond()));

        JsonNode secret = server.get(key, "/account/webhook-secret").json();
        assertThat(secret.get("secret").asText()).startsWith("whsec_");
        assertThat(secret.get("previous_valid_until").isNull()).isTrue();
        assertThat(verifiedBy(got)).containsExactly(secret.get("secret").asText());
        assertThat(verifiedBy(got, "whsec_" + Base64.getEncoder().encodeToString(new byte[32]))).isEmpty();

        JsonNode h = awaitHook(id, x -> x.get("status").asText().equals("delivered"));
        assertThat(h.get("webhook_id").asText()).isEqualTo(got.header("webhook-id"));
        assertThat(h.get("url").asText()).isEqualTo(receiver.url("/hook?token=abc"));
        assertThat(h.get("attempts")).hasSize(1);
        assertThat(h.get("attempts").get(0).get("status_code").asInt()).isEqualTo(200);
        assertThat(h.get("attempts").get(0).get("error").isNull()).isTrue();
        assertThat(h.get("attempts").get(0).get("duration_ms").asLong()).isNotNegative();
        assertThat(h.get("next_attempt_at").isNull()).isTrue();
    }

    @Test
    void cancelledAndFailedJobsAreDeliveredToo() throws Exception {
        start(0);
        String id = submit(receiver.url("/hook"));
        assertThat(server.delete(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("cancelled");
        receiver.await(r -> r.size() == 1);
        assertThat(receiver.received.get(0).body()).isEqualTo(server.get(key, "/jobs/" + id).bytes());

        String failing = submit(receiver.url("/hook"));
        Job claimed = server.easel.jobs().claim("test-worker").orElseThrow();
        assertThat(server.easel.jobs().fail(claimed, dev.easel.jobs.JobError.ENGINE_ERROR, "the engine broke")).isTrue();
        receiver.await(r -> r.size() == 2);
        JsonNode payload = TestServer.object(receiver.received.get(1).bodyText());
        assertThat(payload.get("job_id").asText()).isEqualTo(failing);
        assertThat(payload.get("status").asText()).isEqualTo("failed");
        assertThat(payload.get("error").get("code").asText()).isEqualTo("engine_error");
    }

    @Test
    void aReceiverThatFailsThreeTimesGetsOneSuccessfulDeliveryAfterFourAttempts() throws Exception {
        start(1);
        AtomicInteger calls = new AtomicInteger();
        receiver.reply = r -> Reply.status(calls.incrementAndGet() <= 3 ? 500 : 200);
        String id = submit(receiver.url("/hook"));
        List<Long> waits = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            JsonNode h = awaitHook(id, attempts(n));
            assertThat(h.get("status").asText()).isEqualTo("pending");
            Instant attemptAt = Instant.parse(h.get("attempts").get(n - 1).get("at").asText());
            Instant next = Instant.parse(h.get("next_attempt_at").asText());
            waits.add(Duration.between(attemptAt, next).toSeconds());
            assertThat(receiver.received).as("no retry before its time").hasSize(n);
            advanceToNextAttempt(h);
        }
        JsonNode h = awaitHook(id, x -> x.get("status").asText().equals("delivered"));
        assertThat(h.get("attempts")).hasSize(4);
        assertThat(h.get("attempts").findValuesAsText("status_code")).containsExactly("500", "500", "500", "200");
        assertThat(receiver.received).hasSize(4);
        assertThat(receiver.received.stream().map(r -> r.header("webhook-id")).distinct()).as("the same id each time").hasSize(1);
        // exponential with equal jitter: 5-10 s, then 10-20 s, then 20-40 s
        assertThat(waits.get(0)).isBetween(5L, 10L);
        assertThat(waits.get(1)).isBetween(10L, 20L);
        assertThat(waits.get(2)).isBetween(20L, 40L);
        clock.advance(Duration.ofDays(4));
        assertThat(server.easel.webhooks().pendingCount()).as("nothing pending: nothing more will be sent").isZero();
        assertThat(receiver.received).as("nothing after a success").hasSize(4);
    }

    @Test
    void goneStopsRetrying() throws Exception {
        start(1);
        receiver.reply = r -> Reply.status(410);
        String id = submit(receiver.url("/hook"));
        JsonNode h = awaitHook(id, x -> x.get("status").asText().equals("failed"));
        assertThat(h.get("attempts")).hasSize(1);
        assertThat(h.get("attempts").get(0).get("status_code").asInt()).isEqualTo(410);
        assertThat(h.get("next_attempt_at").isNull()).isTrue();
        clock.advance(Duration.ofDays(1));
        assertThat(server.easel.webhooks().pendingCount()).as("nothing pending: nothing more will be sent").isZero();
        assertThat(receiver.received).hasSize(1);
    }

    @Test
    void aRedirectIsNotFollowed() throws Exception {
        start(1);
        receiver.reply = r -> r.path().equals("/moved")
                ? new Reply(302, Map.of("Location", receiver.url("/elsewhere")), 0, false) : Reply.status(200);
        String id = submit(receiver.url("/moved"));
        JsonNode h = awaitHook(id, attempts(1));
        assertThat(h.get("attempts").get(0).get("status_code").asInt()).isEqualTo(302);
        assertThat(h.get("status").asText()).as("a redirect is a failed attempt, retried later").isEqualTo("pending");
        // the attempt is over (recorded above): a redirect it followed would have been requested within it
        assertThat(receiver.at("/elsewhere")).isEmpty();
    }

    @Test
    void aHangingReceiverIsCutAtTheTimeout() throws Exception {
        start(1, "--webhook-timeout-s", "1");
        receiver.reply = r -> Reply.HANG;
        String id = submit(receiver.url("/hook"));
        JsonNode h = awaitHook(id, attempts(1));
        JsonNode attempt = h.get("attempts").get(0);
        assertThat(attempt.get("status_code").isNull()).isTrue();
        assertThat(attempt.get("error").asText()).isEqualTo("timeout: no response within 1 s");
        assertThat(attempt.get("duration_ms").asLong()).isGreaterThanOrEqualTo(1000);
        assertThat(h.get("status").asText()).isEqualTo("pending");
    }

    @Test
    void retryAfterIsHonouredAndRetriesEndAfterThreeDays() throws Exception {
        start(1);
        receiver.reply = r -> new Reply(503, Map.of("Retry-After", "7200"), 0, false);
        String id = submit(receiver.url("/hook"));
        JsonNode h = awaitHook(id, attempts(1));
        Instant first = Instant.parse(h.get("attempts").get(0).get("at").asText());
        assertThat(Instant.parse(h.get("next_attempt_at").asText())).isEqualTo(first.plus(Duration.ofHours(2)));
        assertThat(Instant.parse(h.get("give_up_at").asText())).isEqualTo(first.plus(Duration.ofDays(3)));
        // three days later the next attempt is the last: its retry would fall past the give-up time
        clock.advance(Duration.ofDays(3).minusMinutes(1));
        h = awaitHook(id, attempts(2));
        assertThat(h.get("status").asText()).isEqualTo("failed");
        clock.advance(Duration.ofDays(1));
        assertThat(server.easel.webhooks().pendingCount()).as("nothing pending: nothing more will be sent").isZero();
        assertThat(receiver.received).hasSize(2);
    }

    @Test
    void redeliverSendsTheSameMessageAgain() throws Exception {
        start(1);
        String id = submit(receiver.url("/hook"));
        awaitHook(id, x -> x.get("status").asText().equals("delivered"));
        TestServer.Response r = server.send("POST", "/jobs/" + id + "/webhook/redeliver", null, Map.of("Authorization", "Bearer " + key));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("status").asText()).isEqualTo("pending");
        receiver.await(x -> x.size() == 2);
        assertThat(receiver.received.get(1).body()).isEqualTo(receiver.received.get(0).body());
        assertThat(receiver.received.get(1).header("webhook-id")).isEqualTo(receiver.received.get(0).header("webhook-id"));
        assertThat(awaitHook(id, attempts(2)).get("status").asText()).isEqualTo("delivered");
    }

    @Test
    void webhookRoutesSayWhatIsWrong() throws Exception {
        start(0);
        String plain = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        TestServer.Response r = server.get(key, "/jobs/" + plain + "/webhook");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.error()).isEqualTo("job " + plain + " has no webhook: it was submitted without an X-Webhook-URL header");

        String waiting = submit(receiver.url("/hook"));
        JsonNode h = hook(waiting);
        assertThat(h.get("status").asText()).isEqualTo("waiting");
        assertThat(h.get("webhook_id").isNull()).isTrue();
        assertThat(h.get("attempts")).isEmpty();
        r = server.send("POST", "/jobs/" + waiting + "/webhook/redeliver", null, Map.of("Authorization", "Bearer " + key));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.error()).isEqualTo("job " + waiting + " has not ended yet (status queued): its webhook is sent when it "
                + "completes, fails or is cancelled");

        String other = server.account("1", 1, 1);
        assertThat(server.get(other, "/jobs/" + waiting + "/webhook").status()).isEqualTo(404);
        assertThat(server.send("POST", "/jobs/" + waiting + "/webhook/redeliver", null,
                Map.of("Authorization", "Bearer " + other)).status()).isEqualTo(404);
        assertThat(server.send("GET", "/account/webhook-secret", null, Map.of()).status()).isEqualTo(401);
        assertThat(server.send("POST", "/account/webhook-secret/rotate", null, Map.of()).status()).isEqualTo(401);
        assertThat(server.get(other, "/account/webhook-secret").json().get("secret").asText())
                .as("each account has its own secret").isNotEqualTo(server.get(key, "/account/webhook-secret").json().get("secret").asText());
    }

    @Test
    void afterARotationBothSecretsSignFor24Hours() throws Exception {
        start(0);
        String old = server.get(key, "/account/webhook-secret").json().get("secret").asText();
        TestServer.Response r = server.send("POST", "/account/webhook-secret/rotate", null, Map.of("Authorization", "Bearer " + key));
        assertThat(r.status()).isEqualTo(200);
        String fresh = r.json().get("secret").asText();
        assertThat(fresh).startsWith("whsec_").isNotEqualTo(old);
        assertThat(Instant.parse(r.json().get("previous_valid_until").asText())).isEqualTo(clock.instant().plus(Duration.ofHours(24)));
        assertThat(server.get(key, "/account/webhook-secret").json().get("secret").asText()).isEqualTo(fresh);

        server.delete(key, "/jobs/" + submit(receiver.url("/hook")));
        receiver.await(x -> x.size() == 1);
        assertThat(verifiedBy(receiver.received.get(0), old, fresh)).containsExactlyInAnyOrder(old, fresh);
        assertThat(receiver.received.get(0).header("webhook-signature").split(" ")).hasSize(2);

        clock.advance(Duration.ofHours(24).plusSeconds(1));
        server.delete(key, "/jobs/" + submit(receiver.url("/hook")));
        receiver.await(x -> x.size() == 2);
        assertThat(verifiedBy(receiver.received.get(1), old, fresh)).containsExactly(fresh);
        assertThat(server.get(key, "/account/webhook-secret").json().get("previous_valid_until").isNull()).isTrue();
    }

    @Test
    void withoutTheOperatorsSettingAPrivateAddressIsRefused() throws Exception {
        start(0, "--allow-private-targets=false");
        String id = submit(receiver.url("/hook"));
        server.delete(key, "/jobs/" + id);
        JsonNode h = awaitHook(id, x -> x.get("status").asText().equals("failed"));
        assertThat(h.get("attempts")).hasSize(1);
        assertThat(h.get("attempts").get(0).get("error").asText()).isEqualTo("refused: 127.0.0.1 is a loopback address");
        assertThat(receiver.received).isEmpty();

        String named = submit(receiver.url("/hook").replace("127.0.0.1", "localhost"));
        server.delete(key, "/jobs/" + named);
        h = awaitHook(named, x -> x.get("status").asText().equals("failed"));
        assertThat(h.get("attempts").get(0).get("error").asText()).startsWith("refused: localhost resolves to ")
                .endsWith("a loopback address");
        assertThat(receiver.received).isEmpty();
    }

    @Test
    void aThousandJobsEndingAtOnceAreAllDeliveredWithBoundedConcurrency() throws Exception {
        start(0, "--webhook-concurrency", "8");
        receiver.reply = r -> new Reply(200, Map.of(), 5, false);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) ids.add(submit(receiver.url("/hook")));
        var jobs = server.easel.jobs();
        for (int i = 0; i < 1000; i++) {
            Job claimed = jobs.claim("test-worker").orElseThrow();
            assertThat(jobs.progress(claimed, dev.easel.jobs.JobStatus.PROCESSING, null, null, null)).isTrue();
            assertThat(jobs.complete(claimed, "k" + "0".repeat(20) + i, new Job.Result(1, "p", 1024, 1024, dev.easel.expand.Expansion.Kind.BUILTIN))).isTrue();
        }
        receiver.await(r -> r.size() >= 1000);
        Set<String> delivered = new HashSet<>();
        for (Received r : receiver.received) delivered.add(TestServer.object(r.bodyText()).get("job_id").asText());
        assertThat(delivered).isEqualTo(ids);
        assertThat(receiver.received).as("each exactly once when every answer is 200").hasSize(1000);
        assertThat(receiver.maxInFlight.get()).isBetween(2, 8);
    }

    @Test
    void aLargeResponseBodyIsCutOffAndTheStatusStillCounts() throws Exception {
        start(1);
        receiver.replyBody = new byte[8 * 1024 * 1024];
        String id = submit(receiver.url("/hook"));
        JsonNode h = awaitHook(id, x -> x.get("status").asText().equals("delivered"));
        assertThat(h.get("attempts")).hasSize(1);
        assertThat(h.get("attempts").get(0).get("status_code").asInt()).isEqualTo(200);
    }

    @Test
    void aPendingDeliveryOutlivesTheDeletionOfItsJob() throws Exception {
        start(0);
        AtomicInteger calls = new AtomicInteger();
        receiver.reply = r -> Reply.status(calls.incrementAndGet() == 1 ? 500 : 200);
        String id = submit(receiver.url("/hook"));
        Job claimed = server.easel.jobs().claim("test-worker").orElseThrow();
        assertThat(server.easel.jobs().fail(claimed, dev.easel.jobs.JobError.ENGINE_ERROR, "broke")).isTrue(); // the webhook is due
        JsonNode h = awaitHook(id, attempts(1));
        assertThat(server.delete(key, "/jobs/" + id).status()).as("deleted").isEqualTo(200);
        assertThat(server.get(key, "/jobs/" + id + "/webhook").status()).isEqualTo(404);
        advanceToNextAttempt(h);
        receiver.await(r -> r.size() == 2);
        assertThat(receiver.received.get(1).body()).isEqualTo(receiver.received.get(0).body());
    }

    @Test
    void anHttpsReceiverMustHaveATrustedCertificate() throws Exception {
        start(0);
        java.nio.file.Path tlsDir = TestServer.tempDir("easel-tls-");
        try (RemoteSite tls = RemoteSite.https(tlsDir)) {
            String id = submit(tls.url("/hook"));
            assertThat(tls.url("/hook")).startsWith("https://");
            server.delete(key, "/jobs/" + id);
            JsonNode h = awaitHook(id, attempts(1));
            assertThat(h.get("attempts").get(0).get("error").asText()).startsWith("TLS failed: ");
            assertThat(h.get("status").asText()).isEqualTo("pending");
            assertThat(tls.received).isEmpty();
        } finally {
            TestServer.deleteTree(tlsDir);
        }
    }

    /** Which of {@code secrets} (the account's current one if none given) a signature in the request verifies with. */
    private List<String> verifiedBy(Received r, String... secrets) throws Exception {
        List<String> candidates = secrets.length > 0 ? List.of(secrets)
                : List.of(server.get(key, "/account/webhook-secret").json().get("secret").asText());
        List<String> ok = new ArrayList<>();
        for (String secret : candidates) {
            if (Verifier.verify(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(), r.header("webhook-signature"))) {
                ok.add(secret);
            }
        }
        return ok;
    }

    /** Standard Webhooks verification written from the spec, independent of easel's signer. */
    static final class Verifier {
        static boolean verify(String secret, String id, String timestamp, byte[] body, String header) throws Exception {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.split("_", 2)[1]), "HmacSHA256"));
            byte[] signed = (id + "." + timestamp + "." + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
            String expected = Base64.getEncoder().encodeToString(mac.doFinal(signed));
            for (String part : header.split(" ")) {
                String[] versioned = part.split(",", 2);
                if (versioned[0].equals("v1") && java.security.MessageDigest.isEqual(
                        versioned[1].getBytes(StandardCharsets.US_ASCII), expected.getBytes(StandardCharsets.US_ASCII))) {
                    return true;
                }
            }
            return false;
        }
    }
}
