package dev.easel.webhooks;

import dev.easel.jobs.Job;
import dev.easel.jobs.Signal;
import dev.easel.store.Database;
import dev.easel.store.Database.Tx;
import dev.easel.store.WebhookStore;
import dev.easel.webhooks.Delivery.History;
import dev.easel.webhooks.Delivery.Secret;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Webhooks as the API and the job lifecycle see them: the outbox row written when a job ends, each
 * account's signing secrets (created on first use, rotated with 24 hours of overlap), and a job's
 * delivery history and redelivery. {@link WebhookDispatcher} does the sending.
 */
public final class WebhookService {
    /** How long a rotated secret keeps verifying (and keeps being sent) after the rotation. */
    public static final Duration ROTATION_OVERLAP = Duration.ofHours(24);


    private final Database db;
    private final WebhookStore store;
    private final Signal due;
    private final Clock clock;
    private final RetryPolicy retry;

    /** @param due signalled after a delivery becomes due, to wake the dispatcher */
    public WebhookService(Database db, WebhookStore store, Signal due, Clock clock, RetryPolicy retry) {
        this.db = db;
        this.store = store;
        this.due = due;
        this.clock = clock;
        this.retry = retry;
    }

    /**
     * Writes the outbox row of a job that just ended, in the transaction that ended it: the delivery
     * exists exactly when the terminal state does. Signal {@link #due} once that transaction commits.
     */
    public void enqueue(Tx tx, Job ended, String payload) throws SQLException {
        long now = clock.millis();
        store.insert(tx, new Delivery("msg_" + UUID.randomUUID().toString().replace("-", ""), ended.id(), ended.accountId(),
                ended.webhookUrl(), payload, Delivery.State.PENDING, 0, Instant.ofEpochMilli(now), null,
                Instant.ofEpochMilli(now + retry.giveUpAfter().toMillis()), Instant.ofEpochMilli(now)));
    }

    /** When a job is deleted: its delivery history goes too, unless a delivery is still under way. */
    public void jobDeleted(Tx tx, String jobId) throws SQLException {
        store.deleteSettledForJob(tx, jobId);
    }

    /** A job's webhook: its outbox row once the job has ended (empty before), and the attempts so far. */
    public Optional<History> status(String jobId) {
        return db.read(tx -> store.history(tx, jobId));
    }

    /**
     * Sends an ended job's webhook again, now, with a new retry window. A job that ended before
     * easel had an outbox gets its row now, with {@code payload} (its JSON as GET returns it).
     */
    public History redeliver(Job ended, String payload) {
        History status = db.tx(tx -> {
            Optional<Delivery> d = store.findByJob(tx, ended.id());
            long now = clock.millis();
            if (d.isEmpty()) enqueue(tx, ended, payload);
            else store.redeliver(tx, d.get().id(), now, now + retry.giveUpAfter().toMillis());
            return store.history(tx, ended.id()).orElseThrow();
        });
        due.signal();
        return status;
    }

    /** How many deliveries are still pending (neither delivered nor given up): none pending, none will be sent. */
    public long pendingCount() {
        return db.read(store::countPending);
    }

    /** The account's secrets that verify now, newest first; the first one is created on first use. */
    public List<Secret> secrets(String accountId) {
        return db.tx(tx -> liveSecrets(tx, accountId));
    }

    /** A new current secret; the previous ones keep verifying (and being sent) for {@link #ROTATION_OVERLAP}. */
    public List<Secret> rotate(String accountId) {
        return db.tx(tx -> {
            long now = clock.millis();
            store.expireCurrentSecrets(tx, accountId, now + ROTATION_OVERLAP.toMillis());
            store.insertSecret(tx, accountId, WebhookSigner.newSecret(), now);
            return store.liveSecrets(tx, accountId, now);
        });
    }

    private List<Secret> liveSecrets(Tx tx, String accountId) throws SQLException {
        long now = clock.millis();
        List<Secret> live = store.liveSecrets(tx, accountId, now);
        if (!live.isEmpty() && live.get(0).expiresAt() == null) return live;
        store.insertSecret(tx, accountId, WebhookSigner.newSecret(), now);
        return store.liveSecrets(tx, accountId, now);
    }
}
