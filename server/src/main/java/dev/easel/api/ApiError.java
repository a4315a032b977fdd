package dev.easel.api;

import java.util.List;

/**
 * Every error the API answers with. {@link #status()} is the one mapping from error to HTTP status;
 * the body is always {@code {"error": message()}}.
 */
public sealed interface ApiError {
    String message();

    default int status() {
        return switch (this) {
            case BadRequest e -> 400;
            case Unauthorized e -> 401;
            case PaymentRequired e -> 402;
            case NotFound e -> 404;
            case Conflict e -> 409;
            case PayloadTooLarge e -> 413;
            case TooManyRequests e -> 429;
            case Unavailable e -> 503;
        };
    }

    /** One or more problems with the request; all of them are reported together, joined by "; ". */
    record BadRequest(List<String> problems) implements ApiError {
        public BadRequest(String problem) {
            this(List.of(problem));
        }

        public String message() {
            return String.join("; ", problems);
        }
    }

    record Unauthorized(String message) implements ApiError {}

    record PaymentRequired(String message) implements ApiError {}

    record NotFound(String message) implements ApiError {}

    record Conflict(String message) implements ApiError {}

    record PayloadTooLarge(String message) implements ApiError {}

    record TooManyRequests(String message, long retryAfterSeconds) implements ApiError {}

    record Unavailable(String message) implements ApiError {}
}
