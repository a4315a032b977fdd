package dev.easel.engine.gpu;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What easel knows about one inference server: whether it is in the rotation, the model it serves,
 * the LoRA set it has merged, and its counters. A server in the rotation is health-checked every 3 s;
 * one that fails a check or a request leaves the rotation and is probed again after a backoff (1 s
 * doubling to 30 s).
 */
public final class GpuServer {
    public enum State { UP, DOWN }

    private static final long FIRST_BACKOFF_NANOS = 1_000_000_000L, MAX_BACKOFF_NANOS = 30_000_000_000L;
    /** How often a server in the rotation is health-checked, busy or idle. */
    static final long HEALTH_INTERVAL_NANOS = 3_000_000_000L;

    final String url;
    final GpuDriver driver;
    final Recipe recipe;
    private volatile State state = State.DOWN;
    private volatile String model;
    private volatile String lastError = "not probed yet";
    private volatile long nextProbeNanos = System.nanoTime(); // due at once
    private long backoffNanos = FIRST_BACKOFF_NANOS;
    /**
     * The merged set (global-LoRA servers): its key, and the LoRAs; {@link #UNKNOWN} and null until a
     * set succeeds (a server met for the first time, or back from a failure, may hold any). Touched
     * only by this server's lane.
     */
    volatile String loraSetKey = UNKNOWN;
    volatile List<GpuDriver.ActiveLora> active = null;
    /** No job's key: a server whose merged set is not known takes the oldest job, and sets its LoRAs afresh. */
    static final String UNKNOWN = "(unknown)"; // no job's key: those are empty or begin with a style id or a slider name
    /** Estimated from the server's own timings; Turbo at 1024² on an H200 is about 0.2 s a step. */
    volatile double secondsPerStep = 0.2;
    final AtomicLong renders = new AtomicLong(), failures = new AtomicLong(), loraSwitches = new AtomicLong(),
            renderNanos = new AtomicLong();

    GpuServer(String url, GpuDriver driver, Recipe recipe) {
        this.url = url;
        this.driver = driver;
        this.recipe = recipe;
    }

    public String url() {
        return url;
    }

    public State state() {
        return state;
    }

    public String model() {
        return model;
    }

    public String lastError() {
        return lastError;
    }

    /** The merged set's key; null while it is not known. */
    public String loraSet() {
        return UNKNOWN.equals(loraSetKey) ? null : loraSetKey;
    }

    public Recipe recipe() {
        return recipe;
    }

    public long renders() {
        return renders.get();
    }

    public long failures() {
        return failures.get();
    }

    public long loraSwitches() {
        return loraSwitches.get();
    }

    public double renderSeconds() {
        return renderNanos.get() / 1e9;
    }

    /** Out of the rotation and past its backoff, or in it and due for its health check. */
    synchronized boolean probeDue(long now) {
        return now - nextProbeNanos >= 0;
    }

    synchronized void up(String model, long now) {
        this.model = model;
        this.state = State.UP;
        this.lastError = null;
        backoffNanos = FIRST_BACKOFF_NANOS;
        nextProbeNanos = now + HEALTH_INTERVAL_NANOS;
    }

    /**
     * Out of the rotation until the next probe. Its merged LoRA set is forgotten: a server that
     * restarted has none, and the next job sets its own.
     */
    synchronized void down(String why, long now) {
        if (state == State.UP) failures.incrementAndGet();
        state = State.DOWN;
        lastError = why;
        nextProbeNanos = now + backoffNanos;
        backoffNanos = Math.min(MAX_BACKOFF_NANOS, backoffNanos * 2);
        loraSetKey = UNKNOWN;
        active = null;
    }

    void rendered(long nanos, int steps, double inferenceSeconds) {
        renders.incrementAndGet();
        renderNanos.addAndGet(nanos);
        double seconds = inferenceSeconds > 0 ? inferenceSeconds : nanos / 1e9;
        secondsPerStep = 0.7 * secondsPerStep + 0.3 * (seconds / Math.max(1, steps)); // a moving average of the server's pace
    }
}
