package dev.easel.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.easel.jobs.GenerateRequest;
import dev.easel.jobs.Job;
import dev.easel.jobs.JobError;
import dev.easel.jobs.JobStatus;
import dev.easel.jobs.JobView;
import dev.easel.json.Json;
import dev.easel.store.Database.Tx;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * SQL for jobs. Every method runs in the caller's transaction; the lifecycle rules live in JobService.
 * Every write of a job's status is a conditional update: {@code WHERE status IN (the statuses the
 * transition table allows the move from) AND attempt = ?}, and reports whether the row moved. So a
 * move the table forbids, a stale worker, or the loser of a race (a cancel against a completion)
 * changes nothing, on any database and without a process-wide lock.
 */
public final class JobStore {
    private static final String COLUMNS = "id, account_id, type, status, request_json, price_micros, webhook_url, "
            + "idempotency_key, request_hash, created_at, queued_at, completed_at, attempt, lease_owner, "
            + "lease_expires_at, started_at, progress_step, progress_steps, preview_key, result_key, result_json, "
            + "error_code, error_message, lora_set, free_attempts";

    /** New jobs, in one batch. */
    public void insert(Tx tx, List<Job> jobs) throws SQLException {
        List<Object[]> rows = new ArrayList<>(jobs.size());
        for (Job j : jobs) {
            if (!JobStatus.INITIAL.contains(j.status())) throw new IllegalArgumentException("a job starts backlogged or queued, not " + j.status().wire);
            rows.add(new Object[] {j.id(), j.accountId(), j.type(), j.status().wire, toJson(j.request()), j.priceMicros(), j.webhookUrl(),
                    j.idempotencyKey(), j.requestHash(), Rows.ms(j.createdAt()), Rows.ms(j.queuedAt()), Rows.ms(j.completedAt()),
                    j.attempt(), j.leaseOwner(), Rows.ms(j.leaseExpiresAt()), Rows.ms(j.startedAt()), j.progressStep(),
                    j.progressSteps(), j.previewKey(), j.resultKey(), j.result() == null ? null : toJson(j.result()),
                    j.errorCode() == null ? null : j.errorCode().wire, j.errorMessage(), j.loraSet(), j.freeAttempts(), Rows.ms(j.createdAt())});
        }
        tx.batch("INSERT INTO jobs (" + COLUMNS + ", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows);
    }

    public Optional<Job> find(Tx tx, String id) throws SQLException {
        return tx.one("SELECT " + COLUMNS + " FROM jobs WHERE id = ?", JobStore::job, id);
    }

    public Optional<Job> findByIdempotencyKey(Tx tx, String accountId, String key) throws SQLException {
        return tx.one("SELECT " + COLUMNS + " FROM jobs WHERE account_id = ? AND idempotency_key = ?", JobStore::job,
                accountId, key);
    }

    /** Frees a key whose 24 hours are over, so that the account may use it again. */
    public void forgetIdempotencyKey(Tx tx, String jobId) throws SQLException {
        tx.update("UPDATE jobs SET idempotency_key = NULL WHERE id = ?", jobId);
    }

    /** The columns of a {@link JobView}, in the order {@link #view} reads them. */
    private static final String VIEW_COLUMNS = "id, type, status, created_at, completed_at, progress_step, progress_steps, "
            + "preview_key, result_key, result_json, error_code, error_message";

    /** The job as its account sees it, if it is the account's: without its request, which a view does not show. */
    public Optional<JobView> findView(Tx tx, String accountId, String id) throws SQLException {
        return tx.one("SELECT " + VIEW_COLUMNS + " FROM jobs WHERE id = ? AND account_id = ?", JobStore::view, id, accountId);
    }

    /** An account's jobs as clients see them, newest first, created strictly before {@code before} (when given). */
    public List<JobView> listViews(Tx tx, String accountId, Instant before, JobStatus status, Collection<String> types, int limit)
            throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + VIEW_COLUMNS + " FROM jobs WHERE account_id = ?");
        List<Object> args = new ArrayList<>(List.of(accountId));
        if (before != null) {
            sql.append(" AND created_at < ?");
            args.add(before.toEpochMilli());
        }
        if (status != null) {
            sql.append(" AND status = ?");
            args.add(status.wire);
        }
        if (types != null && !types.isEmpty()) {
            sql.append(" AND type IN (").append(types.stream().map(t -> "?").collect(Collectors.joining(", "))).append(")");
            args.addAll(types);
        }
        sql.append(" ORDER BY created_at DESC LIMIT ?");
        args.add(limit);
        return tx.list(sql.toString(), JobStore::view, args.toArray());
    }

    public Optional<Job> oldestBacklogged(Tx tx, String accountId) throws SQLException {
        return tx.one("SELECT " + COLUMNS + " FROM jobs WHERE account_id = ? AND status = 'backlogged' "
                + "ORDER BY created_at LIMIT 1", JobStore::job, accountId);
    }

    /** backlogged → queued, when an active slot of the account freed. */
    public boolean promote(Tx tx, String id, long now) throws SQLException {
        return move(tx, id, List.of(JobStatus.BACKLOGGED), null, JobStatus.QUEUED, now, "queued_at = ?", now);
    }

    /**
     * Claims a queued job for {@code owner}: status scheduled, attempt + 1, a lease until
     * {@code leaseUntil}. Which job: first any that has waited since {@code starvingBefore} or longer
     * (oldest first: no job waits much past that bound), then one whose LoRA set is {@code loraSet}
     * (the set the claiming server has merged; null: no preference), then the oldest. One statement,
     * so two workers can never claim the same job.
     */
    public Optional<Job> claimNext(Tx tx, String owner, long now, long leaseUntil, String loraSet, long starvingBefore)
            throws SQLException {
        return claim(tx, "CASE WHEN queued_at <= ? THEN 0 WHEN lora_set = ? THEN 1 ELSE 2 END, queued_at, created_at",
                owner, leaseUntil, now, starvingBefore, loraSet);
    }

    /** The oldest queued job first (in the order of the queued index). */
    public Optional<Job> claimNext(Tx tx, String owner, long now, long leaseUntil) throws SQLException {
        return claim(tx, "queued_at, created_at", owner, leaseUntil, now);
    }

    /** The claim itself: the first queued job in {@code order} (whose parameters follow) becomes scheduled under a new lease. */
    private static Optional<Job> claim(Tx tx, String order, String owner, long leaseUntil, long now, Object... orderArgs)
            throws SQLException {
        List<Object> args = new ArrayList<>(List.of(owner, leaseUntil, now, now));
        args.addAll(java.util.Arrays.asList(orderArgs));
        return tx.one("UPDATE jobs SET status = 'scheduled', attempt = attempt + 1, lease_owner = ?, lease_expires_at = ?, "
                        + "started_at = ?, progress_step = NULL, progress_steps = NULL, updated_at = ? "
                        + "WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY " + order + " LIMIT 1"
                        + tx.dialect().skipLocked() + ") AND status = 'queued' RETURNING " + COLUMNS,
                JobStore::job, args.toArray());
    }

    /**
     * A worker's progress under attempt {@code attempt}: a move to {@code status} (processing, sampling
     * or intermediate-complete) with its step and preview, applied only while that claim still stands
     * and the table allows the move from the job's current status. False when it does not.
     */
    public boolean progress(Tx tx, String id, int attempt, JobStatus status, Integer step, Integer steps,
                            String previewKey, long now) throws SQLException {
        return move(tx, id, JobStatus.CLAIMED, attempt, status, now, "progress_step = COALESCE(?, progress_step), "
                + "progress_steps = COALESCE(?, progress_steps), preview_key = COALESCE(?, preview_key)", step, steps, previewKey);
    }

    public int renewLease(Tx tx, String id, int attempt, String owner, long leaseUntil) throws SQLException {
        return tx.update("UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND attempt = ? AND lease_owner = ? "
                + "AND status IN (" + inList(JobStatus.CLAIMED) + ")", leaseUntil, id, attempt, owner);
    }

    /** Claimed jobs whose lease ran out before {@code now}. */
    public List<Job> expiredLeases(Tx tx, long now) throws SQLException {
        return tx.list("SELECT " + COLUMNS + " FROM jobs WHERE status IN (" + inList(JobStatus.CLAIMED) + ") "
                + "AND lease_expires_at < ?", JobStore::job, now);
    }

    public List<Job> heldBy(Tx tx, String ownerPrefix) throws SQLException {
        return tx.list("SELECT " + COLUMNS + " FROM jobs WHERE status IN (" + inList(JobStatus.CLAIMED) + ") "
                + "AND lease_owner LIKE ?", JobStore::job, ownerPrefix + "%");
    }

    /** Claimed jobs that started before {@code startedBefore}: they ran past the job timeout. */
    public List<Job> overdue(Tx tx, long startedBefore) throws SQLException {
        return tx.list("SELECT " + COLUMNS + " FROM jobs WHERE status IN (" + inList(JobStatus.CLAIMED) + ") "
                + "AND started_at < ?", JobStore::job, startedBefore);
    }

    /**
     * A claimed job whose worker is gone goes back to the queue, fenced by the attempt that was lost;
     * {@code free}: the attempt ended because the GPU server failed, so it does not count against the
     * job's limit.
     */
    public boolean requeue(Tx tx, String id, JobStatus from, int attempt, long now, boolean free) throws SQLException {
        if (!from.isClaimed()) return false; // only a claim can be lost: a backlogged job is promoted, not requeued
        return move(tx, id, List.of(from), attempt, JobStatus.QUEUED, now, "queued_at = ?, lease_owner = NULL, "
                + "lease_expires_at = NULL, started_at = NULL, progress_step = NULL, progress_steps = NULL, preview_key = NULL, "
                + "free_attempts = free_attempts + ?", now, free ? 1 : 0);
    }

    /**
     * Ends a job that is in {@code from} at attempt {@code attempt}: the terminal status with its
     * result or error, and no lease. False when the job is no longer in that status and attempt.
     */
    public boolean finish(Tx tx, String id, JobStatus from, int attempt, JobStatus status, String resultKey, Job.Result result,
                          JobError error, String errorMessage, long now) throws SQLException {
        if (!status.isTerminal()) throw new IllegalArgumentException(status.wire + " is not a terminal status");
        return move(tx, id, List.of(from), attempt, status, now, "completed_at = ?, result_key = ?, result_json = ?, error_code = ?, "
                        + "error_message = ?, lease_owner = NULL, lease_expires_at = NULL",
                now, resultKey, result == null ? null : toJson(result), error == null ? null : error.wire, errorMessage);
    }

    /**
     * The one status write: {@code UPDATE … SET status = to, <set> WHERE id = ? AND status IN (from,
     * less any status the table forbids to move to {@code to}) [AND attempt = ?]}. True when the row moved.
     */
    private static boolean move(Tx tx, String id, List<JobStatus> from, Integer attempt, JobStatus to, long now, String set,
                                Object... setArgs) throws SQLException {
        List<JobStatus> allowed = from.stream().filter(s -> s.canMoveTo(to)).toList();
        if (allowed.isEmpty()) return false;
        List<Object> args = new ArrayList<>();
        args.add(to.wire);
        args.addAll(java.util.Arrays.asList(setArgs));
        args.add(now);
        args.add(id);
        String sql = "UPDATE jobs SET status = ?, " + set + ", updated_at = ? WHERE id = ? AND status IN (" + inList(allowed) + ")";
        if (attempt != null) {
            sql += " AND attempt = ?";
            args.add(attempt);
        }
        return tx.update(sql, args.toArray()) == 1;
    }

    public void delete(Tx tx, String id) throws SQLException {
        tx.update("DELETE FROM jobs WHERE id = ?", id);
    }

    public Map<JobStatus, Long> countByStatus(Tx tx) throws SQLException {
        Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
        for (JobStatus s : JobStatus.values()) counts.put(s, 0L);
        for (Map.Entry<String, Long> row : tx.list("SELECT status, COUNT(*) FROM jobs GROUP BY status",
                r -> Map.entry(r.getString(1), r.getLong(2)))) {
            JobStatus.fromWire(row.getKey()).ifPresent(s -> counts.put(s, row.getValue()));
        }
        return counts;
    }

    private static String inList(List<JobStatus> statuses) {
        return statuses.stream().map(s -> "'" + s.wire + "'").collect(Collectors.joining(", "));
    }

    private static JobView view(ResultSet r) throws SQLException {
        String resultJson = r.getString(10);
        return new JobView(r.getString(1), r.getString(2),
                JobStatus.fromWire(r.getString(3)).orElseThrow(() -> new SQLException("unknown status in row")),
                Rows.instant(r, 4), Rows.instant(r, 5), Rows.integer(r, 6), Rows.integer(r, 7), r.getString(8), r.getString(9),
                resultJson == null ? null : fromJson(resultJson, Job.Result.class), errorCode(r.getString(11)), r.getString(12));
    }

    private static Job job(ResultSet r) throws SQLException {
        String resultJson = r.getString(21);
        return new Job(r.getString(1), r.getString(2), r.getString(3),
                JobStatus.fromWire(r.getString(4)).orElseThrow(() -> new SQLException("unknown status in row")),
                fromJson(r.getString(5), GenerateRequest.class), r.getLong(6), r.getString(7), r.getString(8),
                r.getString(9), Rows.instant(r, 10), Rows.instant(r, 11), Rows.instant(r, 12), r.getInt(13), r.getString(14),
                Rows.instant(r, 15), Rows.instant(r, 16), Rows.integer(r, 17), Rows.integer(r, 18), r.getString(19), r.getString(20),
                resultJson == null ? null : fromJson(resultJson, Job.Result.class), errorCode(r.getString(22)), r.getString(23),
                r.getString(24), r.getInt(25));
    }

    private static JobError errorCode(String wire) throws SQLException {
        if (wire == null) return null;
        return JobError.fromWire(wire).orElseThrow(() -> new SQLException("unknown error code in row: " + wire));
    }

    private static String toJson(Object o) throws SQLException {
        try {
            return Json.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new SQLException("cannot store " + o.getClass().getSimpleName(), e);
        }
    }

    private static <T> T fromJson(String s, Class<T> type) throws SQLException {
        try {
            return Json.MAPPER.readValue(s, type);
        } catch (JsonProcessingException e) {
            throw new SQLException("cannot read stored " + type.getSimpleName(), e);
        }
    }
}
