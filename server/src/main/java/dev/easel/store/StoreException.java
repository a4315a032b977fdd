package dev.easel.store;

/** The database failed; answered as a 503 so that clients retry. */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
