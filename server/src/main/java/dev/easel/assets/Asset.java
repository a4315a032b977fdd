package dev.easel.assets;

import java.time.Instant;

/** An uploaded image; its bytes are in the blob store under {@code blobKey}. */
public record Asset(String id, String accountId, String blobKey, String mimeType, int width, int height, long sizeBytes,
                    String description, Instant uploadedAt) {
    public String extension() {
        return ImageProbe.extension(mimeType);
    }
}
