package dev.easel.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The system of record: an embedded SQLite file in WAL mode.
 *
 * <p>SQLite allows one writer at a time, so the whole process shares one connection and runs every
 * transaction under one lock: no SQLITE_BUSY, no lock upgrades, and each transaction is short
 * (microseconds), so the lock is not the bottleneck. {@code synchronous=FULL}: a committed
 * transaction (a reserved price, a charge) survives a crash of the process or of the machine.
 */
public final class Database implements AutoCloseable {
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();

    private Database(Connection connection) {
        this.connection = connection;
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
        Flyway.configure().dataSource(ds).locations("classpath:db/sqlite").load().migrate();
        try {
            Connection c = DriverManager.getConnection(url, config.toProperties());
            c.setAutoCommit(true);
            return new Database(c);
        } catch (SQLException e) {
            throw new StoreException("cannot open database " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} in one transaction: all of it commits, or none of it. */
    public <T> T tx(Work<T> work) {
        lock.lock();
        try (Statement s = connection.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                T result = work.run(new Tx(connection));
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

        Tx(Connection c) {
            this.c = c;
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
