package dev.easel.jobs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Returns the jobs of workers that stopped renewing their lease (here or on another node) to the
 * queue, or fails them once their attempts are used up, and fails attempts that ran past the job
 * timeout. {@link WorkerPool} calls {@link #tick()} every second; tests call it under an injected clock.
 */
public final class Reaper {
    private static final Logger log = LoggerFactory.getLogger(Reaper.class);

    private final JobService jobs;

    public Reaper(JobService jobs) {
        this.jobs = jobs;
    }

    /** One pass; returns how many jobs it moved. Never throws: a database hiccup is logged and the next pass tries again. */
    public int tick() {
        try {
            return jobs.reap();
        } catch (RuntimeException e) {
            log.error("reaper error", e);
            return 0;
        }
    }
}
