package dev.easel.jobs;

import java.time.Instant;

/**
 * One row of the jobs table: the truth about a job. Workers hold it under a lease
 * ({@code leaseOwner} until {@code leaseExpiresAt}); every write of theirs is fenced by {@code attempt}.
 */
public record Job(
        String id,
        String accountId,
        String type,
        JobStatus status,
        GenerateRequest request,
        long priceMicros,
        String webhookUrl,
        String idempotencyKey,
        String requestHash,
        Instant createdAt,
        Instant queuedAt,
        Instant completedAt,
        int attempt,
        String leaseOwner,
        Instant leaseExpiresAt,
        Instant startedAt,
        Integer progressStep,
        Integer progressSteps,
        String previewKey,
        String resultKey,
        Result result,
        JobError errorCode,
        String errorMessage,
        String loraSet,
        int freeAttempts) {

    public static final String TYPE = "krea-2-medium";

    /** Attempts that count against the limit: those the job's own render used, not those a failing server ended. */
    public int countedAttempts() {
        return attempt - freeAttempts;
    }

    /** The job as clients see it. */
    public JobView view() {
        return new JobView(id, type, status, createdAt, completedAt, progressStep, progressSteps, previewKey, resultKey,
                result, errorCode, errorMessage);
    }

    /**
     * What a completed job produced, beside its image: the seed used, the prompt after expansion and
     * which expander wrote it (null for a job completed before easel recorded that).
     */
    public record Result(long seed, String prompt, int width, int height, dev.easel.expand.Expansion.Kind expansion) {}
}
