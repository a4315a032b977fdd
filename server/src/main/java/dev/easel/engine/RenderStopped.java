package dev.easel.engine;

/** The job this render belongs to no longer wants it: it was cancelled, timed out or lost its lease. */
public final class RenderStopped extends RuntimeException {
    private final String reason;

    public RenderStopped(String reason) {
        super(reason, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
