package dev.easel.blobs;

import java.io.InputStream;
import java.util.Optional;

/** Where result images live, by key. Keys are unguessable tokens: knowing one is the capability to read. */
public interface BlobStore {
    void put(String key, byte[] data);

    /** The blob's bytes as a stream, or empty when there is none. */
    Optional<InputStream> open(String key);

    Optional<Long> size(String key);

    void delete(String key);
}
