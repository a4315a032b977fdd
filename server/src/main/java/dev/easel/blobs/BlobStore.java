package dev.easel.blobs;

import java.io.InputStream;
import java.util.Optional;

/**
 * Where files live (result images, uploaded assets and LoRAs), by key. Keys are unguessable tokens:
 * knowing one is the capability to read.
 */
public interface BlobStore {
    /** Stores the stream's bytes under {@code key}, whole or not at all. */
    void put(String key, InputStream data);

    default void put(String key, byte[] data) {
        put(key, new java.io.ByteArrayInputStream(data));
    }

    /**
     * Stores an upload under a new key, then runs {@code record} with that key (the row that refers to
     * the blob). If recording fails, the blob is deleted again: no file is left that nothing refers to.
     */
    default <T> T putAndRecord(Upload file, java.util.function.Function<String, T> record) {
        String key = dev.easel.crypto.Tokens.random();
        try (InputStream in = file.open().get()) {
            put(key, in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        try {
            return record.apply(key);
        } catch (RuntimeException e) {
            delete(key);
            throw e;
        }
    }

    /** The blob's bytes as a stream, or empty when there is none. */
    Optional<InputStream> open(String key);

    Optional<Long> size(String key);

    void delete(String key);
}
