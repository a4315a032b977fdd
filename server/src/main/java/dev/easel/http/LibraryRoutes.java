package dev.easel.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.assets.Asset;
import dev.easel.assets.AssetService;
import dev.easel.blobs.Upload;
import dev.easel.errors.DomainError;
import dev.easel.json.Json;
import dev.easel.moodboards.MoodboardService;
import dev.easel.store.Page;
import dev.easel.styles.Style;
import dev.easel.styles.StyleService;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.MDC;

/** The library: assets (uploaded images), styles (LoRAs) and moodboards. */
final class LibraryRoutes {
    private final AssetService assets;
    private final StyleService styles;
    private final MoodboardService moodboards;
    private final Views views;

    LibraryRoutes(AssetService assets, StyleService styles, MoodboardService moodboards, Views views) {
        this.assets = assets;
        this.styles = styles;
        this.moodboards = moodboards;
        this.views = views;
    }

    void register(RouteTable routes) {
        routes.post("/assets", Access.ACCOUNT, this::uploadAsset)
                .get("/assets", Access.ACCOUNT, (ctx, accountId) -> page(ctx, (after, limit) -> assets.list(accountId, after, limit), views::asset))
                .get("/assets/{id}", Access.ACCOUNT, (ctx, accountId) -> Responses.json(ctx, 200, views.asset(assets.get(accountId, ctx.pathParam("id"))
                        .orElseThrow(() -> new DomainError.NotFound("no asset " + ctx.pathParam("id"))))))
                .delete("/assets/{id}", Access.ACCOUNT, (ctx, accountId) -> {
                    assets.delete(accountId, ctx.pathParam("id"));
                    Responses.deleted(ctx, "asset " + ctx.pathParam("id") + " deleted");
                })
                .post("/styles", Access.ACCOUNT, this::createStyle)
                .get("/styles", Access.ACCOUNT, (ctx, accountId) -> page(ctx, (after, limit) -> styles.list(accountId, after, limit), Views::style))
                .get("/styles/{id}", Access.ACCOUNT, (ctx, accountId) -> Responses.json(ctx, 200, Views.style(styles.get(accountId, ctx.pathParam("id"))
                        .orElseThrow(() -> new DomainError.NotFound("no style " + ctx.pathParam("id"))))))
                .patch("/styles/{id}", Access.ACCOUNT, (ctx, accountId) -> {
                    Bodies.StylePatch p = Bodies.stylePatch(ctx.bodyAsBytes());
                    Style style = styles.update(accountId, ctx.pathParam("id"), p.title(), p.prompt(), p.isPublic());
                    Responses.json(ctx, 200, Views.style(style));
                })
                .delete("/styles/{id}", Access.ACCOUNT, (ctx, accountId) -> {
                    styles.delete(accountId, ctx.pathParam("id"));
                    Responses.deleted(ctx, "style " + ctx.pathParam("id") + " deleted");
                })
                .post("/moodboards", Access.ACCOUNT, (ctx, accountId) ->
                        Responses.json(ctx, 200, Views.moodboard(moodboards.create(accountId, Bodies.moodboard(ctx.bodyAsBytes())))))
                .get("/moodboards", Access.ACCOUNT,
                        (ctx, accountId) -> page(ctx, (after, limit) -> moodboards.list(accountId, after, limit), Views::moodboard))
                .get("/moodboards/{id}", Access.ACCOUNT, (ctx, accountId) -> Responses.json(ctx, 200, Views.moodboard(moodboards.get(accountId,
                        ctx.pathParam("id")).orElseThrow(() -> new DomainError.NotFound("no moodboard " + ctx.pathParam("id"))))))
                .delete("/moodboards/{id}", Access.ACCOUNT, (ctx, accountId) -> {
                    moodboards.delete(accountId, ctx.pathParam("id"));
                    Responses.deleted(ctx, "moodboard " + ctx.pathParam("id") + " deleted");
                });
    }

    private void uploadAsset(Context ctx, String accountId) {
        UploadedFile file = uploadedFile(ctx, "file", "an image (PNG, JPEG or WebP)");
        Asset asset = assets.upload(accountId, new Upload(file.size(), file::content), ctx.formParam("description"));
        MDC.put("asset_id", asset.id());
        Responses.json(ctx, 200, views.asset(asset));
    }

    private void createStyle(Context ctx, String accountId) {
        UploadedFile file = uploadedFile(ctx, "file", "a LoRA in .safetensors format");
        Style style = styles.create(accountId, new Upload(file.size(), file::content), ctx.formParam("title"), ctx.formParam("prompt"));
        Responses.json(ctx, 200, Views.style(style));
    }

    /** One page of a library list: {@code limit} and {@code cursor} checked (every problem at once), then listed. */
    private static <T> void page(Context ctx, BiFunction<Page.After, Integer, Page<T>> list, Function<T, ObjectNode> view) {
        List<String> problems = new ArrayList<>();
        int limit = Params.limit(ctx, problems);
        Page.After after = Params.libraryCursor(ctx, problems);
        if (!problems.isEmpty()) throw new DomainError.Invalid(problems);
        Responses.json(ctx, 200, Views.page(list.apply(after, limit), view));
    }

    /** The multipart file field {@code name}; a 400 saying what to send when the body is not that. */
    private static UploadedFile uploadedFile(Context ctx, String name, String what) {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")
                || !type.toLowerCase(Locale.ROOT).contains("boundary=")) {
            throw new DomainError.Invalid("send multipart/form-data with the field \"" + name + "\": " + what
                    + (type == null ? " (got no Content-Type)" : " (got Content-Type " + Json.quote(type)
                    + (type.contains("multipart") ? ", without a boundary" : "") + ")"));
        }
        UploadedFile file;
        try {
            file = ctx.uploadedFile(name);
        } catch (Exception e) { // Jetty's multipart parser throws checked exceptions through Kotlin
            String message = String.valueOf(e.getMessage());
            if (message.toLowerCase(Locale.ROOT).contains("max")) {
                throw new DomainError.TooLarge("the upload is larger than " + StyleService.MAX_BYTES + " bytes");
            }
            throw new DomainError.Invalid("the multipart body cannot be read: " + message.replaceFirst("^.*BadMessageException: ", ""));
        }
        if (file == null) throw new DomainError.Invalid("the multipart field \"" + name + "\" is missing: send " + what);
        return file;
    }
}
