package dev.easel.jobs;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The lifecycle of a job. A job moves only forward along this list; {@code backlogged} may be
 * skipped, and the three terminal states end it. The one way back is a lost lease: a job whose
 * worker stopped renewing its lease returns to {@code queued} for another attempt (at most 3).
 *
 * <pre>
 *   submit ──► backlogged ──(an active slot of the account frees)──┐
 *      │                                                           ▼
 *      └──────────────────────────────────────────────────────► queued ◄───────────────┐
 *                                                                 │ claimed by a worker│ lease lost
 *                                                                 ▼                    │ (attempt &lt; 3)
 *                                      scheduled ─► processing ─► sampling ─► intermediate-complete
 *                                                                 │                    │
 *                                                                 ▼                    ▼
 *                                                    completed  |  failed  |  cancelled
 * </pre>
 *
 * Every state before the terminal ones may go straight to {@code cancelled} (DELETE /jobs/{id});
 * a claimed state may go to {@code failed} (timeout, attempts exhausted, engine error), and only a
 * state in which the engine has started may go to {@code completed}. {@link #canMoveTo} is the whole
 * table; every status write in the store is a conditional update on {@link #sourcesOf} its target,
 * so a move that the table forbids, or that another writer already made, changes no row.
 * "Active" states count against the account's {@code max_concurrent_jobs}; {@code backlogged}
 * counts against {@code max_backlog}. The price is reserved while a job is not terminal.
 */
public enum JobStatus {
    BACKLOGGED("backlogged"),
    QUEUED("queued"),
    SCHEDULED("scheduled"),
    PROCESSING("processing"),
    SAMPLING("sampling"),
    INTERMEDIATE_COMPLETE("intermediate-complete"),
    COMPLETED("completed"),
    FAILED("failed"),
    CANCELLED("cancelled");

    /** The name on the wire and in the database. */
    public final String wire;

    JobStatus(String wire) {
        this.wire = wire;
    }

    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    /** Counts against max_concurrent_jobs: queued through intermediate-complete. */
    public boolean isActive() {
        return !isTerminal() && this != BACKLOGGED;
    }

    /** Held by a worker under a lease. */
    public boolean isClaimed() {
        return isActive() && this != QUEUED;
    }

    public static final List<JobStatus> ACTIVE = Arrays.stream(values()).filter(JobStatus::isActive).toList();
    public static final List<JobStatus> CLAIMED = Arrays.stream(values()).filter(JobStatus::isClaimed).toList();
    public static final List<JobStatus> PENDING = Arrays.stream(values()).filter(s -> !s.isTerminal()).toList();

    private static final Map<JobStatus, Set<JobStatus>> NEXT = new EnumMap<>(JobStatus.class);

    static {
        NEXT.put(BACKLOGGED, EnumSet.of(QUEUED, CANCELLED));
        NEXT.put(QUEUED, EnumSet.of(SCHEDULED, CANCELLED));
        NEXT.put(SCHEDULED, EnumSet.of(PROCESSING, QUEUED, FAILED, CANCELLED));
        NEXT.put(PROCESSING, EnumSet.of(SAMPLING, INTERMEDIATE_COMPLETE, QUEUED, COMPLETED, FAILED, CANCELLED));
        // a step of progress is a move to the same status
        NEXT.put(SAMPLING, EnumSet.of(SAMPLING, INTERMEDIATE_COMPLETE, QUEUED, COMPLETED, FAILED, CANCELLED));
        NEXT.put(INTERMEDIATE_COMPLETE, EnumSet.of(INTERMEDIATE_COMPLETE, QUEUED, COMPLETED, FAILED, CANCELLED));
        NEXT.put(COMPLETED, EnumSet.noneOf(JobStatus.class));
        NEXT.put(FAILED, EnumSet.noneOf(JobStatus.class));
        NEXT.put(CANCELLED, EnumSet.noneOf(JobStatus.class));
    }

    /** The statuses a new job starts in. */
    public static final Set<JobStatus> INITIAL = EnumSet.of(BACKLOGGED, QUEUED);

    /** Whether the lifecycle allows a job in this status to move to {@code next}. */
    public boolean canMoveTo(JobStatus next) {
        return NEXT.get(this).contains(next);
    }

    /** Every status from which a job may move to {@code target}: the WHERE of a conditional update. */
    public static List<JobStatus> sourcesOf(JobStatus target) {
        return Arrays.stream(values()).filter(s -> s.canMoveTo(target)).toList();
    }

    private static final java.util.Map<String, JobStatus> BY_WIRE = Arrays.stream(values())
            .collect(java.util.stream.Collectors.toUnmodifiableMap(v -> v.wire, v -> v));

    public static Optional<JobStatus> fromWire(String s) {
        return s == null ? Optional.empty() : Optional.ofNullable(BY_WIRE.get(s)); // read for every row: a lookup, not a scan
    }
}
