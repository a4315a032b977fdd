package dev.easel.http;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.easel.errors.DomainError;
import dev.easel.json.Json;
import dev.easel.ops.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** For operators: liveness, readiness, Prometheus metrics, and the OpenAPI document of everything served. */
final class OperationsRoutes {
    private final Metrics metrics;
    private final BooleanSupplier ready;
    private final Supplier<ObjectNode> engineStatus;
    private final byte[] openApiJson = loadOpenApi();

    /** @param engineStatus the engine's name and, for a GPU pool, each server's state and counters */
    OperationsRoutes(Metrics metrics, BooleanSupplier ready, Supplier<ObjectNode> engineStatus) {
        this.metrics = metrics;
        this.ready = ready;
        this.engineStatus = engineStatus;
    }

    /** The API's operations routes, the OpenAPI document included. */
    void register(RouteTable routes) {
        registerForWorker(routes);
        routes.get("/openapi.json", Access.PUBLIC, (ctx, none) -> ctx.contentType("application/json").result(openApiJson));
    }

    /** A worker's: the same without the API's document (a worker serves no API). */
    void registerForWorker(RouteTable routes) {
        routes.get("/healthz", Access.PUBLIC, (ctx, none) -> Responses.json(ctx, 200, Json.MAPPER.createObjectNode().put("status", "ok")))
                .get("/readyz", Access.PUBLIC, (ctx, none) -> {
                    ObjectNode status = engineStatus.get();
                    if (!ready.getAsBoolean()) {
                        throw new DomainError.Unavailable("not ready: the store, the engine or the workers are not up (" + status + ")");
                    }
                    Responses.json(ctx, 200, Json.MAPPER.createObjectNode().put("status", "ready").setAll(status));
                })
                .get("/metrics", Access.PUBLIC, (ctx, none) -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    }

    private static byte[] loadOpenApi() {
        try (InputStream in = OperationsRoutes.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) throw new IllegalStateException("openapi.yaml is missing from the jar");
            return Json.MAPPER.writeValueAsBytes(new YAMLMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
