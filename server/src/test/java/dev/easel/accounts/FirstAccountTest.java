package dev.easel.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.TestPostgres;
import dev.easel.TestServer;
import dev.easel.store.AccountStore;
import dev.easel.store.Database;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Nodes that start at once on one fresh database create one dev account between them: eight
 * "first starts" race, on SQLite and (in the PostgreSQL run) on PostgreSQL, and exactly one creates it.
 */
class FirstAccountTest {
    @Test
    void eightFirstStartsAtOnceCreateOneAccount() throws Exception {
        Path dir = TestServer.tempDir("easel-first-");
        try (Database db = TestPostgres.open(dir); ExecutorService pool = Executors.newFixedThreadPool(8)) {
            AccountService accounts = new AccountService(db, new AccountStore(), Clock.systemUTC());
            CyclicBarrier start = new CyclicBarrier(8);
            List<Future<Boolean>> created = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                created.add(pool.submit(() -> {
                    start.await();
                    return accounts.createFirst("dev", 10_000_000, 2, 20).isPresent();
                }));
            }
            int n = 0;
            for (Future<Boolean> f : created) if (f.get()) n++;
            assertThat(n).isEqualTo(1);
            assertThat(db.tx(tx -> tx.one("SELECT COUNT(*) FROM accounts", r -> r.getLong(1))).orElseThrow()).isEqualTo(1);
        } finally {
            TestServer.deleteTree(dir);
        }
    }
}
