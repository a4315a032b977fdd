package dev.easel.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs calls that arrive together as one batch, on the callers' own threads (no thread of its own):
 * the first caller runs its call as a batch of one; calls that arrive while a batch runs wait, and
 * when it ends the first of them runs all that waited as the next batch, and so on. Under load a
 * batch holds what arrived during the previous one, so one transaction (one COMMIT, one lock of an
 * account's row) serves many requests; with one caller nothing waits.
 *
 * <p>Each call gets its own outcome. A batch function that throws fails every call of that batch with
 * the same error; what to retry alone is the batch function's decision.
 */
public final class Batcher<I, O> {
    /** A call's result: its value, or the error its caller gets. */
    public sealed interface Outcome<O> {
        record Done<O>(O value) implements Outcome<O> {}

        record Failed<O>(RuntimeException error) implements Outcome<O> {}
    }

    /** Runs a batch: one outcome per item, in the items' order. */
    @FunctionalInterface
    public interface Run<I, O> {
        List<Outcome<O>> run(List<I> items);
    }

    private static final Object LEAD = new Object();

    private final int maxBatch;
    private final Run<I, O> run;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Call<I>> waiting = new ArrayList<>(); // under lock, in arrival order
    private boolean running; // under lock: a caller is running a batch

    /** @param maxBatch the most calls in one batch (bounds one transaction's size and the first caller's wait) */
    public Batcher(int maxBatch, Run<I, O> run) {
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be at least 1");
        this.maxBatch = maxBatch;
        this.run = run;
    }

    /** A waiting call: told either its outcome or that it is to run the next batch. */
    private static final class Call<I> {
        final I item;
        final CompletableFuture<Object> told = new CompletableFuture<>();

        Call(I item) {
            this.item = item;
        }
    }

    /** How many calls wait for a batch now, and whether one runs (a test waits on them to know a batch has formed). */
    public record State(int waiting, boolean running) {}

    public State state() {
        lock.lock();
        try {
            return new State(waiting.size(), running);
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code item} in a batch and returns its value, or throws its error. */
    @SuppressWarnings("unchecked")
    public O call(I item) {
        Call<I> call = new Call<>(item);
        lock.lock();
        try {
            waiting.add(call);
            if (!running) {
                running = true;
                call.told.complete(LEAD);
            }
        } finally {
            lock.unlock();
        }
        Object told;
        try {
            told = call.told.join(); // not interruptible: once queued, the call may run, and its caller must know
        } catch (CompletionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (told == LEAD) told = lead(call);
        return switch ((Outcome<O>) told) {
            case Outcome.Done<O> d -> d.value();
            case Outcome.Failed<O> f -> throw f.error();
        };
    }

    /** Runs the calls waiting now (this one first among them), tells each its outcome, and hands the lead on. */
    private Outcome<O> lead(Call<I> leader) {
        List<Call<I>> batch;
        lock.lock();
        try {
            List<Call<I>> taken = waiting.subList(0, Math.min(maxBatch, waiting.size()));
            batch = new ArrayList<>(taken);
            taken.clear();
        } finally {
            lock.unlock();
        }
        Outcome<O> mine = null;
        try {
            List<Outcome<O>> outcomes = outcomes(batch);
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i) == leader) mine = outcomes.get(i);
                else batch.get(i).told.complete(outcomes.get(i));
            }
        } finally {
            // an Error in the batch: nobody of it waits forever (complete does nothing to a call already told)
            for (Call<I> c : batch) {
                if (c != leader) c.told.complete(new Outcome.Failed<O>(new IllegalStateException("the batch this call was in stopped")));
            }
            lock.lock();
            try {
                if (waiting.isEmpty()) running = false;
                else waiting.get(0).told.complete(LEAD);
            } finally {
                lock.unlock();
            }
        }
        return mine;
    }

    private List<Outcome<O>> outcomes(List<Call<I>> batch) {
        List<I> items = new ArrayList<>(batch.size());
        for (Call<I> c : batch) items.add(c.item);
        List<Outcome<O>> outcomes;
        try {
            outcomes = run.run(items);
        } catch (RuntimeException e) {
            outcomes = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) outcomes.add(new Outcome.Failed<>(e));
        }
        if (outcomes.size() == batch.size()) return outcomes;
        IllegalStateException wrong = new IllegalStateException("a batch of " + batch.size() + " gave " + outcomes.size() + " outcomes");
        outcomes = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) outcomes.add(new Outcome.Failed<>(wrong));
        return outcomes;
    }
}
