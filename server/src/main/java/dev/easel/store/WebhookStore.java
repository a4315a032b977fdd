package dev.easel.store;

import dev.easel.store.Database.Tx;
import dev.easel.webhooks.Delivery;
import dev.easel.webhooks.Delivery.Attempt;
import dev.easel.webhooks.Delivery.History;
import dev.easel.webhooks.Delivery.Secret;
import dev.easel.webhooks.Delivery.State;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** SQL for webhook secrets, the delivery outbox and its attempts. Every method runs in the caller's transaction. */
public final class WebhookStore {
    private static final String COLUMNS = "id, job_id, account_id, url, payload, state, attempts, next_attempt_at, "
            + "claimed_by, give_up_at, created_at";

    public void insert(Tx tx, Delivery d) throws SQLException {
        tx.update("INSERT INTO webhook_deliveries (" + COLUMNS + ", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                d.id(), d.jobId(), d.accountId(), d.url(), d.payload(), d.state().wire, d.attempts(),
                Rows.ms(d.nextAttemptAt()), d.claimedBy(), Rows.ms(d.giveUpAt()), Rows.ms(d.createdAt()), Rows.ms(d.createdAt()));
    }

    public Optional<Delivery> findByJob(Tx tx, String jobId) throws SQLException {
        return tx.one("SELECT " + COLUMNS + " FROM webhook_deliveries WHERE job_id = ?", WebhookStore::delivery, jobId);
    }

    /**
     * The job's delivery and its attempts in one statement, so in one snapshot: on PostgreSQL (READ
     * COMMITTED) two statements could see an attempt that the row's state does not reflect yet.
     */
    public Optional<History> history(Tx tx, String jobId) throws SQLException {
        String cols = "d." + COLUMNS.replace(", ", ", d.");
        record Row(Delivery delivery, Attempt attempt) {}
        List<Row> rows = tx.list("SELECT " + cols + ", a.at, a.status_code, a.error, a.duration_ms FROM webhook_deliveries d"
                        + " LEFT JOIN webhook_attempts a ON a.delivery_id = d.id WHERE d.job_id = ? ORDER BY a.id",
                r -> new Row(delivery(r), r.getObject(12) == null ? null
                        : new Attempt(Instant.ofEpochMilli(r.getLong(12)), Rows.integer(r, 13), r.getString(14), r.getLong(15))),
                jobId);
        if (rows.isEmpty()) return Optional.empty();
        return Optional.of(new History(rows.get(0).delivery(), rows.stream().map(Row::attempt).filter(java.util.Objects::nonNull).toList()));
    }

    /**
     * Claims up to {@code limit} due deliveries, oldest due first, for {@code claimedBy}: their due time
     * moves to {@code claimUntil}, so that if this node dies during the attempt another one retries
     * after that. One statement, so two dispatchers never claim the same delivery.
     */
    public List<Delivery> claimDue(Tx tx, long now, long claimUntil, String claimedBy, int limit) throws SQLException {
        return tx.list("UPDATE webhook_deliveries SET next_attempt_at = ?, claimed_by = ?, updated_at = ? WHERE id IN "
                        + "(SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? "
                        + "ORDER BY next_attempt_at LIMIT ?" + tx.dialect().skipLocked() + ") RETURNING " + COLUMNS,
                WebhookStore::delivery, claimUntil, claimedBy, now, now, limit);
    }

    /** Records an attempt and counts it, whoever holds the delivery now: it happened either way. */
    public void recordAttempt(Tx tx, String deliveryId, Attempt a) throws SQLException {
        tx.update("INSERT INTO webhook_attempts (delivery_id, at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?)",
                deliveryId, a.at().toEpochMilli(), a.statusCode(), a.error(), a.durationMs());
        tx.update("UPDATE webhook_deliveries SET attempts = attempts + 1 WHERE id = ?", deliveryId);
    }

    /**
     * Settles an attempt: the new state and, when pending, the next due time. Only while the claim
     * {@code claimedBy} still stands (a redelivery or another node's takeover replaces it).
     */
    public boolean settle(Tx tx, String id, String claimedBy, State state, Long nextAttemptAt, long now) throws SQLException {
        return tx.update("UPDATE webhook_deliveries SET state = ?, next_attempt_at = ?, claimed_by = NULL, updated_at = ? "
                + "WHERE id = ? AND claimed_by = ?", state.wire, nextAttemptAt, now, id, claimedBy) == 1;
    }

    /**
     * Makes a delivery due now, with a new retry window (its backoff starts over); an attempt in
     * flight is no longer waited for.
     */
    public void redeliver(Tx tx, String id, long now, long giveUpAt) throws SQLException {
        tx.update("UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, claimed_by = NULL, "
                + "give_up_at = ?, updated_at = ? WHERE id = ?", now, giveUpAt, now, id);
    }

    /** At start-up: attempts this node had in flight when it stopped are due again at once. */
    public int releaseClaims(Tx tx, String claimPrefix, long now) throws SQLException {
        return tx.update("UPDATE webhook_deliveries SET next_attempt_at = ?, claimed_by = NULL, updated_at = ? "
                + "WHERE state = 'pending' AND claimed_by LIKE ?", now, now, claimPrefix + "%");
    }

    /** With its job: a delivery that is over goes too; one still pending is kept until it is over. */
    public void deleteSettledForJob(Tx tx, String jobId) throws SQLException {
        tx.update("DELETE FROM webhook_deliveries WHERE job_id = ? AND state <> 'pending'", jobId);
    }

    public long countPending(Tx tx) throws SQLException {
        return tx.one("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'", r -> r.getLong(1)).orElseThrow();
    }

    // ---------------------------------------------------------------- secrets

    /** The account's secrets that still verify at {@code now}, newest (the current one) first. */
    public List<Secret> liveSecrets(Tx tx, String accountId, long now) throws SQLException {
        return tx.list("SELECT secret, created_at, expires_at FROM webhook_secrets WHERE account_id = ? "
                        + "AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC",
                r -> new Secret(r.getString(1), Instant.ofEpochMilli(r.getLong(2)), Rows.instant(r, 3)), accountId, now);
    }

    public void insertSecret(Tx tx, String accountId, String secret, long now) throws SQLException {
        tx.update("INSERT INTO webhook_secrets (account_id, secret, created_at) VALUES (?, ?, ?)", accountId, secret, now);
    }

    /** Gives the account's current secret (or secrets) until {@code expiresAt}. */
    public void expireCurrentSecrets(Tx tx, String accountId, long expiresAt) throws SQLException {
        tx.update("UPDATE webhook_secrets SET expires_at = ? WHERE account_id = ? AND expires_at IS NULL", expiresAt, accountId);
    }

    private static Delivery delivery(ResultSet r) throws SQLException {
        return new Delivery(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                State.fromWire(r.getString(6)), r.getInt(7), Rows.instant(r, 8), r.getString(9), Rows.instant(r, 10), Rows.instant(r, 11));
    }
}
