package dev.easel.jobs;

import java.time.Instant;

/**
 * What a client sees of a job, and all that {@link JobJson} renders: the API never shows a job's
 * request, so the reads behind {@code GET /jobs} and {@code GET /jobs/{id}} neither fetch nor parse it.
 */
public record JobView(
        String id,
        String type,
        JobStatus status,
        Instant createdAt,
        Instant completedAt,
        Integer progressStep,
        Integer progressSteps,
        String previewKey,
        String resultKey,
        Job.Result result,
        JobError errorCode,
        String errorMessage) {}
