package dev.easel.jobs;

import java.util.Arrays;
import java.util.Optional;

/** Why a job failed: {@code error.code} on the wire and in the database. */
public enum JobError {
    /** The attempt ran longer than the job timeout. */
    TIMEOUT("timeout"),
    /** The job's worker stopped renewing its lease on every attempt. */
    WORKER_LOST("worker_lost"),
    /** The engine raised an error. */
    ENGINE_ERROR("engine_error"),
    /** A style, image style reference or moodboard image could not be loaded. */
    REFERENCE_UNAVAILABLE("reference_unavailable"),
    /** The operator's content filter flagged the image; it was not stored. */
    CONTENT_FILTERED("content_filtered"),
    /** The content filter erred or did not answer in time: the job fails closed. */
    CONTENT_FILTER_UNAVAILABLE("content_filter_unavailable");

    public final String wire;

    JobError(String wire) {
        this.wire = wire;
    }

    private static final java.util.Map<String, JobError> BY_WIRE = Arrays.stream(values())
            .collect(java.util.stream.Collectors.toUnmodifiableMap(v -> v.wire, v -> v));

    public static Optional<JobError> fromWire(String s) {
        return s == null ? Optional.empty() : Optional.ofNullable(BY_WIRE.get(s)); // read for every row: a lookup, not a scan
    }
}
