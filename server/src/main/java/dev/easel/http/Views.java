package dev.easel.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.accounts.Account;
import dev.easel.assets.Asset;
import dev.easel.billing.Money;
import dev.easel.jobs.Job;
import dev.easel.moodboards.Moodboard;
import dev.easel.blobs.PublicUrls;
import dev.easel.json.Json;
import dev.easel.store.AccountStore;
import dev.easel.store.Page;
import dev.easel.styles.Style;
import dev.easel.webhooks.Delivery;
import java.time.Instant;
import java.util.List;

/** How assets, styles, moodboards, webhooks and accounts look on the wire. Jobs: {@link dev.easel.jobs.JobJson}. */
public final class Views {
    private final PublicUrls urls;

    public Views(PublicUrls urls) {
        this.urls = urls;
    }

    public ObjectNode asset(Asset a) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", a.id());
        o.put("image_url", urls.file(a.blobKey(), a.extension()));
        o.put("uploaded_at", Json.time(a.uploadedAt()));
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
        o.put("created_at", Json.time(s.createdAt()));
        o.putArray("models").add("krea-2");
        if (s.loraFormat() == null) return o; // a built-in style: no file
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
        o.put("created_at", Json.time(m.createdAt()));
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

    /**
     * A job's webhook: {@code status} is {@code waiting} until the job ends, then pending, delivered
     * or failed, with every attempt so far.
     */
    public static ObjectNode webhook(Job j, Delivery.History s) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("job_id", j.id());
        o.put("url", j.webhookUrl());
        Delivery d = s == null ? null : s.delivery();
        o.put("webhook_id", d == null ? null : d.id());
        o.put("status", d == null ? "waiting" : d.state().wire);
        boolean pending = d != null && d.state() == Delivery.State.PENDING;
        o.put("next_attempt_at", pending ? Json.time(d.nextAttemptAt()) : null);
        o.put("give_up_at", pending ? Json.time(d.giveUpAt()) : null);
        ArrayNode attempts = o.putArray("attempts");
        if (s != null) {
            for (Delivery.Attempt a : s.attempts()) {
                ObjectNode at = attempts.addObject();
                at.put("at", Json.time(a.at()));
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
        o.put("created_at", Json.time(current.createdAt()));
        o.put("previous_valid_until", live.stream().skip(1).map(Delivery.Secret::expiresAt).max(Instant::compareTo)
                .map(Json::time).orElse(null));
        return o;
    }

    public static ObjectNode account(Account a, AccountStore.Usage usage) {
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
}
