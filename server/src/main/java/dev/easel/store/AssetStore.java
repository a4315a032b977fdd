package dev.easel.store;

import dev.easel.assets.Asset;
import dev.easel.store.Database.Tx;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** SQL for uploaded assets. Every method runs in the caller's transaction. */
public final class AssetStore {
    private static final String COLUMNS = "id, account_id, blob_key, mime_type, width, height, size_bytes, description, uploaded_at";

    public void insert(Tx tx, Asset a) throws SQLException {
        tx.update("INSERT INTO assets (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", a.id(), a.accountId(), a.blobKey(),
                a.mimeType(), a.width(), a.height(), a.sizeBytes(), a.description(), a.uploadedAt().toEpochMilli());
    }

    public Optional<Asset> find(Tx tx, String id) throws SQLException {
        return tx.one("SELECT " + COLUMNS + " FROM assets WHERE id = ?", AssetStore::asset, id);
    }

    /** The account's assets older than {@code after}, newest first. */
    public List<Asset> list(Tx tx, String accountId, Page.After after, int limit) throws SQLException {
        return tx.list("SELECT " + COLUMNS + " FROM assets WHERE account_id = ? AND (uploaded_at, id) < (?, ?) "
                + "ORDER BY uploaded_at DESC, id DESC LIMIT ?", AssetStore::asset, accountId, after.millis(), after.id(), limit);
    }

    /** A moodboard that shows the asset, if any. */
    public Optional<String> usedBy(Tx tx, String assetId) throws SQLException {
        return tx.one("SELECT moodboard_id FROM moodboard_images WHERE asset_id = ? LIMIT 1", r -> r.getString(1), assetId);
    }

    public void delete(Tx tx, String id) throws SQLException {
        tx.update("DELETE FROM assets WHERE id = ?", id);
    }

    private static Asset asset(ResultSet r) throws SQLException {
        return new Asset(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getInt(5), r.getInt(6), r.getLong(7),
                r.getString(8), Instant.ofEpochMilli(r.getLong(9)));
    }
}
