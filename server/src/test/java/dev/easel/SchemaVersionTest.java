package dev.easel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.easel.store.Database;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL (the PostgreSQL run only) nodes never migrate the shared schema themselves: a node
 * refuses an older schema with the command to run, and a newer one with the advice to upgrade.
 */
class SchemaVersionTest {
    /** The newest migration this easel has: one file per version in db/postgresql. */
    private static final int LATEST;

    static {
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/resources/db/postgresql"))) {
            LATEST = (int) files.filter(f -> f.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aNodeRefusesASchemaOlderOrNewerThanItKnows() throws Exception {
        Assumptions.assumeTrue(TestPostgres.enabled(), "the schema check is PostgreSQL's");
        Path dir = TestServer.tempDir("easel-schema-");
        try {
            String url = TestPostgres.get().emptyDatabaseFor(dir);
            assertThatThrownBy(() -> TestServer.start(dir, 0, 0, Clock.systemUTC(), Duration.ofMinutes(10), "--db", url))
                    .isInstanceOf(Database.SchemaMismatch.class)
                    .hasMessageContaining("is older than this easel needs (version " + LATEST + ")").hasMessageContaining("run ./easel migrate --db");
            Config.Db db = Config.postgresql(url);
            assertThat(Database.migratePostgresql(db.jdbcUrl(), db.user(), db.password())).isEqualTo(LATEST);
            assertThat(Database.migratePostgresql(db.jdbcUrl(), db.user(), db.password())).as("idempotent").isZero();
            try (TestServer ok = TestServer.start(dir, 0, 0, Clock.systemUTC(), Duration.ofMinutes(10), "--db", url)) {
                assertThat(ok.send("GET", "/readyz", null, java.util.Map.of()).status()).isEqualTo(200);
            }
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
                c.createStatement().execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum,"
                        + " installed_by, execution_time, success) VALUES (99, '" + (LATEST + 1) + "', 'from a newer easel', 'SQL', 'V" + (LATEST + 1) + "__newer.sql', 0, 'test', 1, true)");
            }
            assertThatThrownBy(() -> TestServer.start(dir, 0, 0, Clock.systemUTC(), Duration.ofMinutes(10), "--db", url))
                    .isInstanceOf(Database.SchemaMismatch.class)
                    .hasMessageContaining("(version " + (LATEST + 1) + ") is newer than this easel knows (version " + LATEST + ")").hasMessageContaining("upgrade this node");
        } finally {
            TestServer.deleteTree(dir);
        }
    }
}
