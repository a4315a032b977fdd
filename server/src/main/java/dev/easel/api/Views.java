package dev.easel.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.accounts.Account;
import dev.easel.assets.Asset;
import dev.easel.billing.Money;
import dev.easel.jobs.Job;
import dev.easel.moodboards.Moodboard;
import dev.easel.store.JobStore;
import dev.easel.store.Page;
import dev.easel.styles.Style;
import dev.easel.webhooks.Delivery;
import dev.easel.webhooks.WebhookService;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Supplier;

/** How jobs and accounts look on the wire. The job object is the same for GET, lists, SSE and webhooks. */
public final class Views {
    /** ISO-8601 in UTC with milliseconds, e.g. 2026-11-25T10:15:30.123Z. */
    public static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final Supplier<String> publicUrl;

    /** @param publicUrl the absolute base URL clients reach this server at */
    public Views(Supplier<String> publicUrl) {
        this.publicUrl = publicUrl;
    }

    public String imageUrl(String blobKey) {
        return fileUrl(blobKey, "png");
    }

    /** The capability URL of a blob: whoever has it may read the file, as with Krea's CDN links. */
    public String fileUrl(String blobKey, String extension) {
        String base = publicUrl.get();
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/images/" + blobKey + "." + extension;
    }

    public ObjectNode asset(Asset a) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", a.id());
        o.put("image_url", fileUrl(a.blobKey(), a.extension()));
        o.put("uploaded_at", time(a.uploadedAt()));
        o.put("width", a.width());
        o.put("height", a.height());
        o.put("size_bytes", a.sizeBytes());
        o.put("mime_type", a.mimeType());
        o.put("description", a.description());
        return o;
    }

    /** Krea's style object, plus (ours) what the LoRA file holds. */
    public static ObjectNode style(Style s) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", s.id());
        o.put("title", s.title());
        o.putArray("urls"); // Krea's preview images of a style; an uploaded LoRA comes without any
        o.put("public", s.isPublic());
        o.put("prompt", s.prompt());
        o.put("owner", s.accountId());
        o.put("like_count", 0);
        o.put("created_at", time(s.createdAt()));
        o.putArray("models").add("krea-2");
        ObjectNode lora = o.putObject("lora");
        lora.put("format", s.loraFormat());
        lora.put("rank", s.loraRank());
        lora.put("tensors", s.tensorCount());
        lora.put("size_bytes", s.sizeBytes());
        return o;
    }

    /** The moodboard as it was created: its asset ids or its image URLs, in order (the other list empty). */
    public static ObjectNode moodboard(Moodboard m) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", m.id());
        o.put("title", m.title());
        ArrayNode assetIds = o.putArray("asset_ids"), urls = o.putArray("image_urls");
        for (Moodboard.Image i : m.images()) {
            if (i.assetId() != null) assetIds.add(i.assetId());
            else urls.add(i.url());
        }
        o.put("created_at", time(m.createdAt()));
        return o;
    }

    /** {"items": [...], "next_cursor"}, as every list of the API. */
    public static <T> ObjectNode page(Page<T> page, java.util.function.Function<T, ObjectNode> view) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode items = o.putArray("items");
        page.items().forEach(i -> items.add(view.apply(i)));
        o.put("next_cursor", page.nextCursor());
        return o;
    }

    public ObjectNode job(Job j) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("job_id", j.id());
        o.put("type", j.type());
        o.put("status", j.status().wire);
        o.put("created_at", time(j.createdAt()));
        o.put("completed_at", time(j.completedAt()));
        switch (j.status()) {
            case COMPLETED -> {
                ObjectNode r = o.putObject("result");
                r.putArray("urls").add(imageUrl(j.resultKey()));
                r.put("seed", j.result().seed());
                r.put("prompt", j.result().prompt());
                r.put("width", j.result().width());
                r.put("height", j.result().height());
            }
            case FAILED -> {
                ObjectNode error = o.putObject("error");
                error.put("code", j.errorCode());
                error.put("message", j.errorMessage());
                o.putObject("result").set("error", error.deepCopy());
            }
            case INTERMEDIATE_COMPLETE -> {
                if (j.previewKey() != null) o.putObject("result").putArray("urls").add(imageUrl(j.previewKey()));
                else o.putNull("result");
            }
            default -> o.putNull("result");
        }
        if (!j.status().isTerminal() && j.progressStep() != null) {
            ObjectNode p = o.putObject("progress");
            p.put("step", j.progressStep());
            p.put("steps", j.progressSteps());
        }
        return o;
    }

    /**
     * A job's webhook: {@code status} is {@code waiting} until the job ends, then pending, delivered
     * or failed, with every attempt so far.
     */
    public static ObjectNode webhook(Job j, WebhookService.Status s) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("job_id", j.id());
        o.put("url", j.webhookUrl());
        Delivery d = s == null ? null : s.delivery();
        o.put("webhook_id", d == null ? null : d.id());
        o.put("status", d == null ? "waiting" : d.state().wire);
        boolean pending = d != null && d.state() == Delivery.State.PENDING;
        o.put("next_attempt_at", pending ? time(d.nextAttemptAt()) : null);
        o.put("give_up_at", pending ? time(d.giveUpAt()) : null);
        ArrayNode attempts = o.putArray("attempts");
        if (s != null) {
            for (Delivery.Attempt a : s.attempts()) {
                ObjectNode at = attempts.addObject();
                at.put("at", time(a.at()));
                at.put("status_code", a.statusCode());
                at.put("error", a.error());
                at.put("duration_ms", a.durationMs());
            }
        }
        return o;
    }

    /** The current signing secret, and until when the ones it replaced keep verifying (null if none). */
    public static ObjectNode webhookSecret(List<Delivery.Secret> live) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        Delivery.Secret current = live.get(0);
        o.put("secret", current.secret());
        o.put("created_at", time(current.createdAt()));
        o.put("previous_valid_until", live.stream().skip(1).map(Delivery.Secret::expiresAt).max(Instant::compareTo)
                .map(Views::time).orElse(null));
        return o;
    }

    public static ObjectNode account(Account a, JobStore.Usage usage) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", a.id());
        o.put("name", a.name());
        o.put("balance_usd", Money.usd(a.balanceMicros()));
        o.put("reserved_usd", Money.usd(usage.reservedMicros()));
        o.put("available_usd", Money.usd(a.balanceMicros() - usage.reservedMicros()));
        o.put("max_concurrent_jobs", a.maxConcurrentJobs());
        o.put("max_backlog", a.maxBacklog());
        o.put("running_jobs", usage.active());
        o.put("waiting_jobs", usage.backlogged());
        return o;
    }

    public static String time(Instant t) {
        return t == null ? null : TIME.format(t);
    }
}
