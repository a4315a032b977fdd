package dev.easel.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The system of record: an embedded SQLite file in WAL mode, or a PostgreSQL database shared by many
 * nodes.
 *
 * <p>SQLite allows one writer at a time, so the whole process shares one connection and runs every
 * transaction under one lock: no SQLITE_BUSY, no lock upgrades, and each transaction is short
 * (microseconds), so the lock is not the bottleneck. {@code synchronous=FULL}: a committed
 * transaction (a reserved price, a charge) survives a crash of the process or of the machine.
 *
 * <p>PostgreSQL: a HikariCP pool, READ COMMITTED transactions; the rules hold through row locks (the
 * account's) and conditional updates checked by their row count, not through any lock of ours.
 */
public final class Database implements AutoCloseable {
    private final Dialect dialect;
    private final Connection connection; // SQLite
    private final ReentrantLock lock = new ReentrantLock(); // SQLite
    private final HikariDataSource pool; // PostgreSQL

    private Database(Dialect dialect, Connection connection, HikariDataSource pool) {
        this.dialect = dialect;
        this.connection = connection;
        this.pool = pool;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** The schema is not the one this version of easel works with; the message says what to run. */
    public static final class SchemaMismatch extends RuntimeException {
        public SchemaMismatch(String message) {
            super(message);
        }
    }

    /**
     * Applies the PostgreSQL migrations this version has and the database lacks ({@code easel migrate}).
     * Returns how many were applied.
     */
    public static int migratePostgresql(String jdbcUrl, String user, String password) {
        return Flyway.configure().dataSource(jdbcUrl, user, password).locations(Dialect.POSTGRESQL.migrations()).load().migrate()
                .migrationsExecuted;
    }

    /**
     * A PostgreSQL database at exactly this version's schema. Nodes never migrate it themselves (many
     * start at once against one database): an older schema is refused with the command to run, a newer
     * one with the advice to upgrade this node.
     *
     * @param jdbcUrl {@code jdbc:postgresql://host:port/database}
     */
    public static Database openPostgresql(String jdbcUrl, String user, String password) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(16);
        config.setConnectionTimeout(5_000); // a database that does not answer is a 503 within seconds, not a hang
        config.setAutoCommit(false);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        config.setPoolName("easel-db");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open database " + jdbcUrl + ": " + e.getMessage(), e);
        }
        try {
            checkSchema(Flyway.configure().dataSource(pool).locations(Dialect.POSTGRESQL.migrations()).load());
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return new Database(Dialect.POSTGRESQL, null, pool);
    }

    private static void checkSchema(Flyway flyway) {
        MigrationInfoService info = flyway.info();
        MigrationInfo[] pending = info.pending();
        MigrationInfo current = info.current();
        String known = java.util.Arrays.stream(info.all()).filter(m -> m.getState() != MigrationState.FUTURE_SUCCESS
                        && m.getState() != MigrationState.FUTURE_FAILED).map(MigrationInfo::getVersion).max(Comparator.naturalOrder())
                .map(Object::toString).orElse("none");
        for (MigrationInfo m : info.all()) {
            if (m.getState() == MigrationState.FUTURE_SUCCESS) {
                throw new SchemaMismatch("the database schema (version " + current.getVersion() + ") is newer than this easel knows (version "
                        + known + "): upgrade this node to the version the others run");
            }
        }
        if (pending.length > 0) {
            throw new SchemaMismatch("the database schema (version " + (current == null ? "none" : current.getVersion()) + ") is older than"
                    + " this easel needs (version " + pending[pending.length - 1].getVersion() + "): run ./easel migrate --db <the same URL> first");
        }
    }

    public static Database openSqlite(Path file) {
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.enforceForeignKeys(true);
        config.setBusyTimeout(10_000);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl(url);
        Flyway.configure().dataSource(ds).locations(Dialect.SQLITE.migrations()).load().migrate();
        try {
            Connection c = DriverManager.getConnection(url, config.toProperties());
            c.setAutoCommit(true);
            return new Database(Dialect.SQLITE, c, null);
        } catch (SQLException e) {
            throw new StoreException("cannot open database " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} in one transaction: all of it commits, or none of it. */
    public <T> T tx(Work<T> work) {
        if (pool != null) return pooledTx(work);
        lock.lock();
        try (Statement s = connection.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                T result = work.run(new Tx(connection, dialect));
                s.execute("COMMIT");
                return result;
            } catch (Throwable t) {
                try {
                    s.execute("ROLLBACK");
                } catch (SQLException rollback) {
                    t.addSuppressed(rollback);
                }
                throw t;
            }
        } catch (SQLException e) {
            throw new StoreException(e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private <T> T pooledTx(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            try {
                T result = work.run(new Tx(c, dialect));
                c.commit();
                return result;
            } catch (Throwable t) {
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    t.addSuppressed(rollback);
                }
                throw t;
            }
        } catch (SQLException e) {
            throw new StoreException(e.getMessage(), e);
        }
    }

    /** True when the database answers a trivial query. */
    public boolean ping() {
        try {
            return tx(tx -> tx.one("SELECT 1", r -> r.getInt(1)).isPresent());
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
            return;
        }
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            throw new StoreException(e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @FunctionalInterface
    public interface Work<T> {
        T run(Tx tx) throws SQLException;
    }

    @FunctionalInterface
    public interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** The only JDBC helper: parameters bound in order, rows mapped by a lambda. */
    public static final class Tx {
        private final Connection c;
        private final Dialect dialect;

        Tx(Connection c, Dialect dialect) {
            this.c = c;
            this.dialect = dialect;
        }

        /** The database this transaction runs on, for the few statements that differ (see {@link Dialect}). */
        public Dialect dialect() {
            return dialect;
        }

        public int update(String sql, Object... args) throws SQLException {
            try (PreparedStatement ps = prepare(sql, args)) {
                return ps.executeUpdate();
            }
        }

        public <T> List<T> list(String sql, Row<T> row, Object... args) throws SQLException {
            try (PreparedStatement ps = prepare(sql, args); ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) out.add(row.map(rs));
                return out;
            }
        }

        public <T> Optional<T> one(String sql, Row<T> row, Object... args) throws SQLException {
            List<T> all = list(sql, row, args);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
        }

        private PreparedStatement prepare(String sql, Object... args) throws SQLException {
            PreparedStatement ps = c.prepareStatement(sql);
            for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
            return ps;
        }
    }
}
