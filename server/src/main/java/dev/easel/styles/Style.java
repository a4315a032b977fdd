package dev.easel.styles;

import java.time.Instant;

/** An uploaded LoRA style; the .safetensors file is in the blob store under {@code blobKey}. */
public record Style(String id, String accountId, String title, String prompt, boolean isPublic, String blobKey,
                    String loraFormat, int loraRank, int tensorCount, long sizeBytes, Instant createdAt) {

    public Style withChanges(String newTitle, String newPrompt, boolean newPublic) {
        return new Style(id, accountId, newTitle, newPrompt, newPublic, blobKey, loraFormat, loraRank, tensorCount, sizeBytes,
                createdAt);
    }
}
