package dev.easel.engine;

/** The engine's line back to the job: steps, previews, and the order to stop. */
public interface Progress {
    /** Step {@code step} (1-based) of {@code steps} is done. Throws {@link RenderStopped} to stop the render. */
    void step(int step, int steps);

    /** A preview PNG of the work so far. Throws {@link RenderStopped} to stop the render. */
    void preview(byte[] png);

    /**
     * Throws {@link RenderStopped} when the render should stop (its job was cancelled, ran out of time
     * or lost its claim); cheap unless the job changed, so an engine that waits may call it often.
     */
    default void check() {}

    /** For tests and tools that render outside a job. */
    Progress NONE = new Progress() {
        public void step(int step, int steps) {}

        public void preview(byte[] png) {}
    };
}
