package dev.easel.http;

import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every route of the API, declared by the resource classes ({@link JobRoutes}, {@link LibraryRoutes},
 * {@link AccountRoutes}, {@link AdminRoutes}, {@link OperationsRoutes}) with the access it needs.
 * {@link HttpServer} installs them, and answers from this table what no handler does: the methods a
 * path allows (405 with {@code Allow}, CORS preflight) and HEAD for every GET.
 */
public final class RouteTable {
    /** A route's work, given the id of the caller's account ({@code null} for public and admin routes). */
    @FunctionalInterface
    public interface Handler {
        void handle(Context ctx, String accountId) throws Exception;
    }

    public record Route(String method, String path, Access access, Handler handler) {}

    private final List<Route> routes = new ArrayList<>();
    private final Map<String, Pattern> patterns = new LinkedHashMap<>();

    public RouteTable get(String path, Access access, Handler h) {
        return add("GET", path, access, h);
    }

    public RouteTable post(String path, Access access, Handler h) {
        return add("POST", path, access, h);
    }

    public RouteTable patch(String path, Access access, Handler h) {
        return add("PATCH", path, access, h);
    }

    public RouteTable delete(String path, Access access, Handler h) {
        return add("DELETE", path, access, h);
    }

    private RouteTable add(String method, String path, Access access, Handler h) {
        routes.add(new Route(method, path, access, h));
        // {name} matches one path segment, as Javalin's own matcher does
        patterns.computeIfAbsent(path, p -> Pattern.compile(Pattern.quote(p).replaceAll("\\{[a-z]+}", "\\\\E[^/]+\\\\Q")));
        return this;
    }

    public List<Route> routes() {
        return List.copyOf(routes);
    }

    /** The distinct path templates, in the order they were declared. */
    public Set<String> paths() {
        return patterns.keySet();
    }

    /** The methods that the path template {@code path} answers, HEAD and OPTIONS included. */
    public Set<String> methods(String path) {
        Set<String> out = new LinkedHashSet<>();
        for (Route r : routes) {
            if (!r.path().equals(path)) continue;
            out.add(r.method());
            if (r.method().equals("GET")) out.add("HEAD");
        }
        out.add("OPTIONS");
        return out;
    }

    /** The template that a request path falls under, if any. */
    public Optional<String> templateOf(String requestPath) {
        return patterns.entrySet().stream().filter(e -> e.getValue().matcher(requestPath).matches()).map(Map.Entry::getKey)
                .findFirst();
    }
}
