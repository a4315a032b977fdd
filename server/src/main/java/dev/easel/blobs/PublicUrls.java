package dev.easel.blobs;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The absolute URLs at which clients read blobs (result images, previews, assets): whoever has one may
 * read the file, as with Krea's CDN links. Three ways, chosen by {@code --blob-urls}.
 */
public sealed interface PublicUrls {
    String file(String blobKey, String extension);

    default String png(String blobKey) {
        return file(blobKey, "png");
    }

    /**
     * Capability URLs served by easel itself ({@code /images/<key>.png}): the bucket can stay private.
     * @param base the absolute base URL clients reach this server at (known once the port is bound)
     */
    record Served(Supplier<String> base) implements PublicUrls {
        @Override
        public String file(String blobKey, String extension) {
            String b = base.get();
            return (b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/images/" + blobKey + "." + extension;
        }
    }

    /** Presigned GET URLs straight to the bucket, each valid for {@code expiry} from when it was made (a job's JSON carries a fresh one). */
    record Presigned(S3BlobStore bucket, Duration expiry) implements PublicUrls {
        @Override
        public String file(String blobKey, String extension) {
            return bucket.presignedUrl(blobKey, expiry);
        }
    }

    /** A public bucket (or a CDN in front of it): {@code <base>/<object key>}. */
    record PublicBucket(String base, S3BlobStore bucket) implements PublicUrls {
        @Override
        public String file(String blobKey, String extension) {
            return (base.endsWith("/") ? base : base + "/") + bucket.objectKey(blobKey);
        }
    }
}
