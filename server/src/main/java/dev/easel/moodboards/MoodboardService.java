package dev.easel.moodboards;

import dev.easel.errors.DomainError;
import dev.easel.json.Json;
import dev.easel.net.HttpUrls;
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

    /**
     * What a client asks for: a title and exactly one of image URLs and asset ids (the other null).
     * {@code readProblems}: what reading the request found (an item that was not a string, null in its list), reported
     * together with the problems found here, so that a client fixes the body in one round trip.
     */
    public record Draft(String title, List<String> imageUrls, List<String> assetIds, List<String> readProblems) {}

    /** Every problem is reported at once. */
    public Moodboard create(String accountId, Draft draft) {
        List<String> problems = new ArrayList<>();
        String title = draft.title();
        if (title == null || title.isBlank() || title.length() > MAX_TITLE) {
            problems.add("title is required: a non-blank string of at most " + MAX_TITLE + " characters");
        }
        List<String> urls = draft.imageUrls(), ids = draft.assetIds();
        if ((urls == null) == (ids == null)) {
            problems.addAll(draft.readProblems());
            problems.add("send exactly one of image_urls and asset_ids: an array of 1 to " + MAX_IMAGES + " items");
            throw new DomainError.Invalid(problems);
        }
        String field = urls != null ? "image_urls" : "asset_ids";
        List<String> list = urls != null ? urls : ids;
        if (list.isEmpty() || list.size() > MAX_IMAGES) {
            problems.add(field + " must be an array of 1 to " + MAX_IMAGES + " items (got " + list.size() + " items)");
            throw new DomainError.Invalid(problems);
        }
        return db.tx(tx -> {
            List<Moodboard.Image> images = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String item = list.get(i);
                if (item == null) continue; // not a string: in readProblems
                String at = field + "[" + i + "]";
                if (urls != null) {
                    if (item.length() > MAX_URL || !HttpUrls.isHttpUrl(item)) {
                        problems.add(at + " must be an absolute http or https URL of at most " + MAX_URL + " characters (got "
                                + Json.quote(item) + ")");
                    } else {
                        images.add(new Moodboard.Image(null, item));
                    }
                } else if (assets.find(tx, item).filter(a -> a.accountId().equals(accountId)).isEmpty()) {
                    problems.add(at + " " + Json.quote(item) + " is not an asset of yours");
                } else {
                    images.add(new Moodboard.Image(item, null));
                }
            }
            problems.addAll(draft.readProblems());
            if (!problems.isEmpty()) throw new DomainError.Invalid(problems);
            Moodboard m = new Moodboard(UUID.randomUUID().toString(), accountId, title.strip(), images, clock.instant());
            store.insert(tx, m);
            return m;
        });
    }

    public Page<Moodboard> list(String accountId, Page.After after, int limit) {
        List<Moodboard> rows = db.read(tx -> store.list(tx, accountId, after, limit + 1));
        return Page.of(rows, limit, m -> new Page.After(m.createdAt().toEpochMilli(), m.id()));
    }

    /** The moodboard if it exists and belongs to the account (moodboards are never shared). */
    public Optional<Moodboard> get(String accountId, String id) {
        return db.read(tx -> store.find(tx, id)).filter(m -> m.accountId().equals(accountId));
    }

    public boolean usable(String accountId, String id) {
        return get(accountId, id).isPresent();
    }

    public void delete(String accountId, String id) {
        db.tx(tx -> {
            store.find(tx, id).filter(m -> m.accountId().equals(accountId))
                    .orElseThrow(() -> new DomainError.NotFound("no moodboard " + id));
            store.delete(tx, id);
            return null;
        });
    }
}
