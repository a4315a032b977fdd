package dev.easel.jobs;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-process notices that something changed, published after the change committed: per job (for
 * Server-Sent Events), "there is queued work" (to wake idle workers) and "a webhook is due" (to wake
 * the dispatcher). They only shorten waits; the database stays the truth, and every waiter also
 * re-reads it after a timeout.
 */
public final class JobEvents {
    private final ConcurrentHashMap<String, CompletableFuture<Void>> nextChange = new ConcurrentHashMap<>();
    /** A job was queued (or workers must look at their stop flag). */
    public final Signal queued = new Signal();
    /** A webhook delivery was written to the outbox, or made due again. */
    public final Signal webhooks = new Signal();

    /** Completes at the job's next change. Take it before reading the job, so that no change is missed. */
    public CompletableFuture<Void> nextChange(String jobId) {
        return nextChange.computeIfAbsent(jobId, id -> new CompletableFuture<>());
    }

    public void changed(String jobId) {
        CompletableFuture<Void> f = nextChange.remove(jobId);
        if (f != null) f.complete(null);
    }
}
