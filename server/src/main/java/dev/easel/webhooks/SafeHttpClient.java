package dev.easel.webhooks;

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
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP client for URLs that users chose. Every connection goes to an address that
 * {@link AddressGuard} resolved and checked (Jetty's resolver hook), while the Host header, TLS SNI
 * and certificate checks use the URL's host name. No redirect is followed, no cookie is kept, each
 * request has one overall time limit, and a response body is read up to a small limit and dropped.
 */
public final class SafeHttpClient implements AutoCloseable {
    /** Response bytes read at most; the rest is cut off (the body is never used). */
    static final int MAX_BODY_BYTES = 64 * 1024;

    /** What a request got. */
    public sealed interface Outcome {
        /** A response with this status (its body dropped); {@code retryAfter} from its header, or null. */
        record Answered(int status, Duration retryAfter) implements Outcome {}

        /** No response: why, and whether trying again could help ({@code false} for a refused address). */
        record NoAnswer(String error, boolean retryable) implements Outcome {}
    }

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
                .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .body(new BytesRequestContent("application/json", body));
        request.headers(h -> headers.forEach(h::put));
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        request.send(new Response.Listener() {
            private Integer status;
            private Duration retryAfter;
            private long read;

            @Override
            public void onHeaders(Response response) {
                status = response.getStatus();
                retryAfter = retryAfter(response.getHeaders().get(HttpHeader.RETRY_AFTER));
            }

            @Override
            public void onContent(Response response, ByteBuffer content) {
                read += content.remaining();
                content.position(content.limit());
                if (read > MAX_BODY_BYTES) response.abort(new IOException("response body over " + MAX_BODY_BYTES + " bytes, cut off"));
            }

            @Override
            public void onComplete(Result result) {
                // the status decides once it arrived, even if the body then failed or was cut off
                if (status != null) outcome.complete(new Outcome.Answered(status, retryAfter));
                else outcome.complete(noAnswer(result.getFailure(), timeout));
            }
        });
        try {
            // Jetty enforces the timeout; this bound only guards against a listener that never completes
            return outcome.get(timeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            request.abort(e);
            Thread.currentThread().interrupt();
            return new Outcome.NoAnswer("interrupted: easel is stopping", true);
        } catch (ExecutionException | TimeoutException e) {
            request.abort(e);
            return new Outcome.NoAnswer(timedOut(timeout), true);
        }
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
