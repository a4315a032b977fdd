package dev.easel.store;

import dev.easel.store.Database.Tx;
import dev.easel.styles.Style;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** SQL for uploaded LoRA styles. Every method runs in the caller's transaction. */
public final class StyleStore {
    private static final String COLUMNS = "id, account_id, title, prompt, public, blob_key, lora_format, lora_rank, "
            + "tensor_count, size_bytes, created_at";

    public void insert(Tx tx, Style s) throws SQLException {
        tx.update("INSERT INTO styles (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", s.id(), s.accountId(),
                s.title(), s.prompt(), s.isPublic() ? 1 : 0, s.blobKey(), s.loraFormat(), s.loraRank(), s.tensorCount(),
                s.sizeBytes(), s.createdAt().toEpochMilli());
    }

    public Optional<Style> find(Tx tx, String id) throws SQLException {
        return tx.one("SELECT " + COLUMNS + " FROM styles WHERE id = ?", StyleStore::style, id);
    }

    /** The account's own styles and everyone's public ones older than {@code after}, newest first. */
    public List<Style> listVisible(Tx tx, String accountId, Page.After after, int limit) throws SQLException {
        return tx.list("SELECT " + COLUMNS + " FROM styles WHERE (account_id = ? OR public = 1) AND (created_at, id) < (?, ?) "
                + "ORDER BY created_at DESC, id DESC LIMIT ?", StyleStore::style, accountId, after.millis(), after.id(), limit);
    }

    public void update(Tx tx, Style s) throws SQLException {
        tx.update("UPDATE styles SET title = ?, prompt = ?, public = ? WHERE id = ?", s.title(), s.prompt(), s.isPublic() ? 1 : 0, s.id());
    }

    public void delete(Tx tx, String id) throws SQLException {
        tx.update("DELETE FROM styles WHERE id = ?", id);
    }

    private static Style style(ResultSet r) throws SQLException {
        return new Style(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getInt(5) == 1, r.getString(6),
                r.getString(7), r.getInt(8), r.getInt(9), r.getLong(10), Instant.ofEpochMilli(r.getLong(11)));
    }
}
