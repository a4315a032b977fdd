package dev.easel.jobs;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeat: renews the lease of every job this process's workers are rendering, so that the
 * reaper (here or on another node) never takes a job from a live worker. {@link WorkerPool} calls
 * {@link #tick()} every third of a lease; tests call it under an injected clock.
 */
public final class LeaseKeeper {
    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

    private final JobService jobs;
    private final Map<String, Job> held = new ConcurrentHashMap<>();

    public LeaseKeeper(JobService jobs) {
        this.jobs = jobs;
    }

    /** From the claim until the worker is done with the job. */
    public void hold(Job claimed) {
        held.put(claimed.id(), claimed);
    }

    public void release(Job claimed) {
        held.remove(claimed.id());
    }

    /** One beat: renews each held lease; returns how many were renewed. Never throws. */
    public int tick() {
        int renewed = 0;
        for (Job job : held.values()) {
            try {
                if (jobs.renewLease(job)) renewed++;
                else log.info("lease not renewed (job ended or moved) job_id={}", job.id());
            } catch (RuntimeException e) {
                log.error("heartbeat error job_id={}", job.id(), e);
            }
        }
        return renewed;
    }
}
