package dev.easel.jobs;

import dev.easel.accounts.Account;
import dev.easel.billing.LedgerKind;
import dev.easel.billing.Money;
import dev.easel.blobs.BlobStore;
import dev.easel.errors.DomainError;
import dev.easel.store.AccountStore;
import dev.easel.store.Batcher;
import dev.easel.store.Database.Tx;
import dev.easel.store.Database;
import dev.easel.store.JobStore;
import dev.easel.webhooks.WebhookService;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
 *
 * <p>Every status write is a conditional update (see {@link JobStore}) whose outcome is checked: money
 * moves, the backlog is promoted and the webhook is written only by the write that won. Submit and
 * backlog promotion lock the account's row first, so its limits and money are checked and changed
 * atomically whatever the database.
 */
public final class JobService {
    private static final Logger log = LoggerFactory.getLogger(JobService.class);

    /**
     * @param maxAttempts how many times a job may be claimed before a lost lease fails it
     * @param lease       how long a claim holds without a heartbeat
     * @param timeout     how long one attempt may run before it fails with {@code timeout}
     */
    public record Settings(int maxAttempts, Duration lease, Duration timeout, Duration idempotencyWindow) {
        /** A job whose renders failed this many times because the server failed is failed itself. */
        public static final int MAX_SERVER_FAILURES = 10;
        /** A queued job that has waited this long is served before jobs that would spare a GPU server a LoRA switch. */
        public static final Duration AFFINITY_WAIT = Duration.ofSeconds(30);
        /** A DELETE repeated this long after the DELETE that cancelled a job answers the cancelled job again. */
        public static final Duration CANCEL_REPLAY = Duration.ofHours(24);

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
    private final JobJson json;
    private final Clock clock;
    private final Settings settings;
    private final Batcher<Submission, Submitted> submissions = new Batcher<>(MAX_SUBMIT_BATCH, this::submitAll);

    /** @param json renders the job JSON that a webhook carries, exactly as GET /jobs/{id} does */
    public JobService(Database db, JobStore jobs, AccountStore accounts, WebhookService webhooks, BlobStore blobs,
                      JobEvents events, JobJson json, Clock clock, Settings settings) {
        this.db = db;
        this.jobs = jobs;
        this.accounts = accounts;
        this.webhooks = webhooks;
        this.blobs = blobs;
        this.events = events;
        this.json = json;
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

    /** A submission as the API received it; {@code idempotencyKey} and {@code webhookUrl} may be null. */
    public record Submission(String accountId, GenerateRequest request, String webhookUrl, String idempotencyKey,
                             String requestHash) {}

    /**
     * Submits a job: its account's money and limits are checked and the job is written in one durable
     * transaction. Submissions that arrive together share that transaction (see {@link Batcher}):
     * under load one COMMIT and one lock of an account's row serve many of them.
     */
    public Submitted submit(Submission submission) {
        return submissions.call(submission);
    }

    /** Submissions waiting for a batch, and whether one is being written (a test waits on it). */
    public Batcher.State submissionState() {
        return submissions.state();
    }

    /** At most this many submissions share one transaction. */
    private static final int MAX_SUBMIT_BATCH = 128;

    private List<Batcher.Outcome<Submitted>> submitAll(List<Submission> batch) {
        Changes changes = new Changes();
        boolean[] decided = {false};
        List<Batcher.Outcome<Submitted>> outcomes;
        try {
            outcomes = db.tx(tx -> {
                List<Batcher.Outcome<Submitted>> out = submitIn(tx, batch, changes);
                decided[0] = true;
                return out;
            });
        } catch (RuntimeException e) {
            // failed before its COMMIT (the batch wrote nothing): each submission again alone, so that one
            // that cannot be written fails alone; after it (a COMMIT's outcome may be unknown), each fails
            if (decided[0] || batch.size() == 1) throw e;
            log.warn("a batch of {} submissions failed; each is tried alone: {}", batch.size(), e.toString());
            List<Batcher.Outcome<Submitted>> alone = new ArrayList<>();
            for (Submission s : batch) {
                try {
                    alone.add(submitAll(List.of(s)).get(0));
                } catch (RuntimeException failed) {
                    alone.add(new Batcher.Outcome.Failed<>(failed));
                }
            }
            return alone;
        }
        changes.publish();
        return outcomes;
    }

    /** An account's row as a batch of submissions has changed it so far (it is locked for the transaction). */
    private static final class Tally {
        final Account account;
        AccountStore.Usage usage;
        AccountStore.Usage added = AccountStore.Usage.NONE;
        long lastCreatedAt;
        final Map<String, Job> byKey = new HashMap<>(); // jobs of this batch by Idempotency-Key

        Tally(AccountStore.Locked locked) {
            this.account = locked.account();
            this.usage = locked.usage();
            this.lastCreatedAt = account.lastJobCreatedAt();
        }
    }

    private List<Batcher.Outcome<Submitted>> submitIn(Tx tx, List<Submission> batch, Changes changes) throws SQLException {
        long now = clock.millis();
        // first the accounts' rows, in the order of their ids, so that the submissions of one account
        // (limits, money, the key) run one after the other and two batches never wait for each other's locks
        Map<String, Tally> tallies = new TreeMap<>();
        for (Submission s : batch) tallies.put(s.accountId(), null);
        for (String id : tallies.keySet()) tallies.put(id, accounts.lockWithUsage(tx, id).map(Tally::new).orElse(null));
        List<Batcher.Outcome<Submitted>> outcomes = new ArrayList<>(batch.size());
        List<Job> created = new ArrayList<>();
        for (Submission s : batch) {
            try {
                Submitted submitted = submitOne(tx, s, tallies.get(s.accountId()), now);
                if (!submitted.replayed()) created.add(submitted.job());
                outcomes.add(new Batcher.Outcome.Done<>(submitted));
            } catch (DomainError e) {
                outcomes.add(new Batcher.Outcome.Failed<>(e));
            }
        }
        jobs.insert(tx, created);
        for (java.util.Map.Entry<String, Tally> e : tallies.entrySet()) {
            Tally t = e.getValue();
            if (t != null && !t.added.equals(AccountStore.Usage.NONE)) accounts.countNewJobs(tx, e.getKey(), t.lastCreatedAt, t.added);
        }
        for (Job j : created) if (j.status() == JobStatus.QUEUED) changes.queued = true;
        return outcomes;
    }

    /** One submission's decision against its account's tally; a refusal is a {@link DomainError}. */
    private Submitted submitOne(Tx tx, Submission s, Tally t, long now) throws SQLException {
        if (t == null) throw new DomainError.NotFound("the account of this API key no longer exists");
        Account account = t.account;
        String key = s.idempotencyKey();
        if (key != null) {
            Job earlier = t.byKey.get(key);
            if (earlier == null) earlier = jobs.findByIdempotencyKey(tx, s.accountId(), key).orElse(null);
            if (earlier != null) {
                if (earlier.createdAt().plus(settings.idempotencyWindow()).isAfter(Instant.ofEpochMilli(now))) {
                    if (!earlier.requestHash().equals(s.requestHash())) {
                        throw new DomainError.Conflict("Idempotency-Key " + key
                                + " was already used with a different request (job " + earlier.id() + "); use a new key");
                    }
                    return new Submitted(earlier, true);
                }
                jobs.forgetIdempotencyKey(tx, earlier.id());
            }
        }
        AccountStore.Usage usage = t.usage;
        long price = s.request().priceTier().micros;
        long available = account.balanceMicros() - usage.reservedMicros();
        if (available < price) {
            throw new DomainError.PaymentRequired("insufficient credits: this request costs $"
                    + Money.usd(price).toPlainString() + " and your available balance is $"
                    + Money.usd(available).toPlainString() + " (balance $" + Money.usd(account.balanceMicros()).toPlainString()
                    + " minus $" + Money.usd(usage.reservedMicros()).toPlainString() + " reserved by pending jobs)");
        }
        JobStatus status;
        if (usage.active() < account.maxConcurrentJobs()) status = JobStatus.QUEUED;
        else if (usage.backlogged() < account.maxBacklog()) status = JobStatus.BACKLOGGED;
        else {
            throw new DomainError.TooBusy("too many jobs: your account has " + usage.active()
                    + " running and " + usage.backlogged() + " waiting (max_concurrent_jobs " + account.maxConcurrentJobs()
                    + ", max_backlog " + account.maxBacklog() + "); retry when one of them finishes", 5);
        }
        // strictly after the account's previous job, so that "created before" cursors never skip one
        long createdAt = Math.max(now, t.lastCreatedAt + 1);
        GenerateRequest request = s.request();
        long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong(GenerateRequest.MAX_SEED + 1);
        Job job = new Job(UUID.randomUUID().toString(), s.accountId(), Job.TYPE, status, request.withSeed(seed), price,
                s.webhookUrl(), key, s.requestHash(), Instant.ofEpochMilli(createdAt),
                status == JobStatus.QUEUED ? Instant.ofEpochMilli(createdAt) : null, null, 0, null, null, null,
                null, null, null, null, null, null, null, request.loraSet(), 0);
        AccountStore.Usage added = AccountStore.Usage.ofMove(null, status, price);
        t.usage = t.usage.plus(added);
        t.added = t.added.plus(added);
        t.lastCreatedAt = createdAt;
        if (key != null) t.byKey.put(key, job);
        return new Submitted(job, false);
    }

    /** The job if it exists and belongs to the account. */
    public Optional<Job> get(String accountId, String jobId) {
        return db.read(tx -> jobs.find(tx, jobId)).filter(j -> j.accountId().equals(accountId));
    }

    /** The job as its account sees it, if it exists and belongs to the account. */
    public Optional<JobView> view(String accountId, String jobId) {
        return db.read(tx -> jobs.findView(tx, accountId, jobId));
    }

    /** The account's jobs as it sees them, newest first, created strictly before {@code before} (when given). */
    public List<JobView> list(String accountId, Instant before, JobStatus status, Collection<String> types, int limit) {
        return db.read(tx -> jobs.listViews(tx, accountId, before, status, types, limit));
    }

    public AccountStore.Usage usage(String accountId) {
        return db.read(tx -> accounts.usage(tx, accountId));
    }

    /**
     * DELETE /jobs/{id}: cancels a pending job (its price is released; a running render stops at its
     * next step), or deletes a terminal one with its images. A DELETE is the only way a job is
     * cancelled, so a cancelled job that ended less than {@link Settings#CANCEL_REPLAY} ago was cancelled
     * by a DELETE: a retried DELETE answers it again and destroys nothing. When the cancel loses a race
     * (the job completed or failed meanwhile), the job is answered as it ended, not deleted.
     * Returns the job as it now stands (cancelled, or as it ended), or as it was before deletion.
     */
    public Job cancelOrDelete(String accountId, String jobId) {
        Changes changes = new Changes();
        Job out = db.tx(tx -> {
            Job job = jobs.find(tx, jobId).filter(j -> j.accountId().equals(accountId))
                    .orElseThrow(() -> new DomainError.NotFound("no job " + jobId));
            if (!job.status().isTerminal()) {
                // on a database where other writers commit between our statements, a worker's step may
                // move the job first: read it again and retry; a job that ended meanwhile is answered as it is
                for (int tries = 0; tries < 10 && !job.status().isTerminal(); tries++) {
                    if (finish(tx, job, JobStatus.CANCELLED, null, null, null, null, changes)) break;
                    job = jobs.find(tx, jobId).orElseThrow(() -> new DomainError.NotFound("no job " + jobId));
                }
                return jobs.find(tx, jobId).orElseThrow(() -> new DomainError.NotFound("no job " + jobId));
            }
            if (job.status() == JobStatus.CANCELLED
                    && job.completedAt().plus(Settings.CANCEL_REPLAY).isAfter(Instant.ofEpochMilli(clock.millis()))) {
                return job;
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
        return claim(owner, null);
    }

    /**
     * Claims a queued job for worker {@code owner}, with a fresh lease: one whose LoRA set is
     * {@code loraSet} (the set its GPU server has merged) if there is one, else the oldest; but a job
     * that has waited {@link Settings#AFFINITY_WAIT} goes first whatever its set, so none starves.
     */
    public Optional<Job> claim(String owner, String loraSet) {
        Changes changes = new Changes();
        Optional<Job> job = db.tx(tx -> {
            long now = clock.millis();
            return loraSet == null ? jobs.claimNext(tx, owner, now, now + settings.lease().toMillis())
                    : jobs.claimNext(tx, owner, now, now + settings.lease().toMillis(), loraSet, now - Settings.AFFINITY_WAIT.toMillis());
        });
        job.ifPresent(j -> changes.changed(j.id()));
        changes.publish();
        return job;
    }

    /**
     * Records a worker's progress under its claim: a move to processing, sampling or
     * intermediate-complete (the transition table decides which are legal from where the job is),
     * with its step and preview. False when the claim no longer stands (the job was cancelled, timed
     * out or handed to another worker: stop working on it) or the table forbids the move. A job
     * ends only through {@link #complete} or {@link #fail}.
     */
    public boolean progress(Job claimed, JobStatus status, Integer step, Integer steps, String previewKey) {
        if (!WORKING.contains(status)) {
            throw new IllegalArgumentException("progress moves a job to processing, sampling or intermediate-complete, not "
                    + status.wire + ": a job ends through complete or fail");
        }
        boolean ok = db.tx(tx -> jobs.progress(tx, claimed.id(), claimed.attempt(), status, step, steps, previewKey,
                clock.millis()));
        if (ok) events.publish(List.of(claimed.id()), false, false);
        return ok;
    }

    private static final List<JobStatus> WORKING = List.of(JobStatus.PROCESSING, JobStatus.SAMPLING, JobStatus.INTERMEDIATE_COMPLETE);

    /** Whether the claim under which {@code claimed} was taken still stands (the job is not cancelled, ended or re-claimed). */
    public boolean stillClaimed(Job claimed) {
        return db.read(tx -> jobs.find(tx, claimed.id()))
                .filter(j -> j.attempt() == claimed.attempt() && !j.status().isTerminal() && !j.status().equals(JobStatus.QUEUED))
                .isPresent();
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
    public boolean fail(Job claimed, JobError code, String message) {
        return finishClaimed(claimed, JobStatus.FAILED, null, null, code, message);
    }

    private boolean finishClaimed(Job claimed, JobStatus status, String resultKey, Job.Result result, JobError code,
                                  String message) {
        Changes changes = new Changes();
        boolean ok = db.tx(tx -> {
            Optional<Job> current = jobs.find(tx, claimed.id());
            if (current.isEmpty() || current.get().attempt() != claimed.attempt()) return false;
            return finish(tx, current.get(), status, resultKey, result, code, message, changes);
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
                if (finish(tx, job, JobStatus.FAILED, null, null, JobError.TIMEOUT,
                        "the job ran longer than the limit of " + settings.timeout().toSeconds() + " s", changes)) n++;
            }
            for (Job job : jobs.expiredLeases(tx, now)) {
                if (returnToQueue(tx, job, changes)) n++;
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
            int moved = 0;
            for (Job job : jobs.heldBy(tx, ownerPrefix)) if (returnToQueue(tx, job, changes)) moved++;
            return moved;
        });
        changes.publish();
        return n;
    }

    /**
     * The GPU server failed while rendering the job (it died, erred or hung past its deadline): the
     * job goes back to the queue for another server, and this attempt does not count against its
     * limit. False when the claim no longer stands.
     */
    public boolean requeueAfterServerFailure(Job claimed, String why) {
        Changes changes = new Changes();
        boolean ok = db.tx(tx -> {
            Optional<Job> current = jobs.find(tx, claimed.id());
            if (current.isEmpty() || current.get().attempt() != claimed.attempt()) return false;
            if (current.get().freeAttempts() + 1 >= Settings.MAX_SERVER_FAILURES) {
                // every server fails on it: more likely the job than the servers
                return finish(tx, current.get(), JobStatus.FAILED, null, null, JobError.ENGINE_ERROR, "the GPU servers failed on each of "
                        + Settings.MAX_SERVER_FAILURES + " attempts to render this job; the last said: " + why, changes);
            }
            return requeue(tx, current.get(), true, changes);
        });
        changes.publish();
        if (ok) log.warn("server failed, job returns to the queue job_id={} attempt={} why={}", claimed.id(), claimed.attempt(), why);
        return ok;
    }

    private boolean returnToQueue(Tx tx, Job job, Changes changes) throws SQLException {
        if (job.countedAttempts() >= settings.maxAttempts()) {
            return finish(tx, job, JobStatus.FAILED, null, null, JobError.WORKER_LOST,
                    "the job's worker stopped responding on each of " + job.attempt() + " attempts", changes);
        }
        if (!requeue(tx, job, false, changes)) return false;
        log.warn("lease lost, job returns to the queue job_id={} attempt={} owner={}", job.id(), job.attempt(), job.leaseOwner());
        return true;
    }

    /** Back to the queue, if the job is still in the status and attempt it was read in; its preview goes. */
    private boolean requeue(Tx tx, Job job, boolean free, Changes changes) throws SQLException {
        if (!jobs.requeue(tx, job.id(), job.status(), job.attempt(), clock.millis(), free)) return false;
        changes.changed(job.id());
        changes.deleteBlobs(job.previewKey());
        changes.queued = true;
        return true;
    }

    /**
     * Ends {@code job}, as it was read in this transaction, in {@code status}, if it is still in the
     * status and attempt it was read in and the table allows the move. Only then: charges the price when
     * completed (otherwise the reservation simply lapses), writes the webhook outbox row when the job
     * has a webhook URL, and, when an active slot frees, promotes the account's oldest backlogged jobs.
     * False when the move did not happen.
     */
    private boolean finish(Tx tx, Job job, JobStatus status, String resultKey, Job.Result result, JobError code,
                           String message, Changes changes) throws SQLException {
        long now = clock.millis();
        // the account's row first, as every transaction that writes it and a job row does: no deadlock on PostgreSQL
        accounts.lock(tx, job.accountId());
        if (!jobs.finish(tx, job.id(), job.status(), job.attempt(), status, resultKey, result, code, message, now)) return false;
        accounts.countMove(tx, job.accountId(), job.status(), status, job.priceMicros());
        if (status == JobStatus.COMPLETED) {
            accounts.adjustBalance(tx, job.accountId(), job.id(), LedgerKind.CHARGE, -job.priceMicros(), now);
        }
        if (status != JobStatus.COMPLETED) changes.deleteBlobs(job.previewKey());
        if (job.webhookUrl() != null) {
            Job ended = jobs.find(tx, job.id()).orElseThrow();
            webhooks.enqueue(tx, ended, json.text(ended.view()));
            changes.webhook = true;
        }
        changes.changed(job.id());
        if (job.status().isActive()) promoteBacklog(tx, job.accountId(), changes);
        log.info("job finished job_id={} status={} attempt={}{}", job.id(), status.wire, job.attempt(),
                code == null ? "" : " error_code=" + code.wire);
        return true;
    }

    private void promoteBacklog(Tx tx, String accountId, Changes changes) throws SQLException {
        AccountStore.Locked locked = accounts.lockWithUsage(tx, accountId).orElseThrow();
        for (int active = locked.usage().active(); active < locked.account().maxConcurrentJobs(); active++) {
            Optional<Job> next = jobs.oldestBacklogged(tx, accountId);
            if (next.isEmpty() || !jobs.promote(tx, next.get().id(), clock.millis())) return;
            accounts.countMove(tx, accountId, JobStatus.BACKLOGGED, JobStatus.QUEUED, next.get().priceMicros());
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
            events.publish(jobIds, queued, webhook);
        }
    }
}
