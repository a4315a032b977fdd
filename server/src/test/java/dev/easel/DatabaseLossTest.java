package dev.easel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A node whose database stops answering (the PostgreSQL run only: its connections are ended and new
 * ones refused) answers 503 with Retry-After within seconds, not a hang, and serves again by itself
 * once the database is back.
 */
class DatabaseLossTest {
    @Test
    void aNodeWithoutItsDatabaseAnswers503AndRecoversByItself() throws Exception {
        Assumptions.assumeTrue(TestPostgres.enabled(), "cuts a PostgreSQL database off");
        Path dir = TestServer.tempDir("easel-dbloss-");
        String url = TestPostgres.get().databaseFor(dir);
        String name = url.substring(url.lastIndexOf('/') + 1);
        Config.Db admin = Config.postgresql(url.substring(0, url.lastIndexOf('/')) + "/postgres");
        try (TestServer server = TestServer.start(dir, 0, 0, Clock.systemUTC(), Duration.ofMinutes(10), "--db", url);
             Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password())) {
            String key = server.account("1", 1, 1);
            assertThat(server.get(key, "/account").status()).isEqualTo(200);

            c.createStatement().execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
            c.createStatement().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
            Instant asked = Instant.now();
            TestServer.Response down = server.get(key, "/account");
            assertThat(down.status()).isEqualTo(503);
            assertThat(down.header("Retry-After")).isEqualTo("2");
            assertThat(down.error()).isEqualTo("the database is unavailable; retry shortly");
            assertThat(Duration.between(asked, Instant.now())).as("an answer, not a hang").isLessThan(Duration.ofSeconds(20));
            assertThat(server.send("GET", "/readyz", null, java.util.Map.of()).status()).isEqualTo(503);

            c.createStatement().execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
            JsonStatus.await(() -> server.get(key, "/account").status() == 200);
            assertThat(server.get(key, "/account").json().get("balance_usd").decimalValue()).isEqualByComparingTo("1");
        } finally {
            TestServer.deleteTree(dir);
        }
    }

    /** Polls until the condition holds (an observable state), for at most 30 s. */
    private static final class JsonStatus {
        static void await(java.util.function.BooleanSupplier done) {
            Instant deadline = Instant.now().plusSeconds(30);
            while (!done.getAsBoolean()) {
                if (Instant.now().isAfter(deadline)) throw new AssertionError("the node did not recover");
                TestServer.sleep(50);
            }
        }
    }
}
