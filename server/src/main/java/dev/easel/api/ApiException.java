package dev.easel.api;

/** Thrown anywhere below a route to answer with {@link ApiError}; mapped once, in {@link HttpApi}. */
public final class ApiException extends RuntimeException {
    private final ApiError error;

    public ApiException(ApiError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    public ApiError error() {
        return error;
    }

    public static ApiException badRequest(String problem) {
        return new ApiException(new ApiError.BadRequest(problem));
    }

    public static ApiException notFound(String message) {
        return new ApiException(new ApiError.NotFound(message));
    }
}
