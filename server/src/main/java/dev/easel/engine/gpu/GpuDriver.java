package dev.easel.engine.gpu;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * One inference server, spoken to in its own protocol. Implementations are thin: the pool owns the
 * state (health, the merged LoRA set, timings) and the rules; a driver translates calls and errors.
 * A call that fails because of the server throws {@link ServerError}; one the server refuses
 * because of the request (a validation error) throws {@link Refused}.
 */
public interface GpuDriver {
    /** The kind of server, for logs, metrics and the PNG's text: {@code sglang}. */
    String kind();

    Capabilities capabilities();

    /** Whether the server is up, and the model it serves. */
    String probe(Duration timeout) throws IOException, InterruptedException;

    /**
     * Makes {@code wanted} the server's global LoRA set (empty: none), replacing {@code current} (null:
     * not known, so whatever the server holds is cleared first). For servers whose LoRAs are global.
     */
    void setLoras(List<ActiveLora> current, List<ActiveLora> wanted, Duration timeout) throws IOException, InterruptedException;

    /**
     * Renders one image and returns it, or fails. A server that declares {@link Capabilities#progress()}
     * or {@link Capabilities#previews()} reports them to {@code events} while it renders.
     */
    Output generate(Request request, Duration timeout, Events events) throws IOException, InterruptedException;

    /**
     * Stops the request with {@code requestId} if it still runs (servers that declare
     * {@link Capabilities#cancel()}; others never get this call). Idempotent.
     */
    default void cancel(String requestId, Duration timeout) throws IOException, InterruptedException {
        throw new UnsupportedOperationException(kind() + " cannot cancel a request");
    }

    /** What a server with progress or previews reports while it renders. */
    interface Events {
        void step(int step, int steps);

        void preview(byte[] image);

        Events NONE = new Events() {
            public void step(int step, int steps) {}

            public void preview(byte[] image) {}
        };
    }

    /** A LoRA as the server loads it: a file on the GPU host. */
    record ActiveLora(String nickname, String path, double strength) {}

    /**
     * One image to render, in the server's terms: the recipe already applied. {@code id} names the
     * request (a client-chosen id, for servers whose submit is idempotent or that can cancel);
     * {@code loras} are the image's, for servers that take them with each request (else empty: they
     * were set before with {@link #setLoras}); {@code reference} is the first reference image, for
     * servers that {@link #appliesReferences}.
     */
    record Request(String id, String prompt, int width, int height, long seed, int steps, double guidanceScale, List<ActiveLora> loras,
                   Reference reference) {}

    /** The image a server that applies references itself gets (a PNG), with its strength 0..1; null: the job has none. */
    record Reference(byte[] png, double strength) {}

    /**
     * Whether the server applies the job's image references itself (a graph with a reference adapter);
     * otherwise easel moves the finished image's colours toward them.
     */
    default boolean appliesReferences() {
        return false;
    }

    /** The PNG, and the seconds the server says it spent (0 when it does not say). */
    record Output(byte[] png, double inferenceSeconds) {}

    /** The server failed (down, 5xx, an answer that is not what its protocol says, no answer in time). */
    final class ServerError extends IOException {
        public ServerError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The server refused the request itself (it says why); another server would refuse it too. */
    final class Refused extends IOException {
        public Refused(String message) {
            super(message);
        }
    }
}
