package dev.easel.engine;

/**
 * The server that renders, not the job, failed: it died, answered with an error of its own, or hung
 * past its deadline. The job goes back to the queue for another server, and the attempt is not
 * counted against it; the server leaves the rotation until a probe finds it well again.
 */
public final class ServerFailed extends RuntimeException {
    public ServerFailed(String message, Throwable cause) {
        super(message, cause);
    }
}
