package dev.easel.engine;

/**
 * What turns a fully resolved request into a PNG. The rest of easel does not know which engine ran.
 * Implementations must be safe to call from several worker threads at once.
 */
public interface Engine extends AutoCloseable {
    /** A short name for logs, metrics and the PNG's metadata, e.g. {@code sketch}. */
    String name();

    /** True once the engine can render (weights loaded, servers reachable). */
    boolean ready();

    /** False while this engine cannot take a job (a GPU server out of the rotation): its worker waits. */
    default boolean available() {
        return ready();
    }

    /**
     * The key ({@link LoraSetKey}) of the LoRA set this engine has merged, so that its worker takes
     * the jobs that need no switch first; null when it makes no difference.
     */
    default String loraSet() {
        return null;
    }

    /**
     * Whether the model itself takes the reference images in (an IP-Adapter graph on ComfyUI); when
     * not, easel pulls the palette toward them afterwards and, with a describer, puts their style into words.
     */
    default boolean appliesReferences() {
        return false;
    }

    /**
     * Renders {@code spec}; reports each step (and optionally previews) through {@code progress},
     * which throws {@link RenderStopped} when the job must stop (cancelled, timed out, lease lost).
     */
    RenderedImage render(RenderSpec spec, Progress progress) throws InterruptedException;

    @Override
    default void close() {}
}
