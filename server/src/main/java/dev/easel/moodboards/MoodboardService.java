package dev.easel.moodboards;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.api.ApiError;
import dev.easel.api.ApiException;
import dev.easel.api.GenerateRequestParser;
import dev.easel.store.AssetStore;
import dev.easel.store.Database;
import dev.easel.store.MoodboardStore;
import dev.easel.store.Page;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Moodboards (ours: Krea makes them in its web app only): made of the owner's assets or of image URLs. */
public final class MoodboardService {
    public static final int MAX_IMAGES = 50;
    public static final int MAX_TITLE = 200;
    public static final int MAX_URL = 2048;

    private final Database db;
    private final MoodboardStore store;
    private final AssetStore assets;
    private final Clock clock;

    public MoodboardService(Database db, MoodboardStore store, AssetStore assets, Clock clock) {
        this.db = db;
        this.store = store;
        this.assets = assets;
        this.clock = clock;
    }

    /** From the JSON body {@code {"title", "image_urls" | "asset_ids"}}; every problem is reported at once. */
    public Moodboard create(String accountId, JsonNode body) {
        List<String> problems = new ArrayList<>();
        JsonNode title = body.get("title");
        if (title == null || !title.isTextual() || title.textValue().isBlank() || title.textValue().length() > MAX_TITLE) {
            problems.add("title is required: a non-blank string of at most " + MAX_TITLE + " characters");
        }
        JsonNode urls = body.get("image_urls"), ids = body.get("asset_ids");
        if ((urls == null) == (ids == null)) {
            problems.add("send exactly one of image_urls and asset_ids: an array of 1 to " + MAX_IMAGES + " items");
            throw new ApiException(new ApiError.BadRequest(problems));
        }
        String field = urls != null ? "image_urls" : "asset_ids";
        JsonNode list = urls != null ? urls : ids;
        if (!list.isArray() || list.isEmpty() || list.size() > MAX_IMAGES) {
            problems.add(field + " must be an array of 1 to " + MAX_IMAGES + " items (got "
                    + (list.isArray() ? list.size() + " items" : GenerateRequestParser.typeName(list)) + ")");
            throw new ApiException(new ApiError.BadRequest(problems));
        }
        return db.tx(tx -> {
            List<Moodboard.Image> images = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                JsonNode item = list.get(i);
                String at = field + "[" + i + "]";
                if (!item.isTextual()) {
                    problems.add(at + " must be a string (got " + GenerateRequestParser.typeName(item) + ")");
                } else if (urls != null) {
                    String url = item.textValue();
                    if (url.length() > MAX_URL || !GenerateRequestParser.isHttpUrl(url)) {
                        problems.add(at + " must be an absolute http or https URL of at most " + MAX_URL + " characters (got "
                                + GenerateRequestParser.quote(url) + ")");
                    } else {
                        images.add(new Moodboard.Image(null, url));
                    }
                } else {
                    String id = item.textValue();
                    if (assets.find(tx, id).filter(a -> a.accountId().equals(accountId)).isEmpty()) {
                        problems.add(at + " " + GenerateRequestParser.quote(id) + " is not an asset of yours");
                    } else {
                        images.add(new Moodboard.Image(id, null));
                    }
                }
            }
            if (!problems.isEmpty()) throw new ApiException(new ApiError.BadRequest(problems));
            Moodboard m = new Moodboard(UUID.randomUUID().toString(), accountId, title.textValue().strip(), images, clock.instant());
            store.insert(tx, m);
            return m;
        });
    }

    public Page<Moodboard> list(String accountId, Page.After after, int limit) {
        List<Moodboard> rows = db.tx(tx -> store.list(tx, accountId, after, limit + 1));
        return Page.of(rows, limit, m -> new Page.After(m.createdAt().toEpochMilli(), m.id()));
    }

    /** The moodboard if it exists and belongs to the account (moodboards are never shared). */
    public Optional<Moodboard> get(String accountId, String id) {
        return db.tx(tx -> store.find(tx, id)).filter(m -> m.accountId().equals(accountId));
    }

    public boolean usable(String accountId, String id) {
        return get(accountId, id).isPresent();
    }

    public void delete(String accountId, String id) {
        db.tx(tx -> {
            store.find(tx, id).filter(m -> m.accountId().equals(accountId))
                    .orElseThrow(() -> ApiException.notFound("no moodboard " + id));
            store.delete(tx, id);
            return null;
        });
    }
}
