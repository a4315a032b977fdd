package dev.easel.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.MutableClock;
import dev.easel.TestServer;
import dev.easel.accounts.AccountService;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A cancel and a completion of the same job, started at the same moment, 1,000 times: each time
 * exactly one of them wins, the job ends as the winner says, and the balance is charged exactly
 * for the completions.
 */
class CancelRaceTest {
    private static final int ROUNDS = 1000;

    @Test
    void aCancelRacingACompletionHasExactlyOneWinner() throws Exception {
        try (TestServer server = TestServer.start(0, 0, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")));
             ExecutorService pool = Executors.newFixedThreadPool(2)) {
            JobService jobs = server.easel.jobs();
            AccountService.Created account = server.easel.accounts().create("race", 100_000_000L, 5, 5);
            String accountId = account.account().id();
            GenerateRequest request = new GenerateRequest("a fox", 7L, List.of(), List.of(), AspectRatio.SQUARE, "1K",
                    Creativity.RAW, 0, 0, List.of());
            int completed = 0, cancelled = 0;
            for (int round = 0; round < ROUNDS; round++) {
                int i = round;
                Job submitted = jobs.submit(new JobService.Submission(accountId, request, null, null, "h" + i)).job();
                Job claimed = jobs.claim("racer/0").orElseThrow();
                assertThat(claimed.id()).isEqualTo(submitted.id());
                assertThat(jobs.progress(claimed, JobStatus.PROCESSING, null, null, null)).isTrue();
                CyclicBarrier start = new CyclicBarrier(2);
                CompletableFuture<Boolean> complete = CompletableFuture.supplyAsync(() -> {
                    await(start);
                    return jobs.complete(claimed, "R" + "0".repeat(19) + i, new Job.Result(7, "a fox", 1024, 1024, dev.easel.expand.Expansion.Kind.BUILTIN));
                }, pool);
                CompletableFuture<Job> cancel = CompletableFuture.supplyAsync(() -> {
                    await(start);
                    return jobs.cancelOrDelete(accountId, claimed.id());
                }, pool);
                boolean completeWon = complete.get(10, TimeUnit.SECONDS);
                Job answered = cancel.get(10, TimeUnit.SECONDS);
                boolean cancelWon = answered.status() == JobStatus.CANCELLED;
                assertThat(completeWon ^ cancelWon).as("round %d: exactly one winner (complete %s, cancel %s)", i, completeWon, cancelWon)
                        .isTrue();
                // a DELETE that comes after the completion deletes the completed job (and answers it as it was)
                JobStatus end = jobs.get(accountId, claimed.id()).map(Job::status).orElse(answered.status());
                assertThat(end).isEqualTo(completeWon ? JobStatus.COMPLETED : JobStatus.CANCELLED);
                if (completeWon) completed++;
                else cancelled++;
            }
            long balance = server.easel.accounts().find(accountId).orElseThrow().balanceMicros();
            assertThat(balance).as("charged for the %d completions only", completed).isEqualTo(100_000_000L - 30_000L * completed);
            assertThat(jobs.usage(accountId).reservedMicros()).isZero();
            assertThat(completed + cancelled).isEqualTo(ROUNDS);
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
