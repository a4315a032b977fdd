package dev.easel.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Leases, fencing and timeouts, driven by an injected clock: the "workers" here are the test
 * itself claiming jobs as a worker that then dies (never renews, never finishes).
 */
class LeaseTest {
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    TestServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    void start(int workers, long stepMs, Duration timeout) throws Exception {
        server = TestServer.start(workers, stepMs, clock, "--job-timeout-s", Long.toString(timeout.toSeconds()));
    }

    @Test
    void anExpiredLeaseRequeuesTheJobAndTheThirdLossFailsItAndReleasesItsPrice() throws Exception {
        start(0, 0, Duration.ofMinutes(10));
        JobService jobs = server.easel.jobs();
        String key = server.account("1", 1, 5);
        String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        String backlogged = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();

        for (int attempt = 1; attempt <= 3; attempt++) {
            Job claimed = jobs.claim("dead-node/0").orElseThrow();
            assertThat(claimed.id()).isEqualTo(id);
            assertThat(claimed.attempt()).isEqualTo(attempt);
            assertThat(jobs.progress(claimed, JobStatus.PROCESSING, null, null, null)).isTrue();
            clock.advance(Duration.ofSeconds(29));
            assertThat(jobs.reap()).as("lease still valid").isZero();
            clock.advance(Duration.ofSeconds(2));
            jobs.reap(); // the pool's own reaper may get there first on the same clock: assert the outcome
            assertThat(server.easel.jobs().get(claimed.accountId(), id).orElseThrow().attempt()).isEqualTo(attempt);
            String expected = attempt < 3 ? "queued" : "failed";
            assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo(expected);
        }
        JsonNode failed = server.get(key, "/jobs/" + id).json();
        assertThat(failed.get("error").get("code").asText()).isEqualTo("worker_lost");
        assertThat(failed.get("result").get("error").get("code").asText()).isEqualTo("worker_lost");
        assertThat(failed.get("completed_at").isNull()).isFalse();
        JsonNode account = server.get(key, "/account").json();
        assertThat(account.get("balance_usd").decimalValue()).as("failed jobs are not billed").isEqualByComparingTo("1");
        assertThat(account.get("reserved_usd").decimalValue()).as("only the promoted job holds money").isEqualByComparingTo("0.03");
        assertThat(server.get(key, "/jobs/" + backlogged).json().get("status").asText()).isEqualTo("queued");
    }

    @Test
    void aWorkerThatLostItsLeaseCannotOverwriteTheNewOwner() throws Exception {
        start(0, 0, Duration.ofMinutes(10));
        JobService jobs = server.easel.jobs();
        String key = server.account("1", 1, 5);
        String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        Job stale = jobs.claim("slow-node/0").orElseThrow();
        clock.advance(Duration.ofSeconds(31));
        jobs.reap();
        Job fresh = jobs.claim("other-node/0").orElseThrow();
        assertThat(fresh.attempt()).isEqualTo(2);

        assertThat(jobs.progress(stale, JobStatus.SAMPLING, 3, 8, null)).isFalse();
        assertThat(jobs.renewLease(stale)).isFalse();
        assertThat(jobs.complete(stale, "STALESTALESTALESTALE", new Job.Result(1, "x", 1, 1, dev.easel.expand.Expansion.Kind.BUILTIN))).isFalse();
        assertThat(jobs.fail(stale, dev.easel.jobs.JobError.ENGINE_ERROR, "x")).isFalse();
        assertThat(jobs.progress(fresh, JobStatus.PROCESSING, null, null, null)).isTrue();
        assertThat(jobs.progress(fresh, JobStatus.SAMPLING, 1, 8, null)).isTrue();
        assertThat(jobs.complete(fresh, "FRESHFRESHFRESHFRESH", new Job.Result(7, "p", 1024, 1024, dev.easel.expand.Expansion.Kind.BUILTIN))).isTrue();
        assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("completed");
        assertThat(server.get(key, "/account").json().get("balance_usd").decimalValue()).as("charged once").isEqualByComparingTo("0.97");
    }

    @Test
    void aHeartbeatKeepsTheLeaseButNotPastTheTimeout() throws Exception {
        start(0, 0, Duration.ofSeconds(60));
        JobService jobs = server.easel.jobs();
        String key = server.account("1", 1, 5);
        String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        Job claimed = jobs.claim("busy-node/0").orElseThrow();
        for (int i = 0; i < 3; i++) {
            clock.advance(Duration.ofSeconds(20));
            assertThat(jobs.renewLease(claimed)).isTrue();
            assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("scheduled");
            if (i < 2) assertThat(jobs.reap()).isZero();
        }
        clock.advance(Duration.ofSeconds(1));
        jobs.reap();
        JsonNode job = server.get(key, "/jobs/" + id).json();
        assertThat(job.get("status").asText()).isEqualTo("failed");
        assertThat(job.get("error").get("code").asText()).isEqualTo("timeout");
        assertThat(job.get("error").get("message").asText()).isEqualTo("the job ran longer than the limit of 60 s");
        assertThat(server.get(key, "/account").json().get("reserved_usd").decimalValue()).isEqualByComparingTo("0");
    }

    @Test
    void aRunningRenderPastTheTimeoutFailsWithTimeout() throws Exception {
        start(1, 150, Duration.ofSeconds(60));
        String key = server.account("1", 1, 5);
        String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        server.awaitStatus(key, id, "sampling");
        clock.advance(Duration.ofSeconds(61));
        JsonNode job = server.awaitStatus(key, id, "failed");
        assertThat(job.get("error").get("code").asText()).isEqualTo("timeout");
    }

    @Test
    void jobsHeldByThisNodeBeforeARestartAreRequeuedAtStart() throws Exception {
        start(0, 0, Duration.ofMinutes(10));
        String key = server.account("1", 1, 5);
        String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        String nodeId = Files.readString(server.dataDir.resolve("node-id")).strip();
        server.easel.jobs().claim(nodeId + "/0").orElseThrow();
        server = server.restart(1, 0);
        JsonNode done = server.awaitStatus(key, id, "completed");
        assertThat(done.get("status").asText()).isEqualTo("completed");
    }
}
