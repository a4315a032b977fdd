package dev.easel.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.MutableClock;
import dev.easel.TestServer;
import dev.easel.errors.DomainError;
import dev.easel.store.AccountStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An account's usage (running, waiting, reserved money) is kept as counters that every job insert and
 * status move updates, so that a submit does not sum the account's queue. Seeded random walks through
 * the lifecycle (submits over the limits, claims, steps, completions, failures, cancels, failed
 * servers) hold the counters equal to a recount of the jobs after every step.
 */
class UsageCountersTest {
    private static final GenerateRequest REQUEST = new GenerateRequest("a fox", 7L, List.of(), List.of(), AspectRatio.SQUARE, "1K",
            Creativity.RAW, 0, 0, List.of());

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void theCountersAlwaysEqualARecountOfTheJobs(long seed) {
        Random random = new Random(seed);
        try (TestServer server = TestServer.start(0, 0, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")))) {
            JobService jobs = server.easel.jobs();
            String account = server.easel.accounts().create("walk", 1_000_000L, 3, 4).account().id(); // $1: about 33 jobs
            List<Job> claimed = new ArrayList<>();
            int rejected = 0;
            for (int step = 0; step < 300; step++) {
                switch (random.nextInt(7)) {
                    case 0, 1 -> {
                        try {
                            jobs.submit(new JobService.Submission(account, REQUEST, null, null, "h" + step));
                        } catch (DomainError.TooBusy | DomainError.PaymentRequired full) {
                            rejected++;
                        }
                    }
                    case 2 -> jobs.claim("walker/0").ifPresent(claimed::add);
                    case 3 -> {
                        if (!claimed.isEmpty()) jobs.complete(claimed.remove(random.nextInt(claimed.size())), "R" + "0".repeat(19) + step,
                                new Job.Result(7, "a fox", 1024, 1024, dev.easel.expand.Expansion.Kind.BUILTIN));
                    }
                    case 4 -> {
                        if (!claimed.isEmpty()) jobs.fail(claimed.remove(random.nextInt(claimed.size())), JobError.ENGINE_ERROR, "boom");
                    }
                    case 5 -> {
                        List<JobView> pending = jobs.list(account, null, null, null, 100).stream().filter(j -> !j.status().isTerminal()).toList();
                        if (!pending.isEmpty()) jobs.cancelOrDelete(account, pending.get(random.nextInt(pending.size())).id());
                    }
                    default -> {
                        if (!claimed.isEmpty()) jobs.requeueAfterServerFailure(claimed.remove(random.nextInt(claimed.size())), "server died");
                    }
                }
                List<JobView> all = jobs.list(account, null, null, null, 1000);
                long active = all.stream().filter(j -> j.status().isActive()).count();
                long backlogged = all.stream().filter(j -> j.status() == JobStatus.BACKLOGGED).count();
                long reserved = all.stream().filter(j -> !j.status().isTerminal()).count() * REQUEST.priceTier().micros; // one price for all
                AccountStore.Usage usage = jobs.usage(account);
                assertThat(usage).as("seed %d, step %d", seed, step).isEqualTo(new AccountStore.Usage((int) active, (int) backlogged, reserved));
                assertThat(active).as("the limit holds").isLessThanOrEqualTo(3);
                assertThat(backlogged).isLessThanOrEqualTo(4);
            }
            assertThat(rejected).as("the walk ran into the limits and the money").isPositive();
        }
    }
}
