package dev.easel.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.easel.MutableClock;
import dev.easel.TestServer;
import dev.easel.accounts.Account;
import dev.easel.store.AccountStore;
import dev.easel.store.Database;
import dev.easel.store.JobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle enforces itself: every status write of the store is tried from every status, on a
 * real SQLite file (and, in the PostgreSQL run, on a real PostgreSQL), and moves the job exactly when the lifecycle allows it. The legal moves are
 * written out here by hand (not read from {@link JobStatus}), so a wrong table fails too.
 */
class TransitionTableTest {
    /** API.md section 2, as "from>to". */
    private static final Set<String> LEGAL = Set.of(
            "backlogged>queued", "backlogged>cancelled",
            "queued>scheduled", "queued>cancelled",
            "scheduled>processing", "scheduled>queued", "scheduled>failed", "scheduled>cancelled",
            "processing>sampling", "processing>intermediate-complete", "processing>queued", "processing>completed",
            "processing>failed", "processing>cancelled",
            "sampling>sampling", "sampling>intermediate-complete", "sampling>queued", "sampling>completed", "sampling>failed",
            "sampling>cancelled",
            "intermediate-complete>intermediate-complete", "intermediate-complete>queued", "intermediate-complete>completed",
            "intermediate-complete>failed", "intermediate-complete>cancelled");

    static Path dir;
    static Database db;
    static final JobStore jobs = new JobStore();
    static final AccountStore accounts = new AccountStore();

    @BeforeAll
    static void open() throws Exception {
        dir = TestServer.tempDir("easel-transitions-");
        db = dev.easel.TestPostgres.open(dir);
        db.tx(tx -> {
            accounts.insert(tx, new Account("acct", "t", 1_000_000, 1000, 1000, 0), 0);
            return null;
        });
    }

    @AfterAll
    static void close() {
        db.close();
        TestServer.deleteTree(dir);
    }

    @Test
    void theTableIsTheOneWrittenInTheSpec() {
        List<String> table = new ArrayList<>();
        for (JobStatus from : JobStatus.values()) {
            for (JobStatus to : JobStatus.values()) if (from.canMoveTo(to)) table.add(from.wire + ">" + to.wire);
        }
        assertThat(table).containsExactlyInAnyOrderElementsOf(LEGAL);
    }

    @Test
    void everyStatusWriteMovesAJobExactlyWhenTheLifecycleAllowsIt() {
        List<String> wrong = new ArrayList<>();
        for (JobStatus from : JobStatus.values()) {
            for (JobStatus to : JobStatus.values()) {
                boolean legal = LEGAL.contains(from.wire + ">" + to.wire);
                for (String write : writesTo(to)) {
                    String id = jobIn(from);
                    boolean moved = db.tx(tx -> switch (write) {
                        case "promote" -> jobs.promote(tx, id, 1);
                        case "requeue" -> jobs.requeue(tx, id, from, 1, 1, false);
                        case "claim" -> jobs.claimNext(tx, "w/0", 1, 2).map(j -> j.id().equals(id)).orElse(false);
                        case "progress" -> jobs.progress(tx, id, 1, to, 1, 8, null, 1);
                        case "finish" -> jobs.finish(tx, id, from, 1, to, null, null, null, null, 1);
                        default -> throw new IllegalStateException(write);
                    });
                    JobStatus now = db.tx(tx -> jobs.find(tx, id)).orElseThrow().status();
                    // promote only takes backlogged jobs, requeue only claimed ones: legal moves of another kind stay put
                    boolean expected = legal && switch (write) {
                        case "promote" -> from == JobStatus.BACKLOGGED;
                        case "requeue" -> from.isClaimed();
                        case "progress" -> from.isClaimed();
                        default -> true;
                    };
                    if (moved != expected || now != (moved ? to : from)) {
                        wrong.add(write + " " + from.wire + " -> " + to.wire + ": moved=" + moved + ", now " + now.wire);
                    }
                    db.tx(tx -> tx.update("DELETE FROM jobs WHERE id = ?", id));
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void aWriteUnderAStaleAttemptMovesNothing() {
        for (JobStatus from : JobStatus.CLAIMED) {
            String id = jobIn(from);
            boolean finished = db.tx(tx -> jobs.finish(tx, id, from, 2, JobStatus.FAILED, null, null, JobError.ENGINE_ERROR, "x", 1));
            boolean progressed = db.tx(tx -> jobs.progress(tx, id, 2, JobStatus.INTERMEDIATE_COMPLETE, 1, 8, null, 1));
            boolean requeued = db.tx(tx -> jobs.requeue(tx, id, from, 2, 1, false));
            assertThat(List.of(finished, progressed, requeued)).containsOnly(false);
            assertThat(db.tx(tx -> jobs.find(tx, id)).orElseThrow().status()).isEqualTo(from);
        }
    }

    @Test
    void aJobCannotStartAnywhereButBackloggedOrQueued() {
        for (JobStatus s : JobStatus.values()) {
            if (JobStatus.INITIAL.contains(s)) continue;
            assertThatThrownBy(() -> db.tx(tx -> {
                jobs.insert(tx, List.of(job(UUID.randomUUID().toString(), s)));
                return null;
            })).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** Through the service, as a worker would: progress cannot end a job, and a job ends only with its result. */
    @Test
    void progressCannotCompleteAJobAndTheJobStaysReadable() {
        try (TestServer server = TestServer.start(0, 0, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")))) {
            String key = server.account("1", 2, 2);
            String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
            JobService service = server.easel.jobs();
            Job claimed = service.claim("w/0").orElseThrow();
            for (JobStatus end : List.of(JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.QUEUED, JobStatus.SCHEDULED)) {
                assertThatThrownBy(() -> service.progress(claimed, end, null, null, null)).isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(service.complete(claimed, "KEYKEYKEYKEYKEYKEYKEY", new Job.Result(1, "p", 1024, 1024, dev.easel.expand.Expansion.Kind.BUILTIN)))
                    .as("scheduled cannot complete: the engine has not started").isFalse();
            assertThat(service.progress(claimed, JobStatus.SAMPLING, 1, 8, null)).as("scheduled -> sampling skips processing").isFalse();
            TestServer.Response r = server.get(key, "/jobs/" + id);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("status").asText()).isEqualTo("scheduled");
            assertThat(service.progress(claimed, JobStatus.PROCESSING, null, null, null)).isTrue();
            assertThat(service.progress(claimed, JobStatus.INTERMEDIATE_COMPLETE, 2, 8, null)).isTrue();
            assertThat(service.progress(claimed, JobStatus.SAMPLING, 3, 8, null)).as("no way back from a preview").isFalse();
            assertThat(server.get(key, "/account").json().get("balance_usd").decimalValue()).isEqualByComparingTo("1");
        }
    }

    /** The writes that move a job to {@code to}. */
    private static List<String> writesTo(JobStatus to) {
        return switch (to) {
            case BACKLOGGED -> List.of();
            case QUEUED -> List.of("promote", "requeue");
            case SCHEDULED -> List.of("claim");
            case PROCESSING, SAMPLING, INTERMEDIATE_COMPLETE -> List.of("progress");
            case COMPLETED, FAILED, CANCELLED -> List.of("finish");
        };
    }

    /** A job of the account forced into {@code status} at attempt 1 (a fixture: the writes under test come after). */
    private static String jobIn(JobStatus status) {
        String id = UUID.randomUUID().toString();
        db.tx(tx -> {
            jobs.insert(tx, List.of(job(id, JobStatus.QUEUED)));
            tx.update("UPDATE jobs SET status = ?, attempt = 1, lease_owner = 'w/0', lease_expires_at = 10, started_at = 0 WHERE id = ?",
                    status.wire, id);
            return null;
        });
        return id;
    }

    private static Job job(String id, JobStatus status) {
        GenerateRequest request = new GenerateRequest("p", 1L, List.of(), List.of(), AspectRatio.SQUARE, "1K", Creativity.LOW, 0, 0, List.of());
        return new Job(id, "acct", Job.TYPE, status, request, 30_000, null, null, "h", Instant.EPOCH, Instant.EPOCH, null, 0, null,
                null, null, null, null, null, null, null, null, null, "", 0);
    }
}
