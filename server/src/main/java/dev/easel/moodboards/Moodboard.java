package dev.easel.moodboards;

import java.time.Instant;
import java.util.List;

/** A titled set of 1 to 50 images, each one of the owner's assets or a URL; generation takes its palette. */
public record Moodboard(String id, String accountId, String title, List<Image> images, Instant createdAt) {
    public Moodboard {
        images = List.copyOf(images);
    }

    /** Exactly one of the two is set. */
    public record Image(String assetId, String url) {}
}
