package dev.easel.jobs;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

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
 * Every state before the terminal ones may go straight to {@code failed} (timeout, attempts
 * exhausted, engine error) or {@code cancelled} (DELETE /jobs/{id}).
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

    public static Optional<JobStatus> fromWire(String s) {
        return Arrays.stream(values()).filter(v -> v.wire.equals(s)).findFirst();
    }
}
