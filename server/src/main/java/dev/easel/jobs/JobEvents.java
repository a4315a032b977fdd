package dev.easel.jobs;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Notices that something changed, published after the change committed: per job (for Server-Sent
 * Events), "there is queued work" (to wake idle workers) and "a webhook is due" (to wake the
 * dispatcher). They only shorten waits; the database stays the truth, and every waiter also re-reads
 * it after a timeout. With several nodes on one database (PostgreSQL), each notice also goes to the
 * other nodes ({@link #connect}) and theirs come in through {@link #receive}.
 */
public final class JobEvents {
    private final ConcurrentHashMap<String, CompletableFuture<Void>> nextChange = new ConcurrentHashMap<>();
    /** A job was queued (or workers must look at their stop flag). */
    public final Signal queued = new Signal();
    /** A webhook delivery was written to the outbox, or made due again. */
    public final Signal webhooks = new Signal();
    private volatile Consumer<List<String>> outbound;

    /** Completes at the job's next change. Take it before reading the job, so that no change is missed. */
    public CompletableFuture<Void> nextChange(String jobId) {
        return nextChange.computeIfAbsent(jobId, id -> new CompletableFuture<>());
    }

    /** Announces committed changes here and, when connected, to the other nodes. */
    public void publish(Collection<String> jobIds, boolean queuedWork, boolean webhookDue) {
        jobIds.forEach(this::changed);
        if (queuedWork) queued.signal();
        if (webhookDue) webhooks.signal();
        Consumer<List<String>> out = outbound;
        if (out == null) return;
        List<String> messages = new ArrayList<>();
        for (String id : jobIds) messages.add("job:" + id);
        if (queuedWork) messages.add("queued");
        if (webhookDue) messages.add("webhook");
        if (!messages.isEmpty()) out.accept(messages);
    }

    /** Sends every notice of this node to the others too (one database, several nodes). */
    public void connect(Consumer<List<String>> outbound) {
        this.outbound = outbound;
    }

    /** A notice from another node (or this one's own, echoed back: a spare wake-up is harmless). */
    public void receive(String message) {
        if (message.equals("queued")) queued.signal();
        else if (message.equals("webhook")) webhooks.signal();
        else if (message.startsWith("job:")) changed(message.substring(4));
        else if (message.equals("resync")) { // notices may have been lost: every waiter looks again
            queued.signal();
            webhooks.signal();
            nextChange.keySet().forEach(this::changed);
        }
    }

    void changed(String jobId) {
        CompletableFuture<Void> f = nextChange.remove(jobId);
        if (f != null) f.complete(null);
    }
}
