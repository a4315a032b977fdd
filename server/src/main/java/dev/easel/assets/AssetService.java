package dev.easel.assets;

import dev.easel.errors.DomainError;
import dev.easel.blobs.BlobStore;
import dev.easel.blobs.Upload;
import dev.easel.store.AssetStore;
import dev.easel.store.Database;
import dev.easel.store.Page;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Uploaded images: checked by content, stored as blobs, listed, and deleted. */
public final class AssetService {
    /** 75 MB, as Krea's limit. */
    public static final long MAX_BYTES = 75_000_000L;
    public static final int MAX_DESCRIPTION = 1000;

    private final Database db;
    private final AssetStore store;
    private final BlobStore blobs;
    private final Clock clock;

    public AssetService(Database db, AssetStore store, BlobStore blobs, Clock clock) {
        this.db = db;
        this.store = store;
        this.blobs = blobs;
        this.clock = clock;
    }

    public Asset upload(String accountId, Upload file, String description) {
        if (file.size() > MAX_BYTES) {
            throw new DomainError.TooLarge(("file is " + file.size() + " bytes; an asset may be at most "
                    + MAX_BYTES + " bytes (75 MB)"));
        }
        if (file.size() == 0) throw new DomainError.Invalid("file is empty");
        if (description != null && description.length() > MAX_DESCRIPTION) {
            throw new DomainError.Invalid("description may be at most " + MAX_DESCRIPTION + " characters (got " + description.length() + ")");
        }
        ImageProbe.Probed image;
        try {
            image = ImageProbe.probe(file.open());
        } catch (ImageProbe.NotAnImage e) {
            throw new DomainError.Invalid("file: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return blobs.putAndRecord(file, image.mimeType(), key -> {
            Asset asset = new Asset(UUID.randomUUID().toString(), accountId, key, image.mimeType(), image.width(),
                    image.height(), file.size(), description, clock.instant());
            db.tx(tx -> {
                store.insert(tx, asset);
                return null;
            });
            return asset;
        });
    }

    public Page<Asset> list(String accountId, Page.After after, int limit) {
        List<Asset> rows = db.read(tx -> store.list(tx, accountId, after, limit + 1));
        return Page.of(rows, limit, x -> new Page.After(x.uploadedAt().toEpochMilli(), x.id()));
    }

    /** The asset if it exists and belongs to the account. */
    public Optional<Asset> get(String accountId, String id) {
        return db.read(tx -> store.find(tx, id)).filter(a -> a.accountId().equals(accountId));
    }

    /** Deletes the asset and its file; refused while a moodboard shows it. */
    public void delete(String accountId, String id) {
        Asset asset = db.tx(tx -> {
            Asset a = store.find(tx, id).filter(x -> x.accountId().equals(accountId))
                    .orElseThrow(() -> new DomainError.NotFound("no asset " + id));
            Optional<String> moodboard = store.usedBy(tx, id);
            if (moodboard.isPresent()) {
                throw new DomainError.Conflict(("asset " + id + " is part of moodboard " + moodboard.get()
                        + "; delete the moodboard first"));
            }
            store.delete(tx, id);
            return a;
        });
        blobs.delete(asset.blobKey());
    }
}
