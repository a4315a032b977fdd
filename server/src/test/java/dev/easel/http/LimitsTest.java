package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.MutableClock;
import dev.easel.TestServer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** max_concurrent_jobs and max_backlog, alone and under concurrent load. No workers: jobs stay where they land. */
class LimitsTest {
    TestServer server;

    @BeforeEach
    void start() {
        server = TestServer.start(0, 0, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void tooManyRequestsAfterConcurrentPlusBacklog() {
        String key = server.account("10", 2, 3);
        List<String> statuses = new ArrayList<>();
        for (int i = 0; i < 5; i++) statuses.add(server.generate(key, TestServer.SIMPLE_BODY).json().get("status").asText());
        assertThat(statuses).containsExactly("queued", "queued", "backlogged", "backlogged", "backlogged");
        TestServer.Response r = server.generate(key, TestServer.SIMPLE_BODY);
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.header("Retry-After")).isNotBlank();
        assertThat(r.error()).isEqualTo("too many jobs: your account has 2 running and 3 waiting (max_concurrent_jobs 2, "
                + "max_backlog 3); retry when one of them finishes");
        var account = server.get(key, "/account").json();
        assertThat(account.get("running_jobs").asInt()).isEqualTo(2);
        assertThat(account.get("waiting_jobs").asInt()).isEqualTo(3);
        assertThat(account.get("reserved_usd").decimalValue()).isEqualByComparingTo("0.15");
    }

    @Test
    void backlogIsPromotedOldestFirstWhenAnActiveJobEnds() {
        String key = server.account("10", 1, 3);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) ids.add(server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText());
        assertThat(status(key, ids.get(0))).isEqualTo("queued");
        // cancelling a backlogged job frees backlog room but promotes nothing
        server.delete(key, "/jobs/" + ids.get(2));
        assertThat(status(key, ids.get(1))).isEqualTo("backlogged");
        // the active job ends: the oldest backlogged one (1) is promoted, not the newer (3)
        server.delete(key, "/jobs/" + ids.get(0));
        assertThat(status(key, ids.get(1))).isEqualTo("queued");
        assertThat(status(key, ids.get(3))).isEqualTo("backlogged");
        server.delete(key, "/jobs/" + ids.get(1));
        assertThat(status(key, ids.get(3))).isEqualTo("queued");
    }

    @Test
    void limitsHoldUnderConcurrency() throws Exception {
        String key = server.account("100", 5, 20);
        ExecutorService pool = Executors.newFixedThreadPool(50);
        ConcurrentLinkedQueue<Integer> codes = new ConcurrentLinkedQueue<>();
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            futures.add(pool.submit(() -> codes.add(server.generate(key, TestServer.SIMPLE_BODY).status())));
        }
        for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
        pool.shutdown();
        assertThat(codes.stream().filter(c -> c == 200).count()).isEqualTo(25);
        assertThat(codes.stream().filter(c -> c == 429).count()).isEqualTo(175);
        var account = server.get(key, "/account").json();
        assertThat(account.get("reserved_usd").decimalValue()).isEqualByComparingTo("0.75");
        assertThat(account.get("running_jobs").asInt()).isEqualTo(5);
        assertThat(account.get("waiting_jobs").asInt()).isEqualTo(20);
    }

    private String status(String key, String id) {
        return server.get(key, "/jobs/" + id).json().get("status").asText();
    }
}
