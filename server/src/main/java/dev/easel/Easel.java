package dev.easel;

import dev.easel.accounts.AccountService;
import dev.easel.assets.AssetService;
import dev.easel.blobs.BlobStore;
import dev.easel.blobs.LocalBlobStore;
import dev.easel.blobs.S3BlobStore;
import dev.easel.blobs.PublicUrls;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.engine.Engine;
import dev.easel.engine.gpu.GpuPool;
import dev.easel.engine.gpu.GpuServer;
import dev.easel.engine.gpu.LoraFiles;
import dev.easel.json.Json;
import dev.easel.styles.BuiltinStyles;
import java.io.InputStream;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import dev.easel.engine.sketch.SketchEngine;
import dev.easel.http.GenerateRequestParser;
import dev.easel.http.HttpServer;
import dev.easel.http.RouteTable;
import dev.easel.jobs.ContentFilter;
import dev.easel.jobs.JobEvents;
import dev.easel.jobs.JobJson;
import dev.easel.jobs.JobService;
import dev.easel.jobs.SpecResolver;
import dev.easel.jobs.WorkerPool;
import dev.easel.expand.ChatModel;
import dev.easel.expand.PromptExpansion;
import dev.easel.expand.ReferenceDescriber;
import dev.easel.moodboards.MoodboardService;
import dev.easel.net.AddressGuard;
import dev.easel.net.SafeHttpClient;
import dev.easel.ops.Metrics;
import dev.easel.store.AccountStore;
import dev.easel.store.AssetStore;
import dev.easel.store.Database;
import dev.easel.store.JobStore;
import dev.easel.store.MoodboardStore;
import dev.easel.store.Notifications;
import dev.easel.store.StyleStore;
import dev.easel.store.WebhookStore;
import dev.easel.styles.StyleService;
import dev.easel.webhooks.RetryPolicy;
import dev.easel.webhooks.WebhookDispatcher;
import dev.easel.webhooks.WebhookService;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running easel: the wiring of every part, by plain constructors, in the order they depend on
 * each other. {@link #close()} stops them in reverse.
 */
public final class Easel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Easel.class);
    /** The dev account's starting credit: 10 USD. */
    static final long DEV_CREDITS_MICROS = 10_000_000L;

    private final Database db;
    private final WorkerPool workers;
    private final SafeHttpClient referenceHttp;
    private final WebhookDispatcher dispatcher;
    private final Javalin http;
    private final AutoCloseable engine;
    private final Path dataDir;
    private final String publicUrl;
    private final String adminToken;
    private final AccountService accounts;
    private final JobService jobService;
    private final String newDevKey;
    private final WebhookService webhooks;
    private final Notifications notifications; // null on SQLite
    private final BlobStore blobs;

    private Easel(Database db, WorkerPool workers, SafeHttpClient referenceHttp, WebhookDispatcher dispatcher, Javalin http, AutoCloseable engine, Path dataDir,
                  String publicUrl, String adminToken, AccountService accounts, JobService jobService, String newDevKey,
                  WebhookService webhooks, Notifications notifications, BlobStore blobs) {
        this.notifications = notifications;
        this.blobs = blobs;
        this.newDevKey = newDevKey;
        this.webhooks = webhooks;
        this.db = db;
        this.workers = workers;
        this.referenceHttp = referenceHttp;
        this.dispatcher = dispatcher;
        this.http = http;
        this.engine = engine;
        this.dataDir = dataDir;
        this.publicUrl = publicUrl;
        this.adminToken = adminToken;
        this.accounts = accounts;
        this.jobService = jobService;
    }

    /** The port cannot be bound; nothing was created. The message names the port and the flag to change. */
    public static final class PortUnavailable extends RuntimeException {
        PortUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** {@code easel serve}: the API, and workers unless {@code --workers 0}. */
    public static Easel start(Config config, Clock clock) {
        return start(config, clock, true);
    }

    /**
     * {@code easel worker}: workers (and the webhook dispatcher, the reaper) next to a GPU server,
     * on the database the API nodes use; the HTTP port serves only {@code /healthz}, {@code /readyz}
     * and {@code /metrics}.
     */
    public static Easel startWorker(Config config, Clock clock) {
        return start(config, clock, false);
    }

    private static Easel start(Config config, Clock clock, boolean api) {
        // the port first: when it is taken, easel says so and leaves the data dir as it found it
        ServerSocketChannel channel = bind(config.host(), config.port());
        try {
            return start(config, clock, channel, api);
        } catch (RuntimeException | Error e) {
            try {
                channel.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private static Easel start(Config config, Clock clock, ServerSocketChannel channel, boolean api) {
        int port = channel.socket().getLocalPort();
        String publicUrl = config.publicUrl() != null ? config.publicUrl() : "http://localhost:" + port;
        Path dataDir = config.dataDir().toAbsolutePath().normalize();
        createDirectories(dataDir);
        BlobStore blobs = openBlobs(config.blobs(), dataDir);
        Database db = config.db().isPostgresql() ? Database.openPostgresql(config.db().jdbcUrl(), config.db().user(), config.db().password())
                : Database.openSqlite(dataDir.resolve("easel.db"));
        String nodeId = readOrCreate(dataDir.resolve("node-id"), () -> UUID.randomUUID().toString());
        String adminToken = config.adminToken() != null ? config.adminToken()
                : readOrCreate(dataDir.resolve("admin-token"), () -> "easel_admin_" + dev.easel.crypto.Tokens.random());

        AccountStore accountStore = new AccountStore();
        JobStore jobStore = new JobStore();
        WebhookStore webhookStore = new WebhookStore();
        AccountService accounts = new AccountService(db, accountStore, clock);
        JobEvents events = new JobEvents();
        Notifications notifications = null;
        if (config.db().isPostgresql() && config.dbNotify()) { // several nodes on one database: each tells the others what it changed
            notifications = new Notifications(db, config.db().jdbcUrl(), config.db().user(), config.db().password());
            events.connect(notifications::send);
            Notifications n = notifications;
            accounts.connect(message -> n.send(List.of(message)));
            notifications.listen(message -> {
                events.receive(message);
                accounts.receive(message);
            });
        }
        PublicUrls urls = switch (config.blobs().urls()) {
            case "easel" -> new PublicUrls.Served(() -> publicUrl);
            case "presigned" -> new PublicUrls.Presigned((S3BlobStore) blobs, config.blobs().urlExpiry());
            default -> new PublicUrls.PublicBucket(config.blobs().urls(), (S3BlobStore) blobs);
        };
        WebhookDispatcher.Settings webhookSettings = new WebhookDispatcher.Settings(config.webhookConcurrency(),
                config.webhookTimeout(), RetryPolicy.DEFAULT);
        WebhookService webhooks = new WebhookService(db, webhookStore, events.webhooks, clock, webhookSettings.retry());
        JobService jobService = new JobService(db, jobStore, accountStore, webhooks, blobs, events, new JobJson(urls), clock,
                new JobService.Settings(3, config.lease(), config.jobTimeout(), java.time.Duration.ofHours(24)));
        String devKey = createDevAccount(accounts, dataDir);

        Engine sketch = new SketchEngine(config.sketchStepMs());
        Metrics metrics = new Metrics(() -> db.tx(jobStore::countByStatus), () -> db.tx(webhookStore::countPending));
        AssetStore assetStore = new AssetStore();
        AssetService assets = new AssetService(db, assetStore, blobs, clock);
        StyleService styles = new StyleService(db, new StyleStore(), blobs, clock);
        MoodboardService moodboards = new MoodboardService(db, new MoodboardStore(), assetStore, clock);

        if (!config.allowPrivateTargets().isEmpty()) {
            log.warn("webhooks and image references may reach these non-public addresses allowed={}", config.allowPrivateTargets());
        }
        AddressGuard guard = new AddressGuard(config.allowPrivateTargets(), AddressGuard.SYSTEM_DNS);
        // Two clients, so that a flood of webhooks never holds up the fetching of references, and back.
        SafeHttpClient referenceHttp = new SafeHttpClient(guard, "easel-references", clock);
        SpecResolver resolver = new SpecResolver(styles, moodboards, assets, blobs, referenceHttp);
        // the engine: the sketch engine N times, or one lane per GPU server (--workers 0: an API node, no lanes)
        LoraFiles loraFiles = new LoraFiles(config.loraDir(), config.loraDirRemote(), config.sliderLoras());
        GpuPool gpu = switch (config.engine()) {
            case "sglang" -> GpuPool.sglang(config.gpuServers(), loraFiles, config.gpuTimeout(), config.gpuAffinity());
            case "comfyui" -> GpuPool.comfyui(config.gpuServers(), config.comfyGraph(), loraFiles, config.gpuTimeout(), config.gpuAffinity());
            default -> null;
        };
        List<? extends Engine> lanes = gpu == null ? Collections.nCopies(config.workers(), sketch) : config.workers() == 0 ? List.of() : gpu.lanes();
        String engineName = gpu == null ? sketch.name() : config.engine();
        if (gpu != null) gpu.bind(metrics.registry());
        ContentFilter filter = config.contentFilterUrl() == null ? null : new ContentFilter(config.contentFilterUrl(), config.contentFilterTimeout());
        Config.Expanders models = config.expanders();
        PromptExpansion expansion = new PromptExpansion(Optional.ofNullable(models.expander()).map(ChatModel::new), models.maxChars(),
                models.cacheSize());
        WorkerPool workers = new WorkerPool(jobService, resolver, lanes, blobs, clock, nodeId, metrics::rendered, filter, expansion,
                models.describer() == null ? null : new ReferenceDescriber(new ChatModel(models.describer()), models.cacheSize()));
        GenerateRequestParser parser = new GenerateRequestParser(clock, stylePolicy(styles, gpu, engineName), moodboards::usable);
        BooleanSupplier engineReady = gpu == null ? sketch::ready : gpu::ready;
        BooleanSupplier ready = () -> db.ping() && engineReady.getAsBoolean() && (lanes.isEmpty() || workers.isRunning());
        RouteTable routes = api ? HttpServer.routes(accounts, jobService, webhooks, assets, styles, moodboards, parser, blobs, urls, metrics,
                ready, () -> engineStatus(engineName, gpu)) : HttpServer.operationsOnly(metrics, ready, () -> engineStatus(engineName, gpu));
        Javalin http = new HttpServer(routes, accounts, adminToken, config.corsOrigins(), metrics).start(channel);

        SafeHttpClient webhookHttp = new SafeHttpClient(guard, "easel-webhooks", clock);
        WebhookDispatcher dispatcher = new WebhookDispatcher(db, webhookStore, webhooks, webhookHttp, events.webhooks, clock,
                nodeId, webhookSettings, metrics::webhookAttempt);
        dispatcher.start();
        if (gpu != null) gpu.start();
        workers.start();
        if (gpu != null && config.contentFilterUrl() == null) {
            log.warn("no --content-filter-url: the Krea 2 weights' licence obliges operators to filter output (see the README)");
        }
        log.info("easel listening url={} data_dir={} db={} blobs={} workers={} engine={}", publicUrl, dataDir, config.db(),
                config.blobs().s3() != null ? config.blobs().s3() : "local", lanes.size(), engineName);
        AutoCloseable engine = gpu != null ? gpu : sketch;
        return new Easel(db, workers, referenceHttp, dispatcher, http, engine, dataDir, publicUrl, adminToken, accounts, jobService,
                devKey, webhooks, notifications, blobs);
    }

    /**
     * Whether an account may use a style at a strength: its own, a public or a built-in one; with a GPU
     * engine an uploaded style must also be a LoRA file the server can load (after conversion), at a
     * strength the server can apply (SGLang: not negative).
     */
    private static GenerateRequestParser.StylePolicy stylePolicy(StyleService styles, GpuPool gpu, String engine) {
        return (accountId, id, strength) -> {
            if (!styles.usable(accountId, id)) return "is not a style you can use";
            if (gpu == null || BuiltinStyles.contains(id)) return null;
            if (strength < 0 && !gpu.capabilities().negativeStrengths()) {
                return "is a LoRA, and the " + engine + " engine cannot apply a LoRA at a negative strength (got " + strength + ")";
            }
            try (InputStream in = styles.openFile(accountId, id).orElse(null)) {
                if (in == null) return "is not a style you can use";
                String why = LoraFiles.problem(in);
                return why == null ? null : "cannot be used with the " + engine + " engine: " + why;
            } catch (IOException e) {
                return "cannot be read: " + e.getMessage();
            }
        };
    }

    /** What /readyz says of the engine: its name and, for a GPU pool, each server. */
    private static ObjectNode engineStatus(String name, GpuPool gpu) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("engine", name);
        if (gpu == null) return o;
        ArrayNode servers = o.putArray("servers");
        for (GpuServer s : gpu.servers()) {
            ObjectNode n = servers.addObject();
            n.put("url", s.url());
            n.put("state", s.state() == GpuServer.State.UP ? "up" : "down");
            n.put("model", s.model());
            n.put("recipe", s.recipe().name());
            n.put("lora_set", s.loraSet());
            n.put("lora_switches", s.loraSwitches());
            n.put("renders", s.renders());
            n.put("failures", s.failures());
            n.put("render_seconds", Math.round(s.renderSeconds() * 1000) / 1000.0);
            n.put("last_error", s.lastError());
        }
        return o;
    }

    private static ServerSocketChannel bind(String host, int port) {
        ServerSocketChannel channel = null;
        try {
            channel = ServerSocketChannel.open();
            channel.bind(new InetSocketAddress(host, port), 1024);
            return channel;
        } catch (IOException | java.nio.channels.UnresolvedAddressException | SecurityException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
            }
            String why = e instanceof java.net.BindException ? "it is in use or not available on this machine" : String.valueOf(e.getMessage());
            throw new PortUnavailable("cannot listen on " + host + ":" + port + " (" + why
                    + "): choose another port with --port (or EASEL_PORT), or another address with --host", e);
        }
    }

    /**
     * On the first start of an empty data dir: a {@code dev} account with 10 USD, its key in a file.
     * Returns the key when it was created now (for the terminal, once), else null. The key never goes
     * to the log stream.
     */
    private static String createDevAccount(AccountService accounts, Path dataDir) {
        Optional<AccountService.Created> created = accounts.createFirst("dev", DEV_CREDITS_MICROS, 2, 20);
        if (created.isEmpty()) return null;
        AccountService.Created dev = created.get();
        Path keyFile = dataDir.resolve("dev-api-key");
        writeSecret(keyFile, dev.apiKey());
        log.info("created the dev account with 10 USD account_id={} key_file={}", dev.account().id(), keyFile);
        return dev.apiKey();
    }

    /** The dev account's key if this start created it (print it once), else empty. */
    public Optional<String> newDevKey() {
        return Optional.ofNullable(newDevKey);
    }

    public int port() {
        return http.port();
    }

    public String publicUrl() {
        return publicUrl;
    }

    public Path dataDir() {
        return dataDir;
    }

    public String adminToken() {
        return adminToken;
    }

    public AccountService accounts() {
        return accounts;
    }

    public JobService jobs() {
        return jobService;
    }

    public WebhookService webhooks() {
        return webhooks;
    }

    @Override
    public void close() {
        http.stop();
        workers.close();
        referenceHttp.close();
        dispatcher.close();
        try {
            engine.close();
        } catch (Exception e) {
            log.warn("engine did not close cleanly: {}", e.toString());
        }
        if (notifications != null) notifications.close();
        db.close();
        blobs.close();
    }

    /** The blob store the config names; a bucket is checked now, so a wrong name or credential stops the start with a message. */
    private static BlobStore openBlobs(Config.Blobs config, Path dataDir) {
        if (config.s3() == null) return new LocalBlobStore(config.dir() != null ? config.dir() : dataDir.resolve("blobs"));
        S3BlobStore bucket = new S3BlobStore(config.s3());
        bucket.check();
        return bucket;
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data dir " + dir, e);
        }
    }

    private static String readOrCreate(Path file, java.util.function.Supplier<String> create) {
        try {
            if (Files.exists(file)) return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        String value = create.get();
        writeSecret(file, value);
        return value;
    }

    /** Writes a file readable by its owner only (mode 600 where the file system has POSIX modes). */
    private static void writeSecret(Path file, String value) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, value + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
