package dev.easel.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.accounts.AccountService;
import dev.easel.assets.AssetService;
import dev.easel.blobs.BlobStore;
import dev.easel.blobs.PublicUrls;
import dev.easel.crypto.Tokens;
import dev.easel.jobs.JobJson;
import dev.easel.jobs.JobService;
import dev.easel.json.Json;
import dev.easel.moodboards.MoodboardService;
import dev.easel.ops.Metrics;
import dev.easel.styles.StyleService;
import dev.easel.webhooks.WebhookService;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.router.EndpointNotFound;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The HTTP server: installs the {@link RouteTable} on Javalin (Jetty 12, virtual threads) and does,
 * once for every route, what is not a resource's business: authentication by the route's
 * {@link Access}, request ids, the access log, CORS, HEAD for every GET, 405 with {@code Allow},
 * and errors, all of them JSON through {@link ErrorMapper}, including those Jetty answers by itself
 * (a URI or headers too long, a request it cannot parse).
 */
public final class HttpServer {
    private static final Logger access = LoggerFactory.getLogger("easel.access");
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** The methods any route may have; anything else (a lowercase "get", "PROPFIND") is refused before routing. */
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    static final String ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Webhook-URL, X-Request-Id";
    static final String EXPOSED_HEADERS = "Retry-After, X-Request-Id, Deprecation, Sunset, Idempotent-Replayed";

    private final RouteTable routes;
    private final AccountService accounts;
    private final String adminToken;
    private final List<String> corsOrigins;
    private final Metrics metrics;

    /** @param corsOrigins origins whose pages may call the API ({@code *}: any; empty: none) */
    public HttpServer(RouteTable routes, AccountService accounts, String adminToken, List<String> corsOrigins, Metrics metrics) {
        this.routes = routes;
        this.accounts = accounts;
        this.adminToken = adminToken;
        this.corsOrigins = List.copyOf(corsOrigins);
        this.metrics = metrics;
    }

    /** A worker process's routes: health, readiness and metrics only. */
    public static RouteTable operationsOnly(Metrics metrics, BooleanSupplier ready,
                                            Supplier<ObjectNode> engineStatus) {
        RouteTable t = new RouteTable();
        new OperationsRoutes(metrics, ready, engineStatus).registerForWorker(t);
        return t;
    }

    /** Every route easel serves, each resource declaring its own. */
    public static RouteTable routes(AccountService accounts, JobService jobs, WebhookService webhooks, AssetService assets,
                                    StyleService styles, MoodboardService moodboards, GenerateRequestParser parser, BlobStore blobs,
                                    PublicUrls urls, Metrics metrics, BooleanSupplier ready,
                                    Supplier<ObjectNode> engineStatus) {
        RouteTable t = new RouteTable();
        new JobRoutes(jobs, webhooks, parser, blobs, new JobJson(urls)).register(t);
        new LibraryRoutes(assets, styles, moodboards, new Views(urls)).register(t);
        new AccountRoutes(accounts, jobs, webhooks).register(t);
        new AdminRoutes(accounts, jobs).register(t);
        new OperationsRoutes(metrics, ready, engineStatus).register(t);
        new PlaygroundRoutes().register(t);
        return t;
    }

    /**
     * Starts serving on {@code channel}, a socket the caller bound already (so that a port in use is
     * found before anything else is created).
     */
    public Javalin start(ServerSocketChannel channel) {
        return Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = 1_000_000;
            // uploads: up to the style limit (checked with a clear message), spooled to disk past 1 MB
            config.jetty.multipartConfig.maxFileSize(StyleService.MAX_BYTES + 10_000_000, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(StyleService.MAX_BYTES + 11_000_000, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.jetty.addConnector((server, httpConfig) -> {
                ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(httpConfig));
                try {
                    connector.open(channel);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return connector;
            });
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            config.jetty.modifyServletContextHandler(h -> {
                h.setErrorHandler(new JsonErrorHandler());
                h.addFilter(new FilterHolder(methodFilter()), "/*", EnumSet.of(DispatcherType.REQUEST));
            });
            config.requestLogger.http(this::logRequest);
            config.routes.before(this::begin);
            config.routes.exception(Exception.class, (e, ctx) -> error(ctx, e));
            // Javalin answers its own exceptions (no endpoint, body too large) unless told otherwise
            config.routes.exception(io.javalin.http.HttpResponseException.class, (e, ctx) -> error(ctx, e));
            for (RouteTable.Route r : routes.routes()) {
                io.javalin.http.Handler h = ctx -> r.handler().handle(ctx, authorize(ctx, r.access()));
                config.routes.addHttpHandler(HandlerType.findOrCreate(r.method()), r.path(), h);
                // HEAD runs the GET handler; Jetty sends its headers and drops its body
                if (r.method().equals("GET")) config.routes.head(r.path(), h);
            }
            for (String path : routes.paths()) config.routes.options(path, ctx -> preflight(ctx, path));
        }).start();
    }

    /** The caller's account id for an account route, null for the others; or an HTTP error. */
    private String authorize(Context ctx, Access needed) {
        return switch (needed) {
            case PUBLIC -> null;
            case ADMIN -> {
                if (!Tokens.constantTimeEquals(bearer(ctx), adminToken)) throw HttpError.unauthorized("invalid admin token");
                yield null;
            }
            case ACCOUNT -> {
                String accountId = accounts.authenticate(bearer(ctx))
                        .orElseThrow(() -> HttpError.unauthorized("invalid API key: it is unknown or was revoked"));
                MDC.put("account_id", accountId);
                yield accountId;
            }
        };
    }

    private static String bearer(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null || h.isBlank()) {
            throw HttpError.unauthorized("missing API key: send the header Authorization: Bearer <your API key>");
        }
        if (h.length() < 8 || !h.regionMatches(true, 0, "Bearer ", 0, 7) || h.substring(7).isBlank()) {
            throw HttpError.unauthorized("malformed Authorization header: expected Bearer <your API key>");
        }
        return h.substring(7).strip();
    }

    private void begin(Context ctx) {
        String id = ctx.header("X-Request-Id");
        if (id == null || !REQUEST_ID.matcher(id).matches()) id = requestId();
        MDC.put("request_id", id);
        ctx.header("X-Request-Id", id);
        ctx.attribute("started_nanos", System.nanoTime());
        allowedOrigin(ctx).ifPresent(origin -> {
            ctx.header("Access-Control-Allow-Origin", origin);
            ctx.header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        });
        if (!corsOrigins.isEmpty() && !corsOrigins.contains("*")) ctx.header("Vary", "Origin");
    }

    /**
     * A new request id: a version 4 UUID from a fast generator, not the secure one, because an id only
     * names a request in the logs and is no secret (and the secure generator is shared by all threads).
     */
    static String requestId() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        long high = (r.nextLong() & ~0xf000L) | 0x4000L, low = (r.nextLong() & ~(3L << 62)) | (1L << 63);
        return new UUID(high, low).toString();
    }

    /** The origin to allow in the answer, when the request has one and it is configured. */
    private Optional<String> allowedOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null || corsOrigins.isEmpty()) return Optional.empty();
        if (corsOrigins.contains("*")) return Optional.of("*");
        return corsOrigins.contains(origin) ? Optional.of(origin) : Optional.empty();
    }

    /** OPTIONS: the methods of the path, and, for an allowed origin, a CORS preflight answer. */
    private void preflight(Context ctx, String path) {
        String allow = String.join(", ", routes.methods(path));
        ctx.header("Allow", allow);
        if (allowedOrigin(ctx).isPresent() && ctx.header("Access-Control-Request-Method") != null) {
            ctx.header("Access-Control-Allow-Methods", allow);
            ctx.header("Access-Control-Allow-Headers", ALLOWED_HEADERS);
            ctx.header("Access-Control-Max-Age", "600");
        }
        ctx.status(204);
    }

    private void error(Context ctx, Exception e) {
        ErrorMapper.Reply reply;
        if (e instanceof EndpointNotFound) {
            // a path we serve with other methods is a 405 naming them; any other path is a 404
            Optional<String> template = routes.templateOf(ctx.path());
            reply = template.map(t -> new ErrorMapper.Reply(405, ctx.method().name() + " is not allowed on " + t + " (allowed: "
                            + String.join(", ", routes.methods(t)) + ")", Map.of("Allow", String.join(", ", routes.methods(t)))))
                    .orElseGet(() -> new ErrorMapper.Reply(404, "no such path: " + Json.quote(ctx.path())));
        } else {
            reply = ErrorMapper.of(e);
        }
        reply.headers().forEach(ctx::header);
        Responses.json(ctx, reply.status(), Json.MAPPER.createObjectNode().put("error", reply.message()));
    }

    private void logRequest(Context ctx, Float millis) {
        String route;
        try {
            route = ctx.endpoint().path;
        } catch (RuntimeException e) {
            route = "unmatched";
        }
        Long started = ctx.attribute("started_nanos");
        long nanos = started == null ? (long) (millis * 1e6) : System.nanoTime() - started;
        metrics.request(ctx.method().name(), route, ctx.statusCode(), nanos);
        // the path only (no query, body or headers: prompts and keys never reach the log), and no image
        // token: an image URL is a capability, as secret as a key
        String path = ctx.path().startsWith("/images/") ? "/images/<token>" : ctx.path();
        if (access.isInfoEnabled()) {
            access.info("http method={} path={} status={} ms={}", ctx.method().name(), path, ctx.statusCode(),
                    String.format("%.1f", nanos / 1e6));
        }
        MDC.clear();
    }

    /** Refuses a method no route has (before Javalin, which fails on one it does not know) with a JSON 405, or 404. */
    private Filter methodFilter() {
        return (req, res, chain) -> {
            String method = ((HttpServletRequest) req).getMethod();
            if (METHODS.contains(method)) {
                chain.doFilter(req, res);
                return;
            }
            HttpServletResponse r = (HttpServletResponse) res;
            Optional<String> template = routes.templateOf(((HttpServletRequest) req).getRequestURI());
            r.setContentType("application/json");
            if (template.isEmpty()) {
                r.setStatus(404);
                r.getOutputStream().write(errorBody("no such path: " + ((HttpServletRequest) req).getRequestURI()));
                return;
            }
            r.setStatus(405);
            r.setHeader("Allow", String.join(", ", routes.methods(template.get())));
            r.getOutputStream().write(errorBody("method " + Json.quote(method) + " is not allowed on " + template.get()
                    + " (allowed: " + String.join(", ", routes.methods(template.get())) + "; methods are upper-case)"));
        };
    }

    static byte[] errorBody(String message) {
        return ("{\"error\":" + Json.quote(message == null ? "bad request" : message) + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** What Jetty answers by itself (414, 431, 400 for what its parser refuses), as JSON like every other error. */
    private static final class JsonErrorHandler extends ErrorHandler {
        /** Jetty writes error bodies for GET, POST and HEAD only; ours are JSON for every method. */
        @Override
        public boolean errorPageForMethod(String method) {
            return true;
        }

        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
            // a request line naming a version that is no HTTP version is a malformed request: the client's fault, not ours
            if (code == 505) response.setStatus(400);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(errorBody(message(code, message))), callback);
        }

        private static String message(int code, String message) {
            String what = switch (code) {
                case 414 -> "the URI is too long";
                case 431 -> "the request headers are too large";
                case 413 -> "the request body is too large";
                default -> "the request could not be read";
            };
            return message == null || message.isBlank() ? what : what + ": " + message;
        }
    }
}
