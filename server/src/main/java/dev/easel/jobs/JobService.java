package dev.easel.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.easel.accounts.Account;
import dev.easel.api.ApiError;
import dev.easel.api.ApiException;
import dev.easel.api.Json;
import dev.easel.api.Views;
import dev.easel.billing.Money;
import dev.easel.blobs.BlobStore;
import dev.easel.store.AccountStore;
import dev.easel.store.Database;
import dev.easel.store.Database.Tx;
import dev.easel.store.JobStore;
import dev.easel.webhooks.WebhookService;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job lifecycle, all of it: submit, read, cancel and delete for the API; claim, progress,
 * complete and fail for workers; lease expiry and timeouts for the reaper. Each state change is one
 * transaction that also moves the money (reserve = a pending job's price, charge on completion,
 * release by ending any other way), promotes the account's backlog, and, when a job ends with an
 * X-Webhook-URL, writes its webhook to the outbox. See {@link JobStatus}.
 */
public final class JobService {
    private static final Logger log = LoggerFactory.getLogger(JobService.class);

    /**
     * @param maxAttempts how many times a job may be claimed before a lost lease fails it
     * @param lease       how long a claim holds without a heartbeat
     * @param timeout     how long one attempt may run before it fails with {@code timeout}
     */
    public record Settings(int maxAttempts, Duration lease, Duration timeout, Duration idempotencyWindow) {
        public static final Settings DEFAULT = new Settings(3, Duration.ofSeconds(30), Duration.ofMinutes(10), Duration.ofHours(24));
    }

    /** A submission's outcome; {@code replayed} when an Idempotency-Key returned an earlier job. */
    public record Submitted(Job job, boolean replayed) {}

    private final Database db;
    private final JobStore jobs;
    private final AccountStore accounts;
    private final WebhookService webhooks;
    private final BlobStore blobs;
    private final JobEvents events;
    private final Views views;
    private final Clock clock;
    private final Settings settings;

    /** @param views renders the job JSON that a webhook carries, exactly as GET /jobs/{id} does */
    public JobService(Database db, JobStore jobs, AccountStore accounts, WebhookService webhooks, BlobStore blobs,
                      JobEvents events, Views views, Clock clock, Settings settings) {
        this.db = db;
        this.jobs = jobs;
        this.accounts = accounts;
        this.webhooks = webhooks;
        this.blobs = blobs;
        this.events = events;
        this.views = views;
        this.clock = clock;
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    public JobEvents events() {
        return events;
    }

    // ---------------------------------------------------------------- the API side

    public Submitted submit(String accountId, GenerateRequest request, String webhookUrl, String idempotencyKey,
                            String requestHash) {
        Changes changes = new Changes();
        Submitted submitted = db.tx(tx -> {
            long now = clock.millis();
            if (idempotencyKey != null) {
                Optional<Job> earlier = jobs.findByIdempotencyKey(tx, accountId, idempotencyKey);
                if (earlier.isPresent()) {
                    Job e = earlier.get();
                    if (e.createdAt().plus(settings.idempotencyWindow()).isAfter(Instant.ofEpochMilli(now))) {
                        if (!e.requestHash().equals(requestHash)) {
                            throw new ApiException(new ApiError.Conflict("Idempotency-Key " + idempotencyKey
                                    + " was already used with a different request (job " + e.id() + "); use a new key"));
                        }
                        return new Submitted(e, true);
                    }
                    jobs.forgetIdempotencyKey(tx, e.id());
                }
            }
            Account account = accounts.find(tx, accountId).orElseThrow(() -> new ApiException(
                    new ApiError.Unauthorized("the account of this API key no longer exists")));
            JobStore.Usage usage = jobs.usage(tx, accountId);
            long price = request.priceTier().micros;
            long available = account.balanceMicros() - usage.reservedMicros();
            if (available < price) {
                throw new ApiException(new ApiError.PaymentRequired("insufficient credits: this request costs $"
                        + Money.usd(price).toPlainString() + " and your available balance is $"
                        + Money.usd(available).toPlainString() + " (balance $" + Money.usd(account.balanceMicros()).toPlainString()
                        + " minus $" + Money.usd(usage.reservedMicros()).toPlainString() + " reserved by pending jobs)"));
            }
            JobStatus status;
            if (usage.active() < account.maxConcurrentJobs()) status = JobStatus.QUEUED;
            else if (usage.backlogged() < account.maxBacklog()) status = JobStatus.BACKLOGGED;
            else {
                throw new ApiException(new ApiError.TooManyRequests("too many jobs: your account has " + usage.active()
                        + " running and " + usage.backlogged() + " waiting (max_concurrent_jobs " + account.maxConcurrentJobs()
                        + ", max_backlog " + account.maxBacklog() + "); retry when one of them finishes", 5));
            }
            // strictly after the account's previous job, so that "created before" cursors never skip one
            long createdAt = Math.max(now, account.lastJobCreatedAt() + 1);
            long seed = request.seed() != null ? request.seed()
                    : ThreadLocalRandom.current().nextLong(dev.easel.api.GenerateRequestParser.MAX_SEED + 1);
            Job job = new Job(UUID.randomUUID().toString(), accountId, Job.TYPE, status, request.withSeed(seed), price,
                    webhookUrl, idempotencyKey, requestHash, Instant.ofEpochMilli(createdAt),
                    status == JobStatus.QUEUED ? Instant.ofEpochMilli(createdAt) : null, null, 0, null, null, null,
                    null, null, null, null, null, null, null);
            jobs.insert(tx, job);
            accounts.setLastJobCreatedAt(tx, accountId, createdAt);
            if (status == JobStatus.QUEUED) changes.queued = true;
            return new Submitted(job, false);
        });
        changes.publish();
        return submitted;
    }

    /** The job if it exists and belongs to the account. */
    public Optional<Job> get(String accountId, String jobId) {
        return db.tx(tx -> jobs.find(tx, jobId)).filter(j -> j.accountId().equals(accountId));
    }

    public List<Job> list(String accountId, Instant before, JobStatus status, Collection<String> types, int limit) {
        return db.tx(tx -> jobs.list(tx, accountId, before, status, types, limit));
    }

    public JobStore.Usage usage(String accountId) {
        return db.tx(tx -> jobs.usage(tx, accountId));
    }

    /**
     * DELETE /jobs/{id}: cancels a pending job (its price is released; a running render stops at its
     * next step), or deletes a terminal one with its images. Returns the job as it now stands
     * (cancelled), or as it was before deletion.
     */
    public Job cancelOrDelete(String accountId, String jobId) {
        Changes changes = new Changes();
        Job out = db.tx(tx -> {
            Job job = jobs.find(tx, jobId).filter(j -> j.accountId().equals(accountId))
                    .orElseThrow(() -> ApiException.notFound("no job " + jobId));
            if (!job.status().isTerminal()) {
                finish(tx, job, JobStatus.CANCELLED, null, null, null, null, changes);
                return jobs.find(tx, jobId).orElseThrow();
            }
            jobs.delete(tx, jobId);
            webhooks.jobDeleted(tx, jobId);
            changes.changed(jobId);
            changes.deleteBlobs(job.resultKey(), job.previewKey());
            return job;
        });
        changes.publish();
        return out;
    }

    // ---------------------------------------------------------------- the worker side

    /** Claims the oldest queued job for worker {@code owner}, with a fresh lease. */
    public Optional<Job> claim(String owner) {
        Changes changes = new Changes();
        Optional<Job> job = db.tx(tx -> {
            long now = clock.millis();
            return jobs.claimNext(tx, owner, now, now + settings.lease().toMillis());
        });
        job.ifPresent(j -> changes.changed(j.id()));
        changes.publish();
        return job;
    }

    /**
     * Records a worker's progress (status, step, preview) under its claim. False when the claim no
     * longer stands: the job was cancelled, timed out or handed to another worker; stop working on it.
     */
    public boolean progress(Job claimed, JobStatus status, Integer step, Integer steps, String previewKey) {
        boolean ok = db.tx(tx -> jobs.updateClaimed(tx, claimed.id(), claimed.attempt(), status, step, steps, previewKey,
                clock.millis()));
        if (ok) events.changed(claimed.id());
        return ok;
    }

    public boolean renewLease(Job claimed) {
        return db.tx(tx -> jobs.renewLease(tx, claimed.id(), claimed.attempt(), claimed.leaseOwner(),
                clock.millis() + settings.lease().toMillis())) == 1;
    }

    /** Completes a claimed job and charges its price. False when the claim no longer stands. */
    public boolean complete(Job claimed, String resultKey, Job.Result result) {
        return finishClaimed(claimed, JobStatus.COMPLETED, resultKey, result, null, null);
    }

    /** Fails a claimed job and releases its price. False when the claim no longer stands. */
    public boolean fail(Job claimed, String code, String message) {
        return finishClaimed(claimed, JobStatus.FAILED, null, null, code, message);
    }

    private boolean finishClaimed(Job claimed, JobStatus status, String resultKey, Job.Result result, String code,
                                  String message) {
        Changes changes = new Changes();
        boolean ok = db.tx(tx -> {
            Optional<Job> current = jobs.find(tx, claimed.id());
            if (current.isEmpty() || current.get().attempt() != claimed.attempt() || !current.get().status().isClaimed()) {
                return false;
            }
            finish(tx, current.get(), status, resultKey, result, code, message, changes);
            return true;
        });
        changes.publish();
        return ok;
    }

    /**
     * The reaper: claims whose lease ran out go back to the queue (or fail once they used up their
     * attempts), and attempts running past the timeout fail with {@code timeout}. Returns how many
     * jobs it moved.
     */
    public int reap() {
        Changes changes = new Changes();
        int moved = db.tx(tx -> {
            long now = clock.millis();
            int n = 0;
            for (Job job : jobs.overdue(tx, now - settings.timeout().toMillis())) {
                finish(tx, job, JobStatus.FAILED, null, null, "timeout",
                        "the job ran longer than the limit of " + settings.timeout().toSeconds() + " s", changes);
                n++;
            }
            for (Job job : jobs.expiredLeases(tx, now)) {
                returnToQueue(tx, job, changes);
                n++;
            }
            return n;
        });
        changes.publish();
        return moved;
    }

    /**
     * At start-up: jobs that this node's workers held when the process last stopped are returned at
     * once (not after their lease runs out): nobody is working on them any more.
     */
    public int recoverAbandoned(String ownerPrefix) {
        Changes changes = new Changes();
        int n = db.tx(tx -> {
            List<Job> held = jobs.heldBy(tx, ownerPrefix);
            for (Job job : held) returnToQueue(tx, job, changes);
            return held.size();
        });
        changes.publish();
        return n;
    }

    private void returnToQueue(Tx tx, Job job, Changes changes) throws SQLException {
        if (job.attempt() >= settings.maxAttempts()) {
            finish(tx, job, JobStatus.FAILED, null, null, "worker_lost",
                    "the job's worker stopped responding on each of " + job.attempt() + " attempts", changes);
            return;
        }
        log.warn("lease lost, job returns to the queue job_id={} attempt={} owner={}", job.id(), job.attempt(), job.leaseOwner());
        jobs.requeue(tx, job.id(), clock.millis());
        changes.changed(job.id());
        changes.deleteBlobs(job.previewKey());
        changes.queued = true;
    }

    /**
     * Ends a job in {@code status}: charges the price when completed (otherwise the reservation
     * simply lapses), writes the webhook outbox row when the job has a webhook URL, and when an active
     * slot frees, promotes the account's oldest backlogged jobs.
     */
    private void finish(Tx tx, Job job, JobStatus status, String resultKey, Job.Result result, String code,
                        String message, Changes changes) throws SQLException {
        long now = clock.millis();
        jobs.finish(tx, job.id(), status, resultKey, result, code, message, now);
        if (status == JobStatus.COMPLETED) {
            accounts.adjustBalance(tx, job.accountId(), job.id(), "charge", -job.priceMicros(), now);
        }
        if (status != JobStatus.COMPLETED) changes.deleteBlobs(job.previewKey());
        if (job.webhookUrl() != null) {
            Job ended = jobs.find(tx, job.id()).orElseThrow();
            webhooks.enqueue(tx, ended, payload(ended));
            changes.webhook = true;
        }
        changes.changed(job.id());
        if (job.status().isActive()) promoteBacklog(tx, job.accountId(), changes);
        log.info("job finished job_id={} status={} attempt={}{}", job.id(), status.wire, job.attempt(),
                code == null ? "" : " error_code=" + code);
    }

    /** The webhook body: the bytes GET /jobs/{id} answers with for the ended job. */
    private String payload(Job ended) throws SQLException {
        try {
            return Json.MAPPER.writeValueAsString(views.job(ended));
        } catch (JsonProcessingException e) {
            throw new SQLException("cannot render the webhook payload of job " + ended.id(), e);
        }
    }

    private void promoteBacklog(Tx tx, String accountId, Changes changes) throws SQLException {
        Account account = accounts.find(tx, accountId).orElseThrow();
        JobStore.Usage usage = jobs.usage(tx, accountId);
        for (int active = usage.active(); active < account.maxConcurrentJobs(); active++) {
            Optional<Job> next = jobs.oldestBacklogged(tx, accountId);
            if (next.isEmpty()) return;
            jobs.markQueued(tx, next.get().id(), clock.millis());
            changes.changed(next.get().id());
            changes.queued = true;
        }
    }

    /** What a transaction changed, announced only after it committed. */
    private final class Changes {
        final List<String> jobIds = new ArrayList<>();
        final List<String> blobKeys = new ArrayList<>();
        boolean queued;
        boolean webhook;

        void changed(String jobId) {
            jobIds.add(jobId);
        }

        void deleteBlobs(String... keys) {
            for (String k : keys) if (k != null) blobKeys.add(k);
        }

        void publish() {
            for (String key : blobKeys) {
                try {
                    blobs.delete(key);
                } catch (RuntimeException e) {
                    log.warn("could not delete blob: {}", e.toString());
                }
            }
            jobIds.forEach(events::changed);
            if (queued) events.queued.signal();
            if (webhook) webhooks.announceDue();
        }
    }
}
