package dev.easel.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.slf4j.MDC;

/**
 * The system of record: an embedded SQLite file in WAL mode, or a PostgreSQL database shared by many
 * nodes.
 *
 * <p>SQLite allows one writer at a time, so every write transaction runs on one connection, on one
 * thread: no SQLITE_BUSY, no lock upgrades. {@code synchronous=FULL}: a committed transaction (a
 * reserved price, a charge) survives a crash of the process or of the machine. That costs an fsync
 * per commit, so the writer commits in groups: the transactions waiting when it is free run one after
 * the other, each in a savepoint, under one COMMIT (one fsync). Each caller is answered after that
 * COMMIT: its transaction is then durable. One that fails is rolled back to its savepoint alone; a
 * COMMIT that fails fails the whole group, and nothing of it was written. Reads ({@link #read}) run
 * on a few other connections at once, each in a snapshot of what was committed, never behind the writer.
 *
 * <p>PostgreSQL: a HikariCP pool, READ COMMITTED transactions; the rules hold through row locks (the
 * account's) and conditional updates checked by their row count, not through any lock of ours.
 */
public final class Database implements AutoCloseable {
    /** The most transactions one COMMIT carries: bounds the wait of the first of them. */
    private static final int MAX_GROUP = 256;
    private static final int SQLITE_READERS = 4;

    private final Dialect dialect;
    private final Connection connection; // SQLite: the writer's
    private final BlockingQueue<Pending<?>> writes = new LinkedBlockingQueue<>(); // SQLite
    private final BlockingQueue<Connection> readers; // SQLite
    private final Thread writer; // SQLite
    private volatile boolean closed;
    private final HikariDataSource pool; // PostgreSQL
    /** SQLite: each connection's prepared statements, used only by whoever holds the connection (PostgreSQL's driver caches its own). */
    private final Map<Connection, Map<String, PreparedStatement>> statements = new java.util.IdentityHashMap<>();

    private Database(Dialect dialect, Connection connection, List<Connection> readers, HikariDataSource pool) {
        this.dialect = dialect;
        this.connection = connection;
        this.pool = pool;
        this.readers = readers == null ? null : new ArrayBlockingQueue<>(readers.size(), false, readers);
        if (connection != null) statements.put(connection, new java.util.HashMap<>());
        if (readers != null) for (Connection r : readers) statements.put(r, new java.util.HashMap<>());
        this.writer = connection == null ? null : Thread.ofPlatform().name("easel-db-writer").daemon().start(this::writeLoop);
    }

    /** Queued by close(): the writer stops once what was queued before it is committed. */
    private static final Pending<Void> STOP = new Pending<>(tx -> null);

    /** A transaction waiting for the writer, and where its caller waits for the outcome. */
    private static final class Pending<T> {
        final Work<T> work;
        final Map<String, String> mdc = MDC.getCopyOfContextMap();
        final CompletableFuture<T> done = new CompletableFuture<>();

        Pending(Work<T> work) {
            this.work = work;
        }
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
        return new Database(Dialect.POSTGRESQL, null, null, pool);
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
            SQLiteConfig readOnly = new SQLiteConfig(config.toProperties());
            readOnly.setReadOnly(true);
            List<Connection> readers = new ArrayList<>();
            for (int i = 0; i < SQLITE_READERS; i++) {
                Connection r = DriverManager.getConnection(url, readOnly.toProperties());
                r.setAutoCommit(true);
                readers.add(r);
            }
            return new Database(Dialect.SQLITE, c, readers, null);
        } catch (SQLException e) {
            throw new StoreException("cannot open database " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} in one transaction: all of it commits, or none of it; durable when this returns. */
    public <T> T tx(Work<T> work) {
        if (pool != null) return pooledTx(work);
        if (Thread.currentThread() == writer) throw new IllegalStateException("a transaction inside a transaction");
        if (closed) throw new StoreException("the database is closed", null);
        Pending<T> p = new Pending<>(work);
        writes.add(p);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return p.done.get(); // not interruptible: once queued, the transaction may commit, and the caller must know
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) throw r;
                    if (cause instanceof Error err) throw err;
                    throw new StoreException(cause.getMessage(), cause);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** SQLite: how many transactions wait for the writer now (a test waits on it to know a group has formed). */
    public int queuedWrites() {
        return writes.size();
    }

    /**
     * Runs {@code work}, which only reads, in one snapshot of what was committed. On SQLite it runs on
     * a reader connection, beside the writer and other readers; a write in it fails.
     */
    public <T> T read(Work<T> work) {
        if (pool != null) return pooledTx(work);
        Connection c;
        try {
            c = readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a reader", e);
        }
        Tx tx = new Tx(c, dialect, statements.get(c));
        try {
            tx.update("BEGIN");
            try {
                T result = work.run(tx);
                tx.update("COMMIT");
                return result;
            } catch (Throwable t) {
                try {
                    tx.update("ROLLBACK");
                } catch (SQLException rollback) {
                    t.addSuppressed(rollback);
                }
                throw t;
            }
        } catch (SQLException e) {
            throw new StoreException(e.getMessage(), e);
        } finally {
            readers.add(c);
        }
    }

    /** The SQLite writer: takes what is waiting, runs each in a savepoint, commits the group once. */
    private void writeLoop() {
        List<Pending<?>> group = new ArrayList<>();
        while (true) {
            try {
                group.add(writes.take());
            } catch (InterruptedException e) {
                continue; // only close() stops the writer, by queueing STOP after what is waiting
            }
            writes.drainTo(group, MAX_GROUP - 1);
            boolean stop = group.remove(STOP);
            if (!group.isEmpty()) commitGroup(group);
            group.clear();
            if (stop) return;
        }
    }

    private void commitGroup(List<Pending<?>> group) {
        List<Object> results = new ArrayList<>(group.size());
        Tx tx = new Tx(connection, dialect, statements.get(connection)); // the statements below too: prepared once
        try {
            tx.update("BEGIN IMMEDIATE");
            for (Pending<?> p : group) results.add(runInSavepoint(tx, p));
            try {
                tx.update("COMMIT");
            } catch (SQLException e) {
                tx.update("ROLLBACK");
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            StoreException failed = new StoreException("the transaction could not be committed: " + e.getMessage(), e);
            for (Pending<?> p : group) p.done.completeExceptionally(failed);
            return;
        }
        for (int i = 0; i < group.size(); i++) complete(group.get(i), results.get(i));
    }

    /** A failed transaction's outcome in the group: its savepoint rolled back, its error kept for its caller. */
    private record Failed(Throwable error) {}

    private Object runInSavepoint(Tx tx, Pending<?> p) throws SQLException {
        tx.update("SAVEPOINT tx");
        if (p.mdc != null) MDC.setContextMap(p.mdc);
        try {
            Object result = p.work.run(tx);
            tx.update("RELEASE tx");
            return result;
        } catch (Throwable t) {
            tx.update("ROLLBACK TO tx");
            tx.update("RELEASE tx");
            return new Failed(t instanceof SQLException e ? new StoreException(e.getMessage(), e) : t);
        } finally {
            MDC.clear();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void complete(Pending<T> p, Object result) {
        if (result instanceof Failed f) p.done.completeExceptionally(f.error());
        else p.done.complete((T) result);
    }

    private <T> T pooledTx(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            try {
                T result = work.run(new Tx(c, dialect, null)); // PostgreSQL's driver caches prepared statements itself
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
            return read(tx -> tx.one("SELECT 1", r -> r.getInt(1)).isPresent());
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
        closed = true;
        writes.add(STOP);
        try {
            writer.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Pending<?> p : writes) p.done.completeExceptionally(new StoreException("the database is closed", null));
        try {
            for (Map<String, PreparedStatement> cached : statements.values()) {
                for (PreparedStatement ps : cached.values()) ps.close();
            }
            connection.close();
            for (Connection r : readers) r.close();
        } catch (SQLException e) {
            throw new StoreException(e.getMessage(), e);
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
        private static final int MAX_CACHED = 256;
        private final Connection c;
        private final Dialect dialect;
        private final Map<String, PreparedStatement> cache; // null: prepare each time

        Tx(Connection c, Dialect dialect, Map<String, PreparedStatement> cache) {
            this.c = c;
            this.dialect = dialect;
            this.cache = cache;
        }

        /** The database this transaction runs on, for the few statements that differ (see {@link Dialect}). */
        public Dialect dialect() {
            return dialect;
        }

        public int update(String sql, Object... args) throws SQLException {
            PreparedStatement ps = prepare(sql, args);
            try {
                return ps.executeUpdate();
            } finally {
                release(sql, ps);
            }
        }

        /** One statement run once for each row of arguments, sent together (one round trip on PostgreSQL). */
        public void batch(String sql, List<Object[]> rows) throws SQLException {
            if (rows.isEmpty()) return;
            PreparedStatement ps = prepare(sql);
            try {
                for (Object[] args : rows) {
                    bind(ps, args);
                    ps.addBatch();
                }
                ps.executeBatch();
            } finally {
                release(sql, ps);
            }
        }

        public <T> List<T> list(String sql, Row<T> row, Object... args) throws SQLException {
            PreparedStatement ps = prepare(sql, args);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) out.add(row.map(rs));
                return out;
            } finally {
                release(sql, ps);
            }
        }

        public <T> Optional<T> one(String sql, Row<T> row, Object... args) throws SQLException {
            List<T> all = list(sql, row, args);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
        }

        private PreparedStatement prepare(String sql, Object... args) throws SQLException {
            PreparedStatement ps = cache == null ? null : cache.get(sql);
            if (ps == null) {
                ps = c.prepareStatement(sql);
                if (cache != null && cache.size() < MAX_CACHED) cache.put(sql, ps);
            }
            bind(ps, args);
            return ps;
        }

        private static void bind(PreparedStatement ps, Object[] args) throws SQLException {
            ps.clearParameters();
            for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
        }

        private void release(String sql, PreparedStatement ps) throws SQLException {
            if (cache == null || cache.get(sql) != ps) ps.close();
        }
    }
}
