package dev.easel.http;

import java.util.Map;

/**
 * What only HTTP knows to refuse: a missing or bad bearer token, a method a path does not take, a
 * request the server cannot read. Domain refusals are {@link dev.easel.errors.DomainError}s; both
 * reach the one mapper, {@link ErrorMapper}.
 */
public final class HttpError extends RuntimeException {
    private final int status;
    private final Map<String, String> headers;

    public HttpError(int status, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = Map.copyOf(headers);
    }

    public static HttpError unauthorized(String message) {
        return new HttpError(401, message, Map.of("WWW-Authenticate", "Bearer"));
    }

    public int status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
