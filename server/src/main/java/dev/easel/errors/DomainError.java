package dev.easel.errors;

import java.util.List;

/**
 * Every way a domain operation refuses a request. Services throw these; the HTTP layer's one error
 * mapper turns each kind into a status and a {@code {"error": message}} body. The kinds are a closed
 * set, so that mapper's switch is exhaustive.
 */
public abstract sealed class DomainError extends RuntimeException {
    private DomainError(String message) {
        super(message, null, false, false);
    }

    /** One or more problems with the input; all of them are reported together, joined by "; ". */
    public static final class Invalid extends DomainError {
        private final List<String> problems;

        public Invalid(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public Invalid(String problem) {
            this(List.of(problem));
        }

        public List<String> problems() {
            return problems;
        }
    }

    /** The thing does not exist, or is not the caller's to see. */
    public static final class NotFound extends DomainError {
        public NotFound(String message) {
            super(message);
        }
    }

    /** The request clashes with the current state (a key used for another body, a thing still in use). */
    public static final class Conflict extends DomainError {
        public Conflict(String message) {
            super(message);
        }
    }

    /** The account's available money is below the price. */
    public static final class PaymentRequired extends DomainError {
        public PaymentRequired(String message) {
            super(message);
        }
    }

    /** The input is larger than the limit for its kind. */
    public static final class TooLarge extends DomainError {
        public TooLarge(String message) {
            super(message);
        }
    }

    /** The account is at its limits; worth retrying after {@code retryAfterSeconds}. */
    public static final class TooBusy extends DomainError {
        private final long retryAfterSeconds;

        public TooBusy(String message, long retryAfterSeconds) {
            super(message);
            this.retryAfterSeconds = retryAfterSeconds;
        }

        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    /** A part the operation needs (the database, an engine) is down; worth retrying shortly. */
    public static final class Unavailable extends DomainError {
        public Unavailable(String message) {
            super(message);
        }
    }
}
