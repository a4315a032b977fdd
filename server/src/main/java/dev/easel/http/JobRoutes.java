package dev.easel.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.blobs.BlobStore;
import dev.easel.crypto.Tokens;
import dev.easel.errors.DomainError;
import dev.easel.jobs.Job;
import dev.easel.jobs.JobJson;
import dev.easel.jobs.JobService;
import dev.easel.jobs.JobStatus;
import dev.easel.jobs.JobView;
import dev.easel.json.Json;
import dev.easel.net.HttpUrls;
import dev.easel.webhooks.WebhookService;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** Generation and jobs: submit, read, list, cancel or delete, follow as SSE, their webhooks, and their images. */
final class JobRoutes {
    private static final Logger log = LoggerFactory.getLogger(JobRoutes.class);
    static final String GENERATE_PATH = "/generate/image/krea/krea-2/medium";
    static final int MAX_WEBHOOK_URL = 2048;
    static final int MAX_IDEMPOTENCY_KEY = 255;
    private static final Pattern IMAGE_FILE = Pattern.compile("([A-Za-z0-9_-]{16,128})\\.(png|jpg|webp)");

    private final JobService jobs;
    private final WebhookService webhooks;
    private final GenerateRequestParser parser;
    private final BlobStore blobs;
    private final JobJson json;

    JobRoutes(JobService jobs, WebhookService webhooks, GenerateRequestParser parser, BlobStore blobs, JobJson json) {
        this.jobs = jobs;
        this.webhooks = webhooks;
        this.parser = parser;
        this.blobs = blobs;
        this.json = json;
    }

    void register(RouteTable routes) {
        routes.post(GENERATE_PATH, Access.ACCOUNT, this::generate)
                .get("/jobs", Access.ACCOUNT, this::list)
                .get("/jobs/{id}", Access.ACCOUNT, (ctx, accountId) -> Responses.json(ctx, 200, json.of(own(accountId, ctx.pathParam("id")))))
                .delete("/jobs/{id}", Access.ACCOUNT,
                        (ctx, accountId) -> Responses.json(ctx, 200, json.of(jobs.cancelOrDelete(accountId, ctx.pathParam("id")).view())))
                .get("/jobs/{id}/request", Access.ACCOUNT, (ctx, accountId) -> Responses.json(ctx, 200, JobJson.request(
                        jobs.get(accountId, ctx.pathParam("id")).orElseThrow(() -> new DomainError.NotFound("no job " + ctx.pathParam("id"))).request())))
                .get("/jobs/{id}/events", Access.ACCOUNT, this::events)
                .get("/jobs/{id}/webhook", Access.ACCOUNT, this::webhook)
                .post("/jobs/{id}/webhook/redeliver", Access.ACCOUNT, this::redeliver)
                .get("/images/{file}", Access.PUBLIC, this::image);
    }

    private void generate(Context ctx, String accountId) {
        String webhookUrl = ctx.header("X-Webhook-URL");
        if (webhookUrl != null && (webhookUrl.length() > MAX_WEBHOOK_URL || !HttpUrls.isHttpUrl(webhookUrl))) {
            throw new DomainError.Invalid("X-Webhook-URL must be an absolute http or https URL of at most "
                    + MAX_WEBHOOK_URL + " characters (got " + Json.quote(webhookUrl) + ")");
        }
        String idempotencyKey = ctx.header("Idempotency-Key");
        if (idempotencyKey != null && (idempotencyKey.isEmpty() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY
                || !idempotencyKey.chars().allMatch(c -> c > 32 && c < 127))) {
            throw new DomainError.Invalid("Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY
                    + " printable ASCII characters without spaces (got " + Json.quote(idempotencyKey) + ")");
        }
        byte[] body = ctx.bodyAsBytes();
        GenerateRequestParser.Parsed parsed = parser.parse(body, accountId);
        JobService.Submitted submitted = jobs.submit(new JobService.Submission(accountId, parsed.request(), webhookUrl, idempotencyKey, Tokens.sha256Hex(body)));
        MDC.put("job_id", submitted.job().id());
        if (parsed.usedDeprecatedAlias()) {
            ctx.header("Deprecation", "true");
            ctx.header("Sunset", GenerateRequestParser.SUNSET_HEADER_VALUE);
        }
        if (submitted.replayed()) ctx.header("Idempotent-Replayed", "true");
        Responses.json(ctx, 200, json.of(submitted.job().view()));
    }

    private JobView own(String accountId, String id) {
        return jobs.view(accountId, id).orElseThrow(() -> new DomainError.NotFound("no job " + id));
    }

    private void list(Context ctx, String accountId) {
        List<String> problems = new ArrayList<>();
        int limit = Params.limit(ctx, problems);
        Instant cursor = Params.jobCursor(ctx, problems);
        JobStatus status = null;
        String statusParam = ctx.queryParam("status");
        if (statusParam != null) {
            status = JobStatus.fromWire(statusParam).orElse(null);
            if (status == null) {
                problems.add("status must be one of " + String.join(", ", Arrays.stream(JobStatus.values()).map(s -> s.wire).toList())
                        + " (got " + Json.quote(statusParam) + ")");
            }
        }
        List<String> types = List.of();
        String typesParam = ctx.queryParam("types");
        if (typesParam != null) types = Arrays.stream(typesParam.split(",")).map(String::strip).filter(t -> !t.isEmpty()).toList();
        if (!problems.isEmpty()) throw new DomainError.Invalid(problems);

        List<JobView> page = jobs.list(accountId, cursor, status, types, limit + 1);
        boolean more = page.size() > limit;
        if (more) page = page.subList(0, limit);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode items = out.putArray("items");
        page.forEach(j -> items.add(json.of(j)));
        out.put("next_cursor", more ? Json.time(page.get(page.size() - 1).createdAt()) : null);
        Responses.json(ctx, 200, out);
    }

    private void webhook(Context ctx, String accountId) {
        Job job = withWebhook(accountId, ctx.pathParam("id"));
        Responses.json(ctx, 200, Views.webhook(job, webhooks.status(job.id()).orElse(null)));
    }

    private void redeliver(Context ctx, String accountId) {
        Job job = withWebhook(accountId, ctx.pathParam("id"));
        if (!job.status().isTerminal()) {
            throw new DomainError.Conflict("job " + job.id() + " has not ended yet (status " + job.status().wire
                    + "): its webhook is sent when it completes, fails or is cancelled");
        }
        Responses.json(ctx, 202, Views.webhook(job, webhooks.redeliver(job, json.text(job.view()))));
    }

    private Job withWebhook(String accountId, String id) {
        Job job = jobs.get(accountId, id).orElseThrow(() -> new DomainError.NotFound("no job " + id));
        if (job.webhookUrl() == null) {
            throw new DomainError.NotFound("job " + id + " has no webhook: it was submitted without an X-Webhook-URL header");
        }
        return job;
    }

    /**
     * Server-Sent Events: the job object once now and again at every change of status or progress;
     * the stream ends after a terminal state (or an {@code event: deleted} when the job is deleted).
     */
    private void events(Context ctx, String accountId) throws InterruptedException {
        String id = ctx.pathParam("id");
        own(accountId, id);
        try {
            stream(ctx, accountId, id);
        } catch (IOException e) {
            log.debug("event stream closed by the client: {}", e.toString()); // a normal way for a stream to end
        }
    }

    private void stream(Context ctx, String accountId, String id) throws IOException, InterruptedException {
        HttpServletResponse res = ctx.res();
        res.setStatus(200);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("UTF-8");
        res.setHeader("Cache-Control", "no-cache");
        res.setHeader("X-Accel-Buffering", "no");
        OutputStream out = res.getOutputStream();
        if (ctx.method().name().equals("HEAD")) return; // the headers a GET would send, no stream
        String last = null;
        long lastWrite = System.nanoTime();
        while (true) {
            CompletableFuture<Void> next = jobs.events().nextChange(id);
            Optional<JobView> job = jobs.view(accountId, id);
            if (job.isEmpty()) {
                send(out, "event: deleted\ndata: {\"job_id\":\"" + id + "\"}\n\n");
                return;
            }
            String data = json.text(job.get());
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
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void send(OutputStream out, String event) throws IOException {
        out.write(event.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** A result image or an asset, by its capability URL: no key needed, as with Krea's CDN links. */
    private void image(Context ctx, String none) {
        var m = IMAGE_FILE.matcher(ctx.pathParam("file"));
        BlobStore.Blob blob = m.matches() ? blobs.read(m.group(1)).orElse(null) : null;
        if (blob == null) throw new DomainError.NotFound("no such image");
        ctx.header("Content-Length", Long.toString(blob.size()));
        ctx.header("Cache-Control", "public, max-age=31536000, immutable");
        ctx.contentType(switch (m.group(2)) {
            case "jpg" -> "image/jpeg";
            case "webp" -> "image/webp";
            default -> "image/png";
        }).result(blob.data());
    }
}
