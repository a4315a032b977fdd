package dev.easel.blobs;

import java.util.function.Supplier;

/** The absolute, capability URLs at which clients read blobs: whoever has one may read the file, as with Krea's CDN links. */
public final class PublicUrls {
    private final Supplier<String> base;

    /** @param base the absolute base URL clients reach this server at (known once the port is bound) */
    public PublicUrls(Supplier<String> base) {
        this.base = base;
    }

    public String file(String blobKey, String extension) {
        String b = base.get();
        return (b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/images/" + blobKey + "." + extension;
    }

    public String png(String blobKey) {
        return file(blobKey, "png");
    }
}
