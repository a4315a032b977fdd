package dev.easel.blobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Blobs as files under one directory, fanned out by the key's first two characters. A write goes to
 * a temporary file, is flushed to disk, then renamed into place: a reader never sees half a file,
 * and a crash leaves either the whole blob or none.
 */
public final class LocalBlobStore implements BlobStore {
    private final Path root;

    public LocalBlobStore(Path root) {
        this.root = root;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create blob directory " + root, e);
        }
    }

    @Override
    public void put(String key, InputStream data, long size, String contentType) {
        Path target = path(key);
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempFile(target.getParent(), ".put-", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                long written = data.transferTo(java.nio.channels.Channels.newOutputStream(ch));
                if (written != size) throw new IOException("expected " + size + " bytes, got " + written);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                if (tmp != null) Files.deleteIfExists(tmp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new UncheckedIOException("cannot write blob", e);
        }
    }

    @Override
    public Optional<Blob> read(String key) {
        if (!KEY.matcher(key).matches()) return Optional.empty();
        try {
            FileChannel ch = FileChannel.open(path(key), StandardOpenOption.READ); // the size of the file this stream reads
            return Optional.of(new Blob(java.nio.channels.Channels.newInputStream(ch), ch.size()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read blob", e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            Files.deleteIfExists(path(key));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete blob", e);
        }
    }

    private Path path(String key) {
        if (!KEY.matcher(key).matches()) throw new IllegalArgumentException("not a blob key");
        return root.resolve(key.substring(0, 2)).resolve(key + ".png");
    }
}
