package dev.easel.store;

import dev.easel.accounts.Account;
import dev.easel.billing.LedgerKind;
import dev.easel.jobs.JobStatus;
import dev.easel.store.Database.Tx;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** SQL for accounts, their API keys and the ledger of balance movements. */
public final class AccountStore {
    private static final String COLUMNS = "id, name, balance_micros, max_concurrent_jobs, max_backlog, last_job_created_at";

    public void insert(Tx tx, Account a, long now) throws SQLException {
        tx.update("INSERT INTO accounts (id, name, balance_micros, max_concurrent_jobs, max_backlog, created_at) "
                + "VALUES (?, ?, ?, ?, ?, ?)", a.id(), a.name(), a.balanceMicros(), a.maxConcurrentJobs(), a.maxBacklog(), now);
        if (a.balanceMicros() != 0) ledger(tx, a.id(), null, LedgerKind.CREDIT, a.balanceMicros(), now);
    }

    /** How many jobs an account has in each class that its limits and its money care about. */
    public record Usage(int active, int backlogged, long reservedMicros) {
        public static final Usage NONE = new Usage(0, 0, 0);

        /** How a job of price {@code priceMicros} moving from {@code from} (null: new) to {@code to} changes its account's usage. */
        public static Usage ofMove(JobStatus from, JobStatus to, long priceMicros) {
            return new Usage((to.isActive() ? 1 : 0) - (from != null && from.isActive() ? 1 : 0),
                    (to == JobStatus.BACKLOGGED ? 1 : 0) - (from == JobStatus.BACKLOGGED ? 1 : 0),
                    (to.isTerminal() ? 0 : priceMicros) - (from == null || from.isTerminal() ? 0 : priceMicros));
        }

        public Usage plus(Usage d) {
            return new Usage(active + d.active, backlogged + d.backlogged, reservedMicros + d.reservedMicros);
        }
    }

    /** The account's usage: counters kept by {@link #countMove}, so reading it costs one row however long the queue. */
    public Usage usage(Tx tx, String accountId) throws SQLException {
        return tx.one("SELECT active_jobs, backlogged_jobs, reserved_micros FROM accounts WHERE id = ?",
                r -> new Usage(r.getInt(1), r.getInt(2), r.getLong(3)), accountId).orElseThrow();
    }

    /**
     * Keeps the account's usage as one of its jobs (price {@code priceMicros}) is created ({@code from}
     * null) or moves from {@code from} to {@code to}: in the transaction that writes the job, under the
     * account's row lock (taken here by the UPDATE when the caller has not taken it already).
     */
    public void countMove(Tx tx, String accountId, JobStatus from, JobStatus to, long priceMicros) throws SQLException {
        Usage d = Usage.ofMove(from, to, priceMicros);
        if (d.equals(Usage.NONE)) return;
        tx.update("UPDATE accounts SET active_jobs = active_jobs + ?, backlogged_jobs = backlogged_jobs + ?, "
                + "reserved_micros = reserved_micros + ? WHERE id = ?", d.active(), d.backlogged(), d.reservedMicros(), accountId);
    }

    /** The account, locked as by {@link #lock}, with its usage: what a submit or a promotion decides on, in one statement. */
    public record Locked(Account account, Usage usage) {}

    public Optional<Locked> lockWithUsage(Tx tx, String id) throws SQLException {
        return tx.one("UPDATE accounts SET name = name WHERE id = ? RETURNING " + COLUMNS + ", active_jobs, backlogged_jobs, reserved_micros",
                r -> new Locked(account(r), new Usage(r.getInt(7), r.getInt(8), r.getLong(9))), id);
    }

    /**
     * New jobs of the account (their usage summed in {@code added}, see {@link Usage#ofMove}): the
     * creation time of the newest (for the list's cursors) and the usage, in one statement.
     */
    public void countNewJobs(Tx tx, String accountId, long lastCreatedAt, Usage added) throws SQLException {
        tx.update("UPDATE accounts SET last_job_created_at = ?, active_jobs = active_jobs + ?, backlogged_jobs = backlogged_jobs + ?, "
                + "reserved_micros = reserved_micros + ? WHERE id = ?", lastCreatedAt, added.active(), added.backlogged(),
                added.reservedMicros(), accountId);
    }

    public Optional<Account> find(Tx tx, String id) throws SQLException {
        return tx.one("SELECT " + COLUMNS + " FROM accounts WHERE id = ?", AccountStore::account, id);
    }

    /**
     * Locks the account's row for the rest of the transaction and reads it: a second transaction that
     * checks or changes the same account's limits and money waits until this one ends. On PostgreSQL
     * the no-op UPDATE takes the row lock; on SQLite every write transaction already holds the
     * database's write lock (BEGIN IMMEDIATE), so the same statement is the equivalent there. It writes
     * a column no foreign key refers to: writing the key itself ({@code SET id = id}) makes SQLite check
     * every job of the account against it, a cost that grows with the account's history.
     */
    public Optional<Account> lock(Tx tx, String id) throws SQLException {
        return lockWithUsage(tx, id).map(Locked::account);
    }

    public Optional<Account> findByKeyHash(Tx tx, String keyHash) throws SQLException {
        return tx.one("SELECT a.id, a.name, a.balance_micros, a.max_concurrent_jobs, a.max_backlog, a.last_job_created_at "
                + "FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = ? AND k.revoked_at IS NULL",
                AccountStore::account, keyHash);
    }

    /**
     * Serialises "create the first account if there is none" across nodes: a transaction-scoped
     * advisory lock on PostgreSQL; on SQLite every write transaction already holds the write lock.
     */
    public void lockForFirst(Tx tx) throws SQLException {
        if (tx.dialect() instanceof Dialect.Postgresql) tx.one("SELECT pg_advisory_xact_lock(" + FIRST_ACCOUNT_LOCK + ")", r -> true);
    }

    /** An arbitrary constant: the advisory lock's id for the first account. */
    private static final long FIRST_ACCOUNT_LOCK = 0x6561_7365_6c00_0001L;

    public boolean any(Tx tx) throws SQLException {
        return tx.one("SELECT 1 FROM accounts LIMIT 1", r -> true).isPresent();
    }

    public void insertKey(Tx tx, String accountId, String keyHash, long now) throws SQLException {
        tx.update("INSERT INTO api_keys (key_hash, account_id, created_at) VALUES (?, ?, ?)", keyHash, accountId, now);
    }

    public int revokeKeys(Tx tx, String accountId, long now) throws SQLException {
        return tx.update("UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL", now, accountId);
    }

    /** Moves the balance and records why, in the caller's transaction. */
    public void adjustBalance(Tx tx, String accountId, String jobId, LedgerKind kind, long deltaMicros, long now)
            throws SQLException {
        tx.update("UPDATE accounts SET balance_micros = balance_micros + ? WHERE id = ?", deltaMicros, accountId);
        ledger(tx, accountId, jobId, kind, deltaMicros, now);
    }

    private static void ledger(Tx tx, String accountId, String jobId, LedgerKind kind, long micros, long now)
            throws SQLException {
        tx.update("INSERT INTO ledger (account_id, job_id, kind, amount_micros, at) VALUES (?, ?, ?, ?, ?)",
                accountId, jobId, kind.wire, micros, now);
    }

    private static Account account(ResultSet r) throws SQLException {
        return new Account(r.getString(1), r.getString(2), r.getLong(3), r.getInt(4), r.getInt(5), r.getLong(6));
    }
}
