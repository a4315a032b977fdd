package dev.easel.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.easel.accounts.Account;
import dev.easel.accounts.AccountService;
import dev.easel.accounts.ApiKeys;
import dev.easel.assets.Asset;
import dev.easel.assets.AssetService;
import dev.easel.billing.Money;
import dev.easel.blobs.BlobStore;
import dev.easel.blobs.Upload;
import dev.easel.jobs.Job;
import dev.easel.jobs.JobService;
import dev.easel.jobs.JobStatus;
import dev.easel.moodboards.MoodboardService;
import dev.easel.store.Page;
import dev.easel.store.StoreException;
import dev.easel.styles.Style;
import dev.easel.styles.StyleService;
import dev.easel.webhooks.WebhookService;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Every HTTP route of easel, and the one place where errors become responses
 * ({@link #error(Context, ApiError)}): always {@code {"error": "..."}} as JSON.
 */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    private static final Logger access = LoggerFactory.getLogger("easel.access");
    public static final String GENERATE_PATH = "/generate/image/krea/krea-2/medium";
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern IMAGE_FILE = Pattern.compile("([A-Za-z0-9_-]{16,128})\\.(png|jpg|webp)");
    private static final int MAX_WEBHOOK_URL = 2048;
    private static final int MAX_IDEMPOTENCY_KEY = 255;

    private final AccountService accounts;
    private final JobService jobs;
    private final WebhookService webhooks;
    private final AssetService assets;
    private final StyleService styles;
    private final MoodboardService moodboards;
    private final GenerateRequestParser parser;
    private final BlobStore blobs;
    private final Views views;
    private final Metrics metrics;
    private final String adminToken;
    private final BooleanSupplier ready;
    private final byte[] openApiJson;

    public HttpApi(AccountService accounts, JobService jobs, WebhookService webhooks, AssetService assets, StyleService styles,
                   MoodboardService moodboards, GenerateRequestParser parser, BlobStore blobs, Views views, Metrics metrics,
                   String adminToken, BooleanSupplier ready) {
        this.styles = styles;
        this.moodboards = moodboards;
        this.accounts = accounts;
        this.jobs = jobs;
        this.webhooks = webhooks;
        this.assets = assets;
        this.parser = parser;
        this.blobs = blobs;
        this.views = views;
        this.metrics = metrics;
        this.adminToken = adminToken;
        this.ready = ready;
        this.openApiJson = loadOpenApi();
    }

    public Javalin create(String host, int port) {
        return Javalin.create(config -> {
            config.jetty.host = host;
            config.jetty.port = port;
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = 1_000_000;
            // uploads: up to the asset limit (checked with a clear message), spooled to disk past 1 MB
            config.jetty.multipartConfig.maxFileSize(StyleService.MAX_BYTES + 10_000_000, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(StyleService.MAX_BYTES + 11_000_000, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
            config.http.compressionStrategy = io.javalin.compression.CompressionStrategy.NONE;
            config.requestLogger.http(this::logRequest);

            config.routes.before(this::beginRequest);
            config.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e.error()));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
            config.routes.exception(StoreException.class, (e, ctx) -> {
                log.error("store failure", e);
                error(ctx, new ApiError.Unavailable("the database is unavailable; retry shortly"));
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.error("unhandled error", e);
                error(ctx, 500, "internal error (request id " + MDC.get("request_id") + ")");
            });

            config.routes.post(GENERATE_PATH, this::generate);
            config.routes.get("/jobs", this::listJobs);
            config.routes.get("/jobs/{id}", this::getJob);
            config.routes.delete("/jobs/{id}", this::deleteJob);
            config.routes.get("/jobs/{id}/events", this::jobEvents);
            config.routes.get("/jobs/{id}/webhook", this::getJobWebhook);
            config.routes.post("/jobs/{id}/webhook/redeliver", this::redeliverJobWebhook);
            config.routes.post("/assets", this::uploadAsset);
            config.routes.get("/assets", this::listAssets);
            config.routes.get("/assets/{id}", this::getAsset);
            config.routes.delete("/assets/{id}", this::deleteAsset);
            config.routes.post("/styles", this::createStyle);
            config.routes.get("/styles", this::listStyles);
            config.routes.get("/styles/{id}", this::getStyle);
            config.routes.patch("/styles/{id}", this::updateStyle);
            config.routes.delete("/styles/{id}", this::deleteStyle);
            config.routes.post("/moodboards", this::createMoodboard);
            config.routes.get("/moodboards", this::listMoodboards);
            config.routes.get("/moodboards/{id}", this::getMoodboard);
            config.routes.delete("/moodboards/{id}", this::deleteMoodboard);
            config.routes.get("/account", this::getAccount);
            config.routes.get("/account/webhook-secret", this::getWebhookSecret);
            config.routes.post("/account/webhook-secret/rotate", this::rotateWebhookSecret);
            config.routes.post("/admin/accounts", this::adminCreateAccount);
            config.routes.get("/admin/accounts/{id}", this::adminGetAccount);
            config.routes.post("/admin/accounts/{id}/credits", this::adminCredits);
            config.routes.post("/admin/accounts/{id}/keys", this::adminIssueKey);
            config.routes.delete("/admin/accounts/{id}/keys", this::adminRevokeKeys);
            config.routes.get("/images/{file}", this::image);
            config.routes.get("/healthz", ctx -> json(ctx, 200, Json.MAPPER.createObjectNode().put("status", "ok")));
            config.routes.get("/readyz", this::readyz);
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
            config.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApiJson));
        }).start();
    }

    // ---------------------------------------------------------------- generation and jobs

    private void generate(Context ctx) {
        Account account = authenticate(ctx);
        String webhookUrl = ctx.header("X-Webhook-URL");
        if (webhookUrl != null && (webhookUrl.length() > MAX_WEBHOOK_URL || !GenerateRequestParser.isHttpUrl(webhookUrl))) {
            throw ApiException.badRequest("X-Webhook-URL must be an absolute http or https URL of at most "
                    + MAX_WEBHOOK_URL + " characters (got " + GenerateRequestParser.quote(webhookUrl) + ")");
        }
        String idempotencyKey = ctx.header("Idempotency-Key");
        if (idempotencyKey != null && (idempotencyKey.isEmpty() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY
                || !idempotencyKey.chars().allMatch(c -> c > 32 && c < 127))) {
            throw ApiException.badRequest("Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY
                    + " printable ASCII characters without spaces (got " + GenerateRequestParser.quote(idempotencyKey) + ")");
        }
        byte[] body = ctx.bodyAsBytes();
        GenerateRequestParser.Parsed parsed = parser.parse(body, account.id());
        JobService.Submitted submitted = jobs.submit(account.id(), parsed.request(), webhookUrl, idempotencyKey, ApiKeys.sha256Hex(body));
        MDC.put("job_id", submitted.job().id());
        if (parsed.usedDeprecatedAlias()) {
            ctx.header("Deprecation", "true");
            ctx.header("Sunset", GenerateRequestParser.SUNSET_HEADER_VALUE);
        }
        if (submitted.replayed()) ctx.header("Idempotent-Replayed", "true");
        json(ctx, 200, views.job(submitted.job()));
    }

    private void getJob(Context ctx) {
        Account account = authenticate(ctx);
        json(ctx, 200, views.job(ownJob(account, ctx.pathParam("id"))));
    }

    private void deleteJob(Context ctx) {
        Account account = authenticate(ctx);
        json(ctx, 200, views.job(jobs.cancelOrDelete(account.id(), ctx.pathParam("id"))));
    }

    private void getJobWebhook(Context ctx) {
        Job job = jobWithWebhook(authenticate(ctx), ctx.pathParam("id"));
        json(ctx, 200, Views.webhook(job, webhooks.status(job.id()).orElse(null)));
    }

    private void redeliverJobWebhook(Context ctx) throws IOException {
        Job job = jobWithWebhook(authenticate(ctx), ctx.pathParam("id"));
        if (!job.status().isTerminal()) {
            throw new ApiException(new ApiError.Conflict("job " + job.id() + " has not ended yet (status " + job.status().wire
                    + "): its webhook is sent when it completes, fails or is cancelled"));
        }
        json(ctx, 202, Views.webhook(job, webhooks.redeliver(job, Json.MAPPER.writeValueAsString(views.job(job)))));
    }

    private Job jobWithWebhook(Account account, String id) {
        Job job = ownJob(account, id);
        if (job.webhookUrl() == null) {
            throw ApiException.notFound("job " + id + " has no webhook: it was submitted without an X-Webhook-URL header");
        }
        return job;
    }

    private Job ownJob(Account account, String id) {
        return jobs.get(account.id(), id).orElseThrow(() -> ApiException.notFound("no job " + id));
    }

    private void listJobs(Context ctx) {
        Account account = authenticate(ctx);
        List<String> problems = new ArrayList<>();
        int limit = limitParam(ctx, problems);
        Instant cursor = null;
        String cursorParam = ctx.queryParam("cursor");
        if (cursorParam != null) {
            try {
                cursor = OffsetDateTime.parse(cursorParam).toInstant();
            } catch (DateTimeParseException e) {
                problems.add("cursor must be an ISO-8601 date-time such as 2026-01-31T12:00:00.000Z (got "
                        + GenerateRequestParser.quote(cursorParam) + ")");
            }
        }
        JobStatus status = null;
        String statusParam = ctx.queryParam("status");
        if (statusParam != null) {
            status = JobStatus.fromWire(statusParam).orElse(null);
            if (status == null) {
                problems.add("status must be one of " + String.join(", ", Arrays.stream(JobStatus.values()).map(s -> s.wire).toList())
                        + " (got " + GenerateRequestParser.quote(statusParam) + ")");
            }
        }
        List<String> types = List.of();
        String typesParam = ctx.queryParam("types");
        if (typesParam != null) {
            types = Arrays.stream(typesParam.split(",")).map(String::strip).filter(t -> !t.isEmpty()).toList();
        }
        if (!problems.isEmpty()) throw new ApiException(new ApiError.BadRequest(problems));

        List<Job> page = jobs.list(account.id(), cursor, status, types, limit + 1);
        boolean more = page.size() > limit;
        if (more) page = page.subList(0, limit);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode items = out.putArray("items");
        page.forEach(j -> items.add(views.job(j)));
        out.put("next_cursor", more ? Views.time(page.get(page.size() - 1).createdAt()) : null);
        json(ctx, 200, out);
    }

    /**
     * Server-Sent Events: the job object once now and again at every change of status or progress;
     * the stream ends after a terminal state (or an {@code event: deleted} when the job is deleted).
     */
    private void jobEvents(Context ctx) throws InterruptedException {
        Account account = authenticate(ctx);
        String id = ctx.pathParam("id");
        ownJob(account, id);
        try {
            streamEvents(ctx, account, id);
        } catch (IOException e) {
            log.debug("event stream closed by the client: {}", e.toString()); // a normal way for a stream to end
        }
    }

    private void streamEvents(Context ctx, Account account, String id) throws IOException, InterruptedException {
        HttpServletResponse res = ctx.res();
        res.setStatus(200);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("UTF-8");
        res.setHeader("Cache-Control", "no-cache");
        res.setHeader("X-Accel-Buffering", "no");
        OutputStream out = res.getOutputStream();
        String last = null;
        long lastWrite = System.nanoTime();
        while (true) {
            CompletableFuture<Void> next = jobs.events().nextChange(id);
            Optional<Job> job = jobs.get(account.id(), id);
            if (job.isEmpty()) {
                send(out, "event: deleted\ndata: {\"job_id\":\"" + id + "\"}\n\n");
                return;
            }
            String data = Json.MAPPER.writeValueAsString(views.job(job.get()));
            if (!data.equals(last)) {
                send(out, "data: " + data + "\n\n");
                last = data;
                lastWrite = System.nanoTime();
            }
            if (job.get().status().isTerminal()) return;
            try {
                next.get(2, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                if (System.nanoTime() - lastWrite > TimeUnit.SECONDS.toNanos(15)) {
                    send(out, ": keep-alive\n\n");
                    lastWrite = System.nanoTime();
                }
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void send(OutputStream out, String event) throws IOException {
        out.write(event.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void image(Context ctx) {
        var m = IMAGE_FILE.matcher(ctx.pathParam("file"));
        InputStream in = m.matches() ? blobs.open(m.group(1)).orElse(null) : null;
        if (in == null) throw ApiException.notFound("no such image");
        blobs.size(m.group(1)).ifPresent(n -> ctx.header("Content-Length", Long.toString(n)));
        ctx.header("Cache-Control", "public, max-age=31536000, immutable");
        ctx.contentType(switch (m.group(2)) {
            case "jpg" -> "image/jpeg";
            case "webp" -> "image/webp";
            default -> "image/png";
        }).result(in);
    }

    // ---------------------------------------------------------------- assets

    private void uploadAsset(Context ctx) {
        Account account = authenticate(ctx);
        UploadedFile file = uploadedFile(ctx, "file", "an image (PNG, JPEG or WebP)");
        Asset asset = assets.upload(account.id(), new Upload(file.size(), file::content), ctx.formParam("description"));
        MDC.put("asset_id", asset.id());
        json(ctx, 200, views.asset(asset));
    }

    private void listAssets(Context ctx) {
        Account account = authenticate(ctx);
        List<String> problems = new ArrayList<>();
        int limit = limitParam(ctx, problems);
        Page.After after = afterParam(ctx, problems);
        if (!problems.isEmpty()) throw new ApiException(new ApiError.BadRequest(problems));
        json(ctx, 200, Views.page(assets.list(account.id(), after, limit), views::asset));
    }

    private void getAsset(Context ctx) {
        Account account = authenticate(ctx);
        String id = ctx.pathParam("id");
        json(ctx, 200, views.asset(assets.get(account.id(), id).orElseThrow(() -> ApiException.notFound("no asset " + id))));
    }

    private void deleteAsset(Context ctx) {
        Account account = authenticate(ctx);
        String id = ctx.pathParam("id");
        assets.delete(account.id(), id);
        json(ctx, 200, Json.MAPPER.createObjectNode().put("success", true).put("message", "asset " + id + " deleted"));
    }

    // ---------------------------------------------------------------- styles

    private void createStyle(Context ctx) {
        Account account = authenticate(ctx);
        UploadedFile file = uploadedFile(ctx, "file", "a LoRA in .safetensors format");
        Style style = styles.create(account.id(), new Upload(file.size(), file::content), ctx.formParam("title"),
                ctx.formParam("prompt"));
        json(ctx, 200, Views.style(style));
    }

    private void listStyles(Context ctx) {
        Account account = authenticate(ctx);
        List<String> problems = new ArrayList<>();
        int limit = limitParam(ctx, problems);
        Page.After after = afterParam(ctx, problems);
        if (!problems.isEmpty()) throw new ApiException(new ApiError.BadRequest(problems));
        json(ctx, 200, Views.page(styles.list(account.id(), after, limit), Views::style));
    }

    private void getStyle(Context ctx) {
        Account account = authenticate(ctx);
        String id = ctx.pathParam("id");
        json(ctx, 200, Views.style(styles.get(account.id(), id).orElseThrow(() -> ApiException.notFound("no style " + id))));
    }

    private void updateStyle(Context ctx) {
        Account account = authenticate(ctx);
        JsonNode body = jsonBody(ctx, Set.of("title", "prompt", "public"));
        List<String> problems = new ArrayList<>();
        String title = textField(body, "title", problems);
        String prompt = textField(body, "prompt", problems);
        JsonNode pub = body.get("public");
        if (pub != null && !pub.isBoolean()) problems.add("public must be true or false (got " + GenerateRequestParser.typeName(pub) + ")");
        if (!problems.isEmpty()) throw new ApiException(new ApiError.BadRequest(problems));
        Style style = styles.update(account.id(), ctx.pathParam("id"), title, prompt, pub == null ? null : pub.booleanValue());
        json(ctx, 200, Views.style(style));
    }

    private void deleteStyle(Context ctx) {
        Account account = authenticate(ctx);
        String id = ctx.pathParam("id");
        styles.delete(account.id(), id);
        json(ctx, 200, Json.MAPPER.createObjectNode().put("success", true).put("message", "style " + id + " deleted"));
    }

    // ---------------------------------------------------------------- moodboards

    private void createMoodboard(Context ctx) {
        Account account = authenticate(ctx);
        JsonNode body = jsonBody(ctx, Set.of("title", "image_urls", "asset_ids"));
        json(ctx, 200, Views.moodboard(moodboards.create(account.id(), body)));
    }

    private void listMoodboards(Context ctx) {
        Account account = authenticate(ctx);
        List<String> problems = new ArrayList<>();
        int limit = limitParam(ctx, problems);
        Page.After after = afterParam(ctx, problems);
        if (!problems.isEmpty()) throw new ApiException(new ApiError.BadRequest(problems));
        json(ctx, 200, Views.page(moodboards.list(account.id(), after, limit), Views::moodboard));
    }

    private void getMoodboard(Context ctx) {
        Account account = authenticate(ctx);
        String id = ctx.pathParam("id");
        json(ctx, 200, Views.moodboard(moodboards.get(account.id(), id).orElseThrow(() -> ApiException.notFound("no moodboard " + id))));
    }

    private void deleteMoodboard(Context ctx) {
        Account account = authenticate(ctx);
        String id = ctx.pathParam("id");
        moodboards.delete(account.id(), id);
        json(ctx, 200, Json.MAPPER.createObjectNode().put("success", true).put("message", "moodboard " + id + " deleted"));
    }

    /** An optional string field: null when absent. */
    private static String textField(JsonNode body, String field, List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null) return null;
        if (!n.isTextual()) {
            problems.add(field + " must be a string (got " + GenerateRequestParser.typeName(n) + ")");
            return null;
        }
        return n.textValue();
    }

    /** The multipart file field {@code name}; a 400 saying what to send when it is missing. */
    private static UploadedFile uploadedFile(Context ctx, String name, String what) {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
            throw ApiException.badRequest("send multipart/form-data with the field \"" + name + "\": " + what
                    + " (got Content-Type " + GenerateRequestParser.quote(type) + ")");
        }
        UploadedFile file;
        try {
            file = ctx.uploadedFile(name);
        } catch (RuntimeException e) {
            if (String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("max")) {
                throw new ApiException(new ApiError.PayloadTooLarge("the upload is larger than " + StyleService.MAX_BYTES
                        + " bytes"));
            }
            throw ApiException.badRequest("the multipart body cannot be read: " + e.getMessage());
        }
        if (file == null) throw ApiException.badRequest("the multipart field \"" + name + "\" is missing: send " + what);
        return file;
    }

    /** {@code limit}: 1 to 1000, default 100. */
    private static int limitParam(Context ctx, List<String> problems) {
        String raw = ctx.queryParam("limit");
        if (raw == null) return 100;
        try {
            int limit = Integer.parseInt(raw);
            if (limit >= 1 && limit <= 1000) return limit;
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add("limit must be an integer between 1 and 1000 (got " + GenerateRequestParser.quote(raw) + ")");
        return 100;
    }

    /** {@code cursor}: a next_cursor this server gave out for a list of assets, styles or moodboards; else the first page. */
    private static Page.After afterParam(Context ctx, List<String> problems) {
        String raw = ctx.queryParam("cursor");
        if (raw == null) return Page.After.START;
        Page.After after = Page.After.decode(raw);
        if (after == null) problems.add("cursor must be a next_cursor from a previous page (got " + GenerateRequestParser.quote(raw) + ")");
        return after;
    }

    // ---------------------------------------------------------------- accounts

    private void getAccount(Context ctx) {
        Account account = authenticate(ctx);
        json(ctx, 200, Views.account(account, jobs.usage(account.id())));
    }

    private void getWebhookSecret(Context ctx) {
        json(ctx, 200, Views.webhookSecret(webhooks.secrets(authenticate(ctx).id())));
    }

    private void rotateWebhookSecret(Context ctx) {
        json(ctx, 200, Views.webhookSecret(webhooks.rotate(authenticate(ctx).id())));
    }

    private void adminCreateAccount(Context ctx) {
        requireAdmin(ctx);
        JsonNode body = jsonBody(ctx, Set.of("name", "credits_usd", "max_concurrent_jobs", "max_backlog"));
        List<String> problems = new ArrayList<>();
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual() || name.textValue().isBlank() || name.textValue().length() > 200) {
            problems.add("name is required: a non-blank string of at most 200 characters");
        }
        long credits = usdField(body, "credits_usd", false, problems);
        if (credits < 0) problems.add("credits_usd must be 0 or more (got " + body.get("credits_usd") + ")");
        int maxConcurrent = intField(body, "max_concurrent_jobs", 2, 1, 10_000, problems);
        int maxBacklog = intField(body, "max_backlog", 20, 0, 1_000_000, problems);
        if (!problems.isEmpty()) throw new ApiException(new ApiError.BadRequest(problems));
        AccountService.Created created = accounts.create(name.textValue().strip(), credits, maxConcurrent, maxBacklog);
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("id", created.account().id());
        out.put("api_key", created.apiKey());
        out.setAll(Views.account(created.account(), jobs.usage(created.account().id())));
        json(ctx, 201, out);
    }

    private void adminGetAccount(Context ctx) {
        requireAdmin(ctx);
        Account a = accounts.find(ctx.pathParam("id")).orElseThrow(() -> ApiException.notFound("no account " + ctx.pathParam("id")));
        json(ctx, 200, Views.account(a, jobs.usage(a.id())));
    }

    private void adminCredits(Context ctx) {
        requireAdmin(ctx);
        JsonNode body = jsonBody(ctx, Set.of("amount_usd"));
        List<String> problems = new ArrayList<>();
        long amount = usdField(body, "amount_usd", true, problems);
        if (!problems.isEmpty()) throw new ApiException(new ApiError.BadRequest(problems));
        Account a = accounts.addCredits(ctx.pathParam("id"), amount);
        json(ctx, 200, Views.account(a, jobs.usage(a.id())));
    }

    private void adminIssueKey(Context ctx) {
        requireAdmin(ctx);
        String key = accounts.issueKey(ctx.pathParam("id"));
        json(ctx, 201, Json.MAPPER.createObjectNode().put("api_key", key));
    }

    private void adminRevokeKeys(Context ctx) {
        requireAdmin(ctx);
        json(ctx, 200, Json.MAPPER.createObjectNode().put("revoked", accounts.revokeKeys(ctx.pathParam("id"))));
    }

    private static JsonNode jsonBody(Context ctx, Set<String> allowed) {
        JsonNode body;
        try {
            body = Json.STRICT.readTree(ctx.bodyAsBytes());
        } catch (IOException e) {
            throw ApiException.badRequest("request body is not valid JSON");
        }
        if (body == null || !body.isObject()) throw ApiException.badRequest("request body must be a JSON object");
        List<String> unknown = new ArrayList<>();
        body.fieldNames().forEachRemaining(f -> {
            if (!allowed.contains(f)) unknown.add("unknown field " + GenerateRequestParser.quote(f) + " (allowed: "
                    + String.join(", ", allowed.stream().sorted().toList()) + ")");
        });
        if (!unknown.isEmpty()) throw new ApiException(new ApiError.BadRequest(unknown));
        return body;
    }

    private static long usdField(JsonNode body, String field, boolean required, List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null) {
            if (required) problems.add(field + " is required");
            return 0;
        }
        if (!n.isNumber()) {
            problems.add(field + " must be a number of US dollars (got " + GenerateRequestParser.typeName(n) + ")");
            return 0;
        }
        try {
            return Money.microsOf(n.decimalValue());
        } catch (IllegalArgumentException e) {
            problems.add(field + " must have at most 6 decimals (got " + n.decimalValue().toPlainString() + ")");
            return 0;
        }
    }

    private static int intField(JsonNode body, String field, int dflt, int min, int max, List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null) return dflt;
        BigDecimal v = n.isNumber() ? n.decimalValue() : null;
        if (v == null || v.stripTrailingZeros().scale() > 0 || v.compareTo(BigDecimal.valueOf(min)) < 0
                || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            problems.add(field + " must be an integer between " + min + " and " + max + " (got " + n + ")");
            return dflt;
        }
        return v.intValueExact();
    }

    // ---------------------------------------------------------------- operations

    private void readyz(Context ctx) {
        if (ready.getAsBoolean()) json(ctx, 200, Json.MAPPER.createObjectNode().put("status", "ready"));
        else error(ctx, new ApiError.Unavailable("not ready: the store, the engine or the workers are not up"));
    }

    // ---------------------------------------------------------------- plumbing

    private Account authenticate(Context ctx) {
        String key = bearer(ctx);
        Account a = accounts.authenticate(key).orElseThrow(() -> new ApiException(new ApiError.Unauthorized(
                "invalid API key: it is unknown or was revoked")));
        MDC.put("account_id", a.id());
        return a;
    }

    private void requireAdmin(Context ctx) {
        if (!ApiKeys.constantTimeEquals(bearer(ctx), adminToken)) {
            throw new ApiException(new ApiError.Unauthorized("invalid admin token"));
        }
    }

    private static String bearer(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null || h.isBlank()) {
            throw new ApiException(new ApiError.Unauthorized("missing API key: send the header Authorization: Bearer <your API key>"));
        }
        if (h.length() < 8 || !h.regionMatches(true, 0, "Bearer ", 0, 7) || h.substring(7).isBlank()) {
            throw new ApiException(new ApiError.Unauthorized("malformed Authorization header: expected Bearer <your API key>"));
        }
        return h.substring(7).strip();
    }

    private void beginRequest(Context ctx) {
        String id = ctx.header("X-Request-Id");
        if (id == null || !REQUEST_ID.matcher(id).matches()) id = UUID.randomUUID().toString();
        MDC.put("request_id", id);
        ctx.header("X-Request-Id", id);
        ctx.attribute("started_nanos", System.nanoTime());
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
        access.info("http method={} path={} status={} ms={}", ctx.method().name(), path, ctx.statusCode(),
                String.format("%.1f", nanos / 1e6));
        MDC.clear();
    }

    private static void error(Context ctx, ApiError e) {
        if (e instanceof ApiError.TooManyRequests t) ctx.header("Retry-After", Long.toString(t.retryAfterSeconds()));
        if (e instanceof ApiError.Unauthorized) ctx.header("WWW-Authenticate", "Bearer");
        error(ctx, e.status(), e.message());
    }

    private static void error(Context ctx, int status, String message) {
        json(ctx, status, Json.MAPPER.createObjectNode().put("error", message));
    }

    private static void json(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType("application/json").result(Json.MAPPER.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] loadOpenApi() {
        try (InputStream in = HttpApi.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) throw new IllegalStateException("openapi.yaml is missing from the jar");
            return Json.MAPPER.writeValueAsBytes(new YAMLMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
