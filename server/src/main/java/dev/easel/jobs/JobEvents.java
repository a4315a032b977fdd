package dev.easel.jobs;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * In-process notices that something changed, published after the change committed: per job (for
 * Server-Sent Events) and "there is queued work" (to wake idle workers). They only shorten waits;
 * the database stays the truth, and every waiter also re-reads it after a timeout.
 */
public final class JobEvents {
    private final ConcurrentHashMap<String, CompletableFuture<Void>> nextChange = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queuedCondition = lock.newCondition();
    private long queuedGeneration;

    /** Completes at the job's next change. Take it before reading the job, so that no change is missed. */
    public CompletableFuture<Void> nextChange(String jobId) {
        return nextChange.computeIfAbsent(jobId, id -> new CompletableFuture<>());
    }

    public void changed(String jobId) {
        CompletableFuture<Void> f = nextChange.remove(jobId);
        if (f != null) f.complete(null);
    }

    public void queued() {
        lock.lock();
        try {
            queuedGeneration++;
            queuedCondition.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public long queuedGeneration() {
        lock.lock();
        try {
            return queuedGeneration;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until work was queued after {@code generation} was read, or the timeout passes. */
    public void awaitQueued(long generation, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (queuedGeneration == generation) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return;
                queuedCondition.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }
}
