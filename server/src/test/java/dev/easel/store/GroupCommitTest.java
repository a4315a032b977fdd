package dev.easel.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.easel.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SQLite's writer commits the transactions waiting for it as a group, under one COMMIT: each caller is
 * answered once its own transaction is durable; one that fails is undone alone; a COMMIT that fails
 * fails the whole group and writes nothing of it.
 */
@Timeout(60)
class GroupCommitTest {
    private Path dir;
    private Database db;
    private ExecutorService pool;

    @BeforeEach
    void open() {
        dir = TestServer.tempDir("easel-group-");
        db = Database.openSqlite(dir.resolve("easel.db"));
        db.tx(tx -> {
            tx.update("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
            tx.update("CREATE TABLE item (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)");
            tx.update("INSERT INTO parent (id) VALUES (1)");
            return null;
        });
        pool = Executors.newFixedThreadPool(16);
    }

    @AfterEach
    void close() {
        pool.shutdownNow();
        db.close();
        TestServer.deleteTree(dir);
    }

    private long items() {
        return db.read(tx -> tx.one("SELECT count(*) FROM item", r -> r.getLong(1)).orElseThrow());
    }

    /** Holds the writer inside a transaction until released: whatever is submitted meanwhile commits as one group. */
    private CountDownLatch holdWriter() throws InterruptedException {
        return HeldTransaction.hold(pool, db, tx -> null);
    }

    private Future<Object> insert(int id, Integer parent, boolean thenFail) {
        return pool.submit(() -> db.tx(tx -> {
            tx.update("INSERT INTO item (id, parent) VALUES (?, ?)", id, parent);
            if (thenFail) throw new IllegalStateException("transaction " + id + " changed its mind");
            return null;
        }));
    }

    /** Waits until {@code n} transactions are queued behind the held writer (an observable state, not a sleep). */
    private void awaitQueued(int n) {
        TestServer.await(n + " transactions queued", () -> db.queuedWrites() >= n);
    }

    @Test
    void everyCallerIsAnsweredAfterItsOwnCommitAndEverythingSurvivesAReopen() throws Exception {
        List<Future<Object>> all = new ArrayList<>();
        for (int i = 0; i < 2000; i++) all.add(insert(i + 1, 1, false));
        for (Future<Object> f : all) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertThat(items()).isEqualTo(2000);
        db.close();
        db = Database.openSqlite(dir.resolve("easel.db"));
        assertThat(items()).as("after a reopen").isEqualTo(2000);
    }

    @Test
    void aFailedTransactionIsUndoneAloneInItsGroup() throws Exception {
        CountDownLatch release = holdWriter();
        Future<Object> first = insert(1, 1, false), failing = insert(2, 1, true), last = insert(3, 1, false);
        awaitQueued(3);
        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        last.get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> failing.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("transaction 2 changed its mind");
        List<Integer> ids = db.read(tx -> tx.list("SELECT id FROM item ORDER BY id", r -> r.getInt(1)));
        assertThat(ids).containsExactly(1, 3);
    }

    @Test
    void aCommitThatFailsFailsTheWholeGroupAndWritesNothingOfIt() throws Exception {
        CountDownLatch release = holdWriter();
        // the orphan's foreign key is checked at COMMIT (deferred): the group's COMMIT fails
        Future<Object> first = insert(1, 1, false), orphan = insert(2, 99, false), last = insert(3, 1, false);
        awaitQueued(3);
        release.countDown();
        for (Future<Object> f : List.of(first, orphan, last)) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(StoreException.class)
                    .hasMessageContaining("could not be committed");
        }
        assertThat(items()).isZero();
        insert(4, 1, false).get(10, TimeUnit.SECONDS);
        assertThat(items()).as("the writer goes on after a failed group").isEqualTo(1);
    }

    @Test
    void readsDoNotWaitForTheWriterAndCannotWrite() throws Exception {
        CountDownLatch release = holdWriter();
        assertThat(items()).as("a read while the writer is busy").isZero();
        release.countDown();
        assertThatThrownBy(() -> db.read(tx -> tx.update("INSERT INTO item (id, parent) VALUES (9, 1)"))).isInstanceOf(StoreException.class);
    }

    @Test
    void aTransactionInsideATransactionIsRefused() {
        assertThatThrownBy(() -> db.tx(tx -> db.tx(inner -> null))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a transaction inside a transaction");
    }
}
