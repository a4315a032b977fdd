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

    /** The blob's bytes as a stream, or empty when there is none. */
    Optional<InputStream> open(String key);

    Optional<Long> size(String key);

    void delete(String key);
}
