package dev.easel.store;

import dev.easel.moodboards.Moodboard;
import dev.easel.store.Database.Tx;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL for moodboards and their images. Every method runs in the caller's transaction. */
public final class MoodboardStore {
    private record Row(String id, String accountId, String title, long createdAt) {}

    public void insert(Tx tx, Moodboard m) throws SQLException {
        tx.update("INSERT INTO moodboards (id, account_id, title, created_at) VALUES (?, ?, ?, ?)", m.id(), m.accountId(),
                m.title(), m.createdAt().toEpochMilli());
        for (int i = 0; i < m.images().size(); i++) {
            Moodboard.Image image = m.images().get(i);
            tx.update("INSERT INTO moodboard_images (moodboard_id, position, asset_id, url) VALUES (?, ?, ?, ?)", m.id(), i,
                    image.assetId(), image.url());
        }
    }

    public Optional<Moodboard> find(Tx tx, String id) throws SQLException {
        Optional<Row> row = tx.one("SELECT id, account_id, title, created_at FROM moodboards WHERE id = ?", MoodboardStore::row, id);
        return row.isEmpty() ? Optional.empty() : Optional.of(withImages(tx, row.get()));
    }

    /** The account's moodboards older than {@code after}, newest first. */
    public List<Moodboard> list(Tx tx, String accountId, Page.After after, int limit) throws SQLException {
        List<Row> rows = tx.list("SELECT id, account_id, title, created_at FROM moodboards WHERE account_id = ? "
                + "AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?", MoodboardStore::row, accountId,
                after.millis(), after.id(), limit);
        List<Moodboard> out = new ArrayList<>();
        for (Row r : rows) out.add(withImages(tx, r));
        return out;
    }

    public void delete(Tx tx, String id) throws SQLException {
        tx.update("DELETE FROM moodboard_images WHERE moodboard_id = ?", id);
        tx.update("DELETE FROM moodboards WHERE id = ?", id);
    }

    private static Moodboard withImages(Tx tx, Row r) throws SQLException {
        List<Moodboard.Image> images = tx.list("SELECT asset_id, url FROM moodboard_images WHERE moodboard_id = ? ORDER BY position",
                x -> new Moodboard.Image(x.getString(1), x.getString(2)), r.id());
        return new Moodboard(r.id(), r.accountId(), r.title(), images, Instant.ofEpochMilli(r.createdAt()));
    }

    private static Row row(java.sql.ResultSet r) throws SQLException {
        return new Row(r.getString(1), r.getString(2), r.getString(3), r.getLong(4));
    }
}
