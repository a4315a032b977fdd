package dev.easel.http;

import dev.easel.errors.DomainError;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The playground: {@code GET /} and its files, a page in the browser that is a thin client of the
 * public API (it calls the same routes as any other client, with the key a person pastes). The files
 * are plain HTML, CSS and JavaScript modules in the jar, with nothing from another origin, so the
 * page works on a machine without internet.
 */
final class PlaygroundRoutes {
    /** The page's files, by name, with their content types: only these are served. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "api.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8");
    /**
     * Scripts, styles and calls only from this origin; images from anywhere, because result URLs may
     * point at a bucket or CDN (--public-url); never framed by another page.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src * data: blob:; object-src 'none'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Map<String, byte[]> content;

    PlaygroundRoutes() {
        content = new java.util.HashMap<>();
        for (String name : FILES.keySet()) content.put(name, load(name));
    }

    void register(RouteTable routes) {
        routes.get("/", Access.PUBLIC, (ctx, none) -> serve(ctx, "index.html"))
                .get("/playground/{file}", Access.PUBLIC, (ctx, none) -> serve(ctx, ctx.pathParam("file")));
    }

    private void serve(io.javalin.http.Context ctx, String name) {
        byte[] bytes = content.get(name);
        if (bytes == null) throw new DomainError.NotFound("no such file of the playground: " + name);
        ctx.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        // a new easel version must reach the browser at once: it revalidates each time (the files are small)
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(FILES.get(name)).result(bytes);
    }

    private static byte[] load(String name) {
        try (InputStream in = PlaygroundRoutes.class.getResourceAsStream("/playground/" + name)) {
            if (in == null) throw new IllegalStateException("playground/" + name + " is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
