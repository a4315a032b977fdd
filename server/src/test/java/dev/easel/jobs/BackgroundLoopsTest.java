package dev.easel.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The loops that run in the background: the heartbeat, the reaper, and the order in which workers
 * take queued jobs. Each has a test that fails when the loop is not scheduled (or serves the wrong
 * job first), and the ticks are driven under the injected clock.
 */
class BackgroundLoopsTest {
    private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");

    /**
     * A render (8 steps of 300 ms) three times longer than the lease (1 s) completes on its first
     * attempt only if the scheduled heartbeat renews the lease: without it the scheduled reaper takes
     * the job back after a second, and the render's next step finds its claim gone.
     */
    @Test
    void theScheduledHeartbeatKeepsALongRenderOnItsFirstAttempt() {
        try (TestServer server = TestServer.start(1, 300, Clock.systemUTC(), "--lease-s", "1")) {
            String key = server.account("1", 1, 1);
            String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
            JsonNode done = server.awaitJob(key, id, j -> j.get("status").asText().matches("completed|failed"));
            assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("completed");
            assertThat(server.easel.jobs().get(server.easel.accounts().authenticate(key).orElseThrow(), id).orElseThrow().attempt())
                    .as("rendered on the first attempt, never taken back").isEqualTo(1);
        }
    }

    /**
     * A job held by a worker that vanished (its node never comes back) is returned to the queue by
     * the scheduled reaper once the lease runs out, and a live worker completes it.
     */
    @Test
    void theScheduledReaperReturnsTheJobOfAVanishedWorker() {
        MutableClock clock = new MutableClock(T0);
        Path dir = TestServer.tempDir("easel-reaper-");
        try {
            String key, id;
            try (TestServer first = TestServer.start(dir, 0, 0, clock, Duration.ofMinutes(10))) {
                key = first.account("1", 1, 1);
                id = first.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
                Job held = first.easel.jobs().claim("vanished-node/0").orElseThrow();
                assertThat(held.id()).isEqualTo(id);
            }
            try (TestServer second = TestServer.start(dir, 1, 0, clock, Duration.ofMinutes(10))) {
                assertThat(second.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("scheduled");
                clock.advance(Duration.ofSeconds(31)); // past the 30 s lease; nothing here calls the reaper
                JsonNode done = second.awaitStatus(key, id, "completed");
                assertThat(done.get("result").get("urls")).hasSize(1);
            }
        } finally {
            TestServer.deleteTree(dir);
        }
    }

    @Test
    void workersTakeTheOldestQueuedJobFirst() {
        MutableClock clock = new MutableClock(T0);
        try (TestServer server = TestServer.start(0, 0, clock)) {
            String key = server.account("1", 10, 10);
            List<String> submitted = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                submitted.add(server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText());
                clock.advance(Duration.ofSeconds(1));
            }
            List<String> claimed = new ArrayList<>();
            for (int i = 0; i < 5; i++) claimed.add(server.easel.jobs().claim("w/0").orElseThrow().id());
            assertThat(claimed).containsExactlyElementsOf(submitted);
        }
    }

    /** Under the injected clock: a beat renews the lease, so the reaper leaves the job; without beats it takes it back. */
    @Test
    void theHeartbeatAndTheReaperTickUnderTheInjectedClock() {
        MutableClock clock = new MutableClock(T0);
        try (TestServer server = TestServer.start(0, 0, clock)) {
            JobService jobs = server.easel.jobs();
            String key = server.account("1", 2, 2);
            String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
            Job claimed = jobs.claim("w/0").orElseThrow();
            LeaseKeeper keeper = new LeaseKeeper(jobs);
            Reaper reaper = new Reaper(jobs);
            keeper.hold(claimed);

            clock.advance(Duration.ofSeconds(20));
            assertThat(keeper.tick()).as("one lease renewed").isEqualTo(1);
            clock.advance(Duration.ofSeconds(20)); // 40 s after the claim, 20 s after the beat
            assertThat(reaper.tick()).as("the renewed lease still stands").isZero();
            assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("scheduled");

            clock.advance(Duration.ofSeconds(11)); // 31 s since the last beat
            assertThat(reaper.tick()).isEqualTo(1);
            assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("queued");
            assertThat(keeper.tick()).as("the old claim is not renewed").isZero();
        }
    }
}
