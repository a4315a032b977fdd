package dev.easel.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP client for URLs that users chose (webhooks and image references). Every connection goes
 * to an address that {@link AddressGuard} resolved and checked (Jetty's resolver hook), while the
 * Host header, TLS SNI and certificate checks use the URL's host name. Jetty follows no redirect:
 * {@link #getImage} follows a few itself, each hop a new request that the guard checks again. No
 * cookie is kept, each request has one overall time limit, and response bodies are size-limited.
 */
public final class SafeHttpClient implements AutoCloseable {
    /** Response bytes of a webhook read at most; the rest is cut off (the body is never used). */
    static final int MAX_BODY_BYTES = 64 * 1024;
    /** Redirects {@link #getImage} follows at most. */
    static final int MAX_REDIRECTS = 5;

    /** What a POST got. */
    public sealed interface Outcome {
        /** A response with this status (its body dropped); {@code retryAfter} from its header, or null. */
        record Answered(int status, Duration retryAfter) implements Outcome {}

        /** No response: why, and whether trying again could help ({@code false} for a refused address). */
        record NoAnswer(String error, boolean retryable) implements Outcome {}
    }

    /** What a GET for an image got. */
    public sealed interface Fetched {
        /** The body of a 200 whose declared type may be an image; {@code contentType} may be null. */
        record Body(byte[] bytes, String contentType) implements Fetched {}

        /** Nothing usable; {@code reason} says why in words a user can act on. */
        record Failed(String reason) implements Fetched {}
    }

    /** One request's result: the status (null when no response came), headers, the body kept, and why it ended early. */
    private record Exchange(Integer status, HttpFields headers, byte[] body, boolean overLimit, Throwable failure) {}

    private final HttpClient client;
    private final Clock clock;

    public SafeHttpClient(AddressGuard guard, String userAgent, Clock clock) {
        this.clock = clock;
        QueuedThreadPool threads = new QueuedThreadPool(64, 2);
        threads.setName("easel-http-out");
        threads.setDaemon(true);
        client = new HttpClient();
        client.setExecutor(threads);
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setUserAgentField(new HttpField(HttpHeader.USER_AGENT, userAgent));
        client.setSocketAddressResolver((host, port, context, promise) -> {
            try {
                promise.succeeded(guard.resolve(host).stream().map(a -> new InetSocketAddress(a, port)).toList());
            } catch (IOException | RuntimeException e) {
                promise.failed(e);
            }
        });
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the outgoing HTTP client", e);
        }
    }

    /** POSTs {@code body} as JSON with {@code headers}, all within {@code timeout}. Never throws for network trouble. */
    public Outcome postJson(URI uri, Map<String, String> headers, byte[] body, Duration timeout) {
        Request request = client.newRequest(uri)
                .method(HttpMethod.POST)
                .body(new BytesRequestContent("application/json", body));
        request.headers(h -> headers.forEach(h::put));
        Exchange ex;
        try {
            ex = exchange(request, timeout, MAX_BODY_BYTES, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.NoAnswer("interrupted: easel is stopping", true);
        }
        // the status decides once it arrived, even if the body then failed or was cut off
        if (ex.status() != null) return new Outcome.Answered(ex.status(), retryAfter(ex.headers().get(HttpHeader.RETRY_AFTER)));
        return noAnswer(ex.failure(), timeout);
    }

    /**
     * GETs an image of at most {@code maxBytes}, following up to {@link #MAX_REDIRECTS} redirects
     * (http and https only, each target checked by the guard), all within {@code timeout}. A 200 whose
     * declared type is an image, {@code application/octet-stream} or absent is a {@link Fetched.Body};
     * the caller still checks what the bytes are. Never throws for network trouble.
     *
     * @throws InterruptedException when easel is stopping
     */
    public Fetched getImage(URI uri, long maxBytes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        URI at = uri;
        for (int hop = 0; ; hop++) {
            String scheme = at.getScheme() == null ? "" : at.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || at.getHost() == null) {
                return new Fetched.Failed(hop == 0 ? "the URL is not an absolute http(s) URL"
                        : "it redirects to " + scheme + ":, which is not http(s)");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) return new Fetched.Failed(timedOut(timeout));
            Request request = client.newRequest(at).method(HttpMethod.GET)
                    .headers(h -> h.put(HttpHeader.ACCEPT, "image/png, image/jpeg, image/webp"));
            Exchange ex = exchange(request, Duration.ofNanos(left), maxBytes, true);
            if (ex.overLimit()) return new Fetched.Failed("the image is larger than " + megabytes(maxBytes));
            if (ex.status() == null) return new Fetched.Failed(noAnswer(ex.failure(), timeout).error());
            int status = ex.status();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                String location = ex.headers().get(HttpHeader.LOCATION);
                if (location == null) return new Fetched.Failed("it answered " + status + " without a Location");
                if (hop == MAX_REDIRECTS) return new Fetched.Failed("more than " + MAX_REDIRECTS + " redirects");
                try {
                    at = at.resolve(location.strip());
                } catch (IllegalArgumentException e) {
                    return new Fetched.Failed("it redirects to an invalid URL");
                }
                continue;
            }
            if (status != 200) return new Fetched.Failed("it answered HTTP " + status);
            if (ex.failure() != null) return new Fetched.Failed(noAnswer(ex.failure(), timeout).error());
            String type = ex.headers().get(HttpHeader.CONTENT_TYPE);
            String media = type == null ? null : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
            if (media != null && !media.startsWith("image/") && !media.equals("application/octet-stream")) {
                return new Fetched.Failed("its content type is " + media + ", not an image");
            }
            return new Fetched.Body(ex.body(), media);
        }
    }

    /**
     * Sends {@code request} and waits for it all within {@code timeout}, reading at most {@code maxBody}
     * response bytes (kept when {@code keepBody}, else dropped); a longer body aborts the exchange.
     */
    private Exchange exchange(Request request, Duration timeout, long maxBody, boolean keepBody) throws InterruptedException {
        request.timeout(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        request.send(new Response.Listener() {
            private final ByteArrayOutputStream body = new ByteArrayOutputStream();
            private Integer status;
            private HttpFields headers;
            private long read;
            private boolean overLimit;

            @Override
            public void onHeaders(Response response) {
                status = response.getStatus();
                headers = response.getHeaders();
                long declared = headers.getLongField(HttpHeader.CONTENT_LENGTH);
                if (declared > maxBody) cutOff(response);
            }

            @Override
            public void onContent(Response response, ByteBuffer content) {
                read += content.remaining();
                if (read > maxBody) {
                    cutOff(response);
                    return;
                }
                if (keepBody) {
                    byte[] chunk = new byte[content.remaining()];
                    content.get(chunk);
                    body.write(chunk, 0, chunk.length);
                }
                content.position(content.limit());
            }

            private void cutOff(Response response) {
                overLimit = true;
                response.abort(new IOException("response body over " + maxBody + " bytes, cut off"));
            }

            @Override
            public void onComplete(Result result) {
                done.complete(new Exchange(status, headers, keepBody && !overLimit ? body.toByteArray() : null, overLimit,
                        result.getFailure()));
            }
        });
        try {
            // Jetty enforces the timeout; this bound only guards against a listener that never completes
            return done.get(timeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            request.abort(e);
            throw e;
        } catch (ExecutionException | TimeoutException e) {
            request.abort(e);
            return new Exchange(null, null, null, false, new TimeoutException());
        }
    }

    private static String megabytes(long bytes) {
        return bytes % 1_000_000 == 0 ? bytes / 1_000_000 + " MB" : bytes + " bytes";
    }

    private static Outcome.NoAnswer noAnswer(Throwable failure, Duration timeout) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            switch (t) {
                case AddressGuard.Refused r -> {
                    return new Outcome.NoAnswer("refused: " + r.getMessage(), false);
                }
                case TimeoutException x -> {
                    return new Outcome.NoAnswer(timedOut(timeout), true);
                }
                case UnknownHostException u -> {
                    return new Outcome.NoAnswer("unknown host: " + u.getMessage(), true);
                }
                case ConnectException c -> {
                    return new Outcome.NoAnswer("connection failed: " + c.getMessage(), true);
                }
                case SSLException s -> {
                    return new Outcome.NoAnswer("TLS failed: " + s.getMessage(), true);
                }
                default -> {
                }
            }
        }
        return new Outcome.NoAnswer(failure == null ? "no response" : "connection failed: " + failure, true);
    }

    private static String timedOut(Duration timeout) {
        long ms = timeout.toMillis();
        return "timeout: no response within " + (ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms");
    }

    /** {@code Retry-After} as delta-seconds or an HTTP date; null when absent or unreadable. */
    Duration retryAfter(String value) {
        if (value == null || value.isBlank()) return null;
        String v = value.strip();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? null : Duration.ofSeconds(Math.min(seconds, Duration.ofDays(7).toSeconds()));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration d = Duration.between(clock.instant(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException notDate) {
                return null;
            }
        }
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception e) {
            // stopping: nothing left to do with the client
        }
    }
}
