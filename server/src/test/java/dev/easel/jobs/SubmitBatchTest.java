package dev.easel.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.TestPostgres;
import dev.easel.TestServer;
import dev.easel.errors.DomainError;
import dev.easel.store.AccountStore;
import dev.easel.store.Batcher;
import dev.easel.store.Database;
import dev.easel.store.Dialect;
import dev.easel.store.HeldTransaction;
import dev.easel.store.StoreException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Submissions that arrive while another is being written share the next transaction: each is decided
 * in arrival order against what the ones before it took (limits, money, Idempotency-Keys), each gets
 * its own answer, and one whose row cannot be written fails alone. Run on both databases: the
 * account's row is held by a transaction of another connection while the batch forms.
 */
@Timeout(120)
class SubmitBatchTest {
    private static final GenerateRequest REQUEST = new GenerateRequest("a fox", 7L, List.of(), List.of(), AspectRatio.SQUARE, "1K",
            Creativity.RAW, 0, 0, List.of());
    private static final long PRICE = REQUEST.priceTier().micros;

    private TestServer server;
    private Database other;
    private final ExecutorService pool = Executors.newFixedThreadPool(16);

    @BeforeEach
    void start() {
        server = TestServer.start(0, 0, Clock.systemUTC());
        other = TestPostgres.open(server.easel.dataDir());
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        other.close();
        server.close();
    }

    /**
     * Holds the account's row from another connection (on SQLite: the write lock) until released: the
     * first submission waits inside its transaction, and those after it wait for the next batch.
     */
    private CountDownLatch holdAccount(String accountId) throws InterruptedException {
        return HeldTransaction.hold(pool, other, tx -> tx.update("UPDATE accounts SET name = name WHERE id = ?", accountId));
    }

    private Future<JobService.Submitted> submit(String accountId, String key, String hash) {
        return pool.submit(() -> server.easel.jobs().submit(new JobService.Submission(accountId, REQUEST, null, key, hash)));
    }

    /** The first submission is stuck behind the held row; each later one joins the batch after it, in this order. */
    private List<Future<JobService.Submitted>> submitBehindHold(String accountId, List<String[]> keysAndHashes) throws Exception {
        CountDownLatch release = holdAccount(accountId);
        List<Future<JobService.Submitted>> out = new ArrayList<>();
        out.add(submit(accountId, keysAndHashes.get(0)[0], keysAndHashes.get(0)[1]));
        awaitState(0); // the first runs its own batch: nothing waits
        for (int i = 1; i < keysAndHashes.size(); i++) {
            out.add(submit(accountId, keysAndHashes.get(i)[0], keysAndHashes.get(i)[1]));
            awaitState(i);
        }
        release.countDown();
        return out;
    }

    /** Waits until a batch runs and {@code waiting} submissions wait behind it (an observable state, not a sleep). */
    private void awaitState(int waiting) throws InterruptedException {
        Batcher.State want = new Batcher.State(waiting, true);
        TestServer.await("submissions " + want, () -> server.easel.jobs().submissionState().equals(want));
    }

    private static Throwable failure(Future<?> f) throws InterruptedException {
        try {
            f.get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("a submission never got its answer", e);
        }
    }

    @Test
    void aBatchIsDecidedInArrivalOrderAgainstTheLimitsMoneyAndKeysOfTheOnesBeforeIt() throws Exception {
        // two may run, three may wait, money for four
        String account = server.easel.accounts().create("batch", 4 * PRICE, 2, 3).account().id();
        List<Future<JobService.Submitted>> f = submitBehindHold(account, List.of(
                new String[] {null, "h1"},
                new String[] {"k", "h2"},
                new String[] {"k", "h2"},     // the same request again: the job of the one before
                new String[] {"k", "other"},  // another request under that key: a conflict
                new String[] {null, "h5"},
                new String[] {null, "h6"},
                new String[] {null, "h7"},    // the money is spent
                new String[] {null, "h8"}));
        assertThat(f.get(0).get().job().status()).isEqualTo(JobStatus.QUEUED);
        JobService.Submitted second = f.get(1).get();
        assertThat(second.job().status()).isEqualTo(JobStatus.QUEUED);
        assertThat(f.get(2).get().replayed()).isTrue();
        assertThat(f.get(2).get().job().id()).isEqualTo(second.job().id());
        assertThat(failure(f.get(3))).isInstanceOf(DomainError.Conflict.class);
        assertThat(f.get(4).get().job().status()).isEqualTo(JobStatus.BACKLOGGED);
        assertThat(f.get(5).get().job().status()).isEqualTo(JobStatus.BACKLOGGED);
        assertThat(failure(f.get(6))).isInstanceOf(DomainError.PaymentRequired.class);
        assertThat(failure(f.get(7))).isInstanceOf(DomainError.PaymentRequired.class);

        List<JobView> stored = server.easel.jobs().list(account, null, null, null, 100);
        assertThat(stored).extracting(JobView::id).containsExactly(f.get(5).get().job().id(), f.get(4).get().job().id(),
                second.job().id(), f.get(0).get().job().id());
        assertThat(stored).as("created strictly one after the other, in arrival order")
                .isSortedAccordingTo(Comparator.comparing(JobView::createdAt).reversed())
                .extracting(JobView::createdAt).doesNotHaveDuplicates();
        assertThat(server.easel.jobs().usage(account)).isEqualTo(new AccountStore.Usage(2, 2, 4 * PRICE));
    }

    @Test
    void aSubmissionWhoseRowCannotBeWrittenFailsAloneAndTheRestOfItsBatchIsWritten() throws Exception {
        String account = server.easel.accounts().create("poison", 100 * PRICE, 100, 100).account().id();
        other.tx(tx -> {
            if (tx.dialect() instanceof Dialect.Postgresql) {
                tx.update("CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        + "IF NEW.request_hash = 'poison' THEN RAISE EXCEPTION 'a poisoned row'; END IF; RETURN NEW; END $$");
                tx.update("CREATE TRIGGER poison BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION poison()");
            } else {
                tx.update("CREATE TRIGGER poison BEFORE INSERT ON jobs WHEN NEW.request_hash = 'poison' "
                        + "BEGIN SELECT RAISE(ABORT, 'a poisoned row'); END");
            }
            return null;
        });
        List<Future<JobService.Submitted>> f = submitBehindHold(account, List.of(new String[] {null, "h1"}, new String[] {null, "h2"},
                new String[] {null, "poison"}, new String[] {null, "h4"}, new String[] {"k", "h5"}));
        assertThat(failure(f.get(2))).isInstanceOf(StoreException.class).hasMessageContaining("a poisoned row");
        List<String> written = new ArrayList<>();
        for (int i : new int[] {0, 1, 3, 4}) written.add(f.get(i).get().job().id());
        assertThat(server.easel.jobs().list(account, null, null, null, 100)).extracting(JobView::id).containsExactlyInAnyOrderElementsOf(written);
        assertThat(server.easel.jobs().usage(account)).isEqualTo(new AccountStore.Usage(4, 0, 4 * PRICE));
        // the key of a written one was kept: the same request again is answered with its job
        assertThat(server.easel.jobs().submit(new JobService.Submission(account, REQUEST, null, "k", "h5")).job().id())
                .isEqualTo(written.get(3));
    }
}
