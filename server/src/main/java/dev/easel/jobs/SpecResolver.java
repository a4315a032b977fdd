package dev.easel.jobs;

import dev.easel.assets.Asset;
import dev.easel.assets.AssetService;
import dev.easel.assets.ImageProbe;
import dev.easel.blobs.BlobStore;
import dev.easel.engine.RenderSpec;
import dev.easel.moodboards.Moodboard;
import dev.easel.moodboards.MoodboardService;
import dev.easel.net.SafeHttpClient;
import dev.easel.net.SafeHttpClient.Fetched;
import dev.easel.styles.BuiltinStyles;
import dev.easel.styles.Style;
import dev.easel.styles.StyleService;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Turns a job's request into the {@link RenderSpec} an engine renders, in the worker, while the job
 * is {@code processing}: each uploaded style's LoRA file, each {@code image_style_references} URL
 * fetched (through {@link SafeHttpClient}: guarded addresses, {@link #MAX_IMAGE_BYTES},
 * {@link #FETCH_TIMEOUT}, image types only) and each moodboard image (an asset from the blob store,
 * or a URL fetched the same way), all decoded for real. Fetches run in parallel.
 *
 * <p>Whatever cannot be had fails the job with {@code reference_unavailable}: a URL that does not
 * give an image, and a style or moodboard deleted (or a style made private) after the job was submitted.
 */
public final class SpecResolver {
    public static final long MAX_IMAGE_BYTES = 20_000_000L;
    public static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);
    static final int PARALLEL_LOADS = 8;

    /**
     * A reference the job needs cannot be had; the message says which and why, for the job's error.
     * It names a URL's host only, never its path or query (which may carry the site's own token).
     */
    public static final class ReferenceUnavailable extends Exception {
        public ReferenceUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    private final StyleService styles;
    private final MoodboardService moodboards;
    private final AssetService assets;
    private final BlobStore blobs;
    private final SafeHttpClient http;

    public SpecResolver(StyleService styles, MoodboardService moodboards, AssetService assets, BlobStore blobs, SafeHttpClient http) {
        this.styles = styles;
        this.moodboards = moodboards;
        this.assets = assets;
        this.blobs = blobs;
        this.http = http;
    }

    /** @param prompt the prompt after expansion */
    public RenderSpec resolve(Job job, String prompt) throws ReferenceUnavailable, InterruptedException {
        GenerateRequest req = job.request();
        List<RenderSpec.Style> resolvedStyles = new ArrayList<>();
        for (GenerateRequest.StyleRef ref : req.styles()) resolvedStyles.add(style(job.accountId(), ref));

        // Every image to load, in request order: the style references, then each moodboard's images.
        List<Source> sources = new ArrayList<>();
        for (int i = 0; i < req.imageStyleReferences().size(); i++) {
            sources.add(remote("image_style_references[" + i + "]", req.imageStyleReferences().get(i).url()));
        }
        List<Moodboard> found = new ArrayList<>();
        for (GenerateRequest.MoodboardRef ref : req.moodboards()) {
            Moodboard board = moodboards.get(job.accountId(), ref.id())
                    .orElseThrow(() -> new ReferenceUnavailable("moodboard " + ref.id() + " was deleted after the job was submitted"));
            for (int i = 0; i < board.images().size(); i++) {
                Moodboard.Image image = board.images().get(i);
                String what = "moodboard " + board.id() + " image " + i;
                sources.add(image.url() != null ? remote(what, image.url()) : asset(job.accountId(), what, image.assetId()));
            }
            found.add(board);
        }
        List<RenderSpec.Pixels> pixels = load(sources);

        List<RenderSpec.ImageReference> references = new ArrayList<>();
        for (int i = 0; i < req.imageStyleReferences().size(); i++) {
            references.add(new RenderSpec.ImageReference(pixels.get(i), req.imageStyleReferences().get(i).strength()));
        }
        List<RenderSpec.MoodboardImages> boards = new ArrayList<>();
        int from = req.imageStyleReferences().size();
        for (int m = 0; m < req.moodboards().size(); m++) {
            int size = found.get(m).images().size();
            boards.add(new RenderSpec.MoodboardImages(pixels.subList(from, from + size), req.moodboards().get(m).strength()));
            from += size;
        }
        return new RenderSpec(req.aspectRatio().width, req.aspectRatio().height, req.seed(), prompt, req.intensity(),
                req.complexity(), resolvedStyles, references, boards);
    }

    private RenderSpec.Style style(String accountId, GenerateRequest.StyleRef ref) throws ReferenceUnavailable {
        if (BuiltinStyles.contains(ref.id())) return new RenderSpec.Style(ref.id(), ref.strength());
        Style style = styles.get(accountId, ref.id()).orElseThrow(() -> new ReferenceUnavailable(
                "style " + ref.id() + " was deleted or made private after the job was submitted"));
        return new RenderSpec.Style(style.id(), ref.strength(),
                new RenderSpec.Lora(style.loraFormat(), style.loraRank(), stored(style.blobKey(), "style " + style.id())));
    }

    /** Opens a blob that a row refers to; its absence is a broken store, not a user's mistake. */
    private Supplier<InputStream> stored(String blobKey, String owner) {
        return () -> blobs.read(blobKey).map(BlobStore.Blob::data)
                .orElseThrow(() -> new UncheckedIOException(new IOException("the file of " + owner + " is missing")));
    }

    /** Where one image comes from: {@code what} names it in error messages. */
    private sealed interface Source {
        String what();

        record Remote(String what, URI url) implements Source {}

        record Stored(String what, Supplier<InputStream> open) implements Source {}
    }

    private static Source remote(String what, String url) throws ReferenceUnavailable {
        try {
            return new Source.Remote(what, new URI(url));
        } catch (URISyntaxException e) {
            throw new ReferenceUnavailable(what + " is not a valid URL: " + e.getReason());
        }
    }

    private Source asset(String accountId, String what, String assetId) throws ReferenceUnavailable {
        Asset asset = assets.get(accountId, assetId)
                .orElseThrow(() -> new ReferenceUnavailable(what + ": asset " + assetId + " no longer exists"));
        return new Source.Stored(what, stored(asset.blobKey(), "asset " + assetId));
    }

    /**
     * Loads the sources on virtual threads, {@link #PARALLEL_LOADS} at a time (each may hold up to
     * 20 MB while it downloads); the first failure, in request order, wins and stops the rest.
     */
    private List<RenderSpec.Pixels> load(List<Source> sources) throws ReferenceUnavailable, InterruptedException {
        if (sources.isEmpty()) return List.of();
        Semaphore permits = new Semaphore(PARALLEL_LOADS);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<RenderSpec.Pixels>> loading = new ArrayList<>();
            for (Source s : sources) {
                loading.add(pool.submit(() -> {
                    permits.acquire();
                    try {
                        return load(s);
                    } finally {
                        permits.release();
                    }
                }));
            }
            List<RenderSpec.Pixels> loaded = new ArrayList<>();
            try {
                for (Future<RenderSpec.Pixels> f : loading) loaded.add(f.get());
            } catch (ExecutionException e) {
                loading.forEach(f -> f.cancel(true));
                if (e.getCause() instanceof ReferenceUnavailable r) throw r;
                throw new IllegalStateException("loading a reference image failed", e.getCause());
            } catch (InterruptedException e) {
                loading.forEach(f -> f.cancel(true)); // easel is stopping: the job goes back to the queue
                throw e;
            }
            return loaded;
        }
    }

    private RenderSpec.Pixels load(Source source) throws ReferenceUnavailable, InterruptedException {
        return switch (source) {
            case Source.Stored stored -> decode(stored.what(), stored.open());
            case Source.Remote remote -> switch (http.getImage(remote.url(), MAX_IMAGE_BYTES, FETCH_TIMEOUT)) {
                case Fetched.Failed failed -> throw new ReferenceUnavailable(remote.what() + " could not be fetched from "
                        + remote.url().getHost() + ": " + failed.reason());
                case Fetched.Body body -> decode(remote.what() + " from " + remote.url().getHost(),
                        () -> new ByteArrayInputStream(body.bytes()));
            };
        };
    }

    private static RenderSpec.Pixels decode(String what, Supplier<InputStream> open) throws ReferenceUnavailable {
        try {
            return pixels(ImageProbe.probe(open).sample());
        } catch (ImageProbe.NotAnImage e) {
            throw new ReferenceUnavailable(what + " is not a usable image: " + e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("cannot read " + what, e);
        }
    }

    private static RenderSpec.Pixels pixels(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        return new RenderSpec.Pixels(w, h, image.getRGB(0, 0, w, h, null, 0, w));
    }
}
