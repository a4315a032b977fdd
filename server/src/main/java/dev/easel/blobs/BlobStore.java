package dev.easel.blobs;

import dev.easel.crypto.Tokens;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where files live (result images, previews, uploaded assets and LoRAs), by key: a directory on one
 * machine ({@link LocalBlobStore}) or an S3-compatible bucket shared by every node ({@link S3BlobStore}).
 * Keys are unguessable tokens: knowing one is the capability to read.
 */
public sealed interface BlobStore extends AutoCloseable permits LocalBlobStore, S3BlobStore {
    /** What a key looks like; anything else names no blob. */
    Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{16,128}");

    /**
     * Stores {@code size} bytes from the stream under {@code key}, whole or not at all.
     * @param contentType what a reader of the object gets told it is (a bucket serves it with this type)
     * @throws Unavailable when the store cannot be reached; the caller may try again later
     */
    void put(String key, InputStream data, long size, String contentType);

    default void put(String key, byte[] data, String contentType) {
        put(key, new ByteArrayInputStream(data), data.length, contentType);
    }

    /**
     * Stores an upload under a new key, then runs {@code record} with that key (the row that refers to
     * the blob). If recording fails, the blob is deleted again: no file is left that nothing refers to.
     */
    default <T> T putAndRecord(Upload file, String contentType, Function<String, T> record) {
        String key = Tokens.random();
        try (InputStream in = file.open().get()) {
            put(key, in, file.size(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return record.apply(key);
        } catch (RuntimeException e) {
            delete(key);
            throw e;
        }
    }

    /** A stored blob being read: its bytes (the caller closes the stream) and how many there are. */
    record Blob(InputStream data, long size) {}

    /** The blob, or empty when there is none; one request to the store, whatever it is. */
    Optional<Blob> read(String key);

    /** Removes the blob; removing one that is not there is not an error. */
    void delete(String key);

    /** Lets go of connections; nothing is lost (every put is complete when it returns). */
    @Override
    default void close() {}

    /** The store could not be reached or refused the operation: nothing was changed, and trying again later may work. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
