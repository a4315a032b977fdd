package dev.easel.http;

import dev.easel.errors.DomainError;
import dev.easel.blobs.BlobStore;
import dev.easel.store.StoreException;
import io.javalin.http.HttpResponseException;
import java.util.Map;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.EofException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The one mapping from what went wrong to what the client gets: a status, headers, and always the
 * body {@code {"error": message}}. Input problems of every kind (the domain's, HTTP's, a body Jetty
 * could not read) are 4xx; a 500 is left only for our own bugs, and is logged.
 */
public final class ErrorMapper {
    private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

    /** What the client gets. */
    public record Reply(int status, String message, Map<String, String> headers) {
        Reply(int status, String message) {
            this(status, message, Map.of());
        }
    }

    private ErrorMapper() {}

    public static Reply of(Throwable t) {
        if (t instanceof DomainError e) {
            return switch (e) {
                case DomainError.Invalid x -> new Reply(400, x.getMessage());
                case DomainError.NotFound x -> new Reply(404, x.getMessage());
                case DomainError.Conflict x -> new Reply(409, x.getMessage());
                case DomainError.PaymentRequired x -> new Reply(402, x.getMessage());
                case DomainError.TooLarge x -> new Reply(413, x.getMessage());
                case DomainError.TooBusy x -> new Reply(429, x.getMessage(), Map.of("Retry-After", Long.toString(x.retryAfterSeconds())));
                case DomainError.Unavailable x -> new Reply(503, x.getMessage(), Map.of("Retry-After", "2"));
            };
        }
        if (t instanceof HttpError e) return new Reply(e.status(), e.getMessage(), e.headers());
        if (t instanceof StoreException e) {
            log.error("store failure", e);
            return new Reply(503, "the database is unavailable; retry shortly", Map.of("Retry-After", "2"));
        }
        if (t instanceof BlobStore.Unavailable e) {
            log.error("blob store failure", e);
            return new Reply(503, "file storage is unavailable; retry shortly", Map.of("Retry-After", "2"));
        }
        if (t instanceof HttpResponseException e) return new Reply(e.getStatus(), e.getMessage());
        // a request Jetty could not read (bad chunked framing, a broken multipart body, a body cut short)
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof HttpException h && h.getCode() >= 400 && h.getCode() < 500) {
                return new Reply(h.getCode(), "the request could not be read: " + (h.getReason() == null ? "malformed" : h.getReason()));
            }
            if (c instanceof EofException) return new Reply(400, "the request body ended before it was complete");
        }
        log.error("unhandled error", t);
        return new Reply(500, "internal error (request id " + MDC.get("request_id") + ")");
    }
}
