package dev.easel.styles;

import dev.easel.errors.DomainError;
import dev.easel.blobs.BlobStore;
import dev.easel.blobs.Upload;
import dev.easel.store.Database;
import dev.easel.store.Page;
import dev.easel.store.StyleStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Styles are LoRAs: an uploaded {@code .safetensors} file whose header is checked for real, stored
 * as a blob, private to its owner unless made public. The built-in styles ({@link BuiltinStyles})
 * need no upload and are usable by everyone.
 */
public final class StyleService {
    /** 1 GB: LoRAs of a large model run to hundreds of megabytes. */
    public static final long MAX_BYTES = 1_000_000_000L;
    public static final int MAX_TITLE = 200;
    public static final int MAX_PROMPT = 2000;

    private final Database db;
    private final StyleStore store;
    private final BlobStore blobs;
    private final Clock clock;

    public StyleService(Database db, StyleStore store, BlobStore blobs, Clock clock) {
        this.db = db;
        this.store = store;
        this.blobs = blobs;
        this.clock = clock;
    }

    public Style create(String accountId, Upload file, String title, String prompt) {
        checkText(title, prompt);
        if (file.size() > MAX_BYTES) {
            throw new DomainError.TooLarge(("file is " + file.size() + " bytes; a LoRA may be at most "
                    + MAX_BYTES + " bytes (1 GB)"));
        }
        Safetensors.LoraInfo lora;
        try (InputStream in = file.open().get()) {
            lora = Safetensors.inspect(in, file.size());
        } catch (Safetensors.NotALora e) {
            throw new DomainError.Invalid("file is not a LoRA in safetensors format: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return blobs.putAndRecord(file, "application/octet-stream", key -> {
            Style style = new Style(UUID.randomUUID().toString(), accountId, title.strip(), prompt, false, key, lora.format(),
                    lora.rank(), lora.tensorCount(), lora.sizeBytes(), clock.instant());
            db.tx(tx -> {
                store.insert(tx, style);
                return null;
            });
            return style;
        });
    }

    private static void checkText(String title, String prompt) {
        if (title == null || title.isBlank() || title.length() > MAX_TITLE) {
            throw new DomainError.Invalid("title is required: a non-blank string of at most " + MAX_TITLE + " characters");
        }
        if (prompt != null && prompt.length() > MAX_PROMPT) {
            throw new DomainError.Invalid("prompt may be at most " + MAX_PROMPT + " characters (got " + prompt.length() + ")");
        }
    }

    /**
     * The account's styles and the public ones, newest first, then the built-in styles: they are
     * dated 1970-01-01, so that they come last and a cursor can point between them.
     */
    public Page<Style> list(String accountId, Page.After after, int limit) {
        List<Style> rows = new java.util.ArrayList<>(db.read(tx -> store.listVisible(tx, accountId, after, limit + 1)));
        BuiltinStyles.all().stream()
                .filter(b -> after.millis() > 0 || b.id().compareTo(after.id()) < 0)
                .limit(Math.max(0, limit + 1 - rows.size()))
                .forEach(rows::add);
        return Page.of(rows, limit, x -> new Page.After(x.createdAt().toEpochMilli(), x.id()));
    }

    /** The style if the account may see it: a built-in one, its own, or a public one. */
    public Optional<Style> get(String accountId, String id) {
        Optional<Style> builtin = BuiltinStyles.find(id);
        if (builtin.isPresent()) return builtin;
        return db.read(tx -> store.find(tx, id)).filter(s -> s.accountId().equals(accountId) || s.isPublic());
    }

    /** The LoRA file of an uploaded style the account may see; empty for a built-in or unknown style. */
    public Optional<InputStream> openFile(String accountId, String id) {
        return get(accountId, id).filter(s -> s.blobKey() != null).flatMap(s -> blobs.read(s.blobKey())).map(BlobStore.Blob::data);
    }

    /** Whether {@code id} may be used in a generation by the account: a built-in style, its own, or a public one. */
    public boolean usable(String accountId, String id) {
        return BuiltinStyles.contains(id) || get(accountId, id).isPresent();
    }

    /** Changes title, prompt and visibility; each null leaves that one as it is. Owner only. */
    public Style update(String accountId, String id, String title, String prompt, Boolean isPublic) {
        return db.tx(tx -> {
            Style s = owned(store.find(tx, id), accountId, id);
            Style changed = s.withChanges(title == null ? s.title() : title.strip(), prompt == null ? s.prompt() : prompt,
                    isPublic == null ? s.isPublic() : isPublic);
            checkText(changed.title(), changed.prompt());
            store.update(tx, changed);
            return changed;
        });
    }

    public void delete(String accountId, String id) {
        Style s = db.tx(tx -> {
            Style owned = owned(store.find(tx, id), accountId, id);
            store.delete(tx, id);
            return owned;
        });
        blobs.delete(s.blobKey());
    }

    /** Another account's style, public or not, cannot be changed: it is a 404 like a style that does not exist. */
    private static Style owned(Optional<Style> style, String accountId, String id) {
        return style.filter(s -> s.accountId().equals(accountId)).orElseThrow(() -> new DomainError.NotFound("no style " + id
                + " of yours"));
    }
}
