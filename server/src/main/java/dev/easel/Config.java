package dev.easel;

import dev.easel.blobs.S3BlobStore;
import dev.easel.engine.gpu.ComfyGraph;
import dev.easel.engine.gpu.GpuPool;
import dev.easel.engine.gpu.Recipe;
import dev.easel.net.AddressRange;
import dev.easel.expand.ChatModel;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The settings of {@code easel serve}. Each one comes from its flag, else its environment variable,
 * else its default; {@link #OPTIONS} is the single table of them (also printed by {@code --help}).
 * {@code publicUrl} null means http://localhost:&lt;port&gt;; {@code adminToken} null means the one in the data dir.
 */
public record Config(String host, int port, Path dataDir, int workers, long sketchStepMs, String publicUrl,
                     Duration jobTimeout, Duration lease, String adminToken, List<AddressRange> allowPrivateTargets,
                     int webhookConcurrency, Duration webhookTimeout, List<String> corsOrigins,
                     String engine, List<GpuPool.ServerConfig> gpuServers, ComfyGraph comfyGraph, Path loraDir, String loraDirRemote, Duration gpuTimeout,
                     Map<String, String> sliderLoras, URI contentFilterUrl, Duration contentFilterTimeout, boolean gpuAffinity,
                     Db db, boolean dbNotify, Blobs blobs, Expanders expanders) {

    /**
     * The operator's language models: one to expand prompts (null: the built-in expander), one that
     * sees images to put reference styles into words (null: none); the longest expansion accepted,
     * and how many expansions and descriptions are cached.
     */
    public record Expanders(ChatModel.Settings expander, ChatModel.Settings describer, int maxChars, int cacheSize) {}

    /**
     * Where files live and how clients reach them.
     * @param dir    the local directory (when {@code s3} is null)
     * @param s3     the bucket shared by all nodes, or null
     * @param urls   "easel" (capability URLs served by easel), "presigned", or a public base URL of the bucket
     */
    public record Blobs(Path dir, S3BlobStore.Location s3, String urls, Duration urlExpiry) {}

    /**
     * The database: null fields for SQLite in the data dir; else PostgreSQL at {@code jdbcUrl}.
     * The password is here only to connect; it is never logged.
     */
    public record Db(String jdbcUrl, String user, String password) {
        public static final Db SQLITE = new Db(null, null, null);

        public boolean isPostgresql() {
            return jdbcUrl != null;
        }

        /** For logs: the URL without user and password. */
        @Override
        public String toString() {
            return jdbcUrl == null ? "sqlite" : jdbcUrl;
        }
    }

    /**
     * @param isSwitch a true/false setting: the flag alone means true
     * @param isList   the flag may be given several times; the values add up (the variable takes a comma-separated list)
     */
    public record Option(String flag, String env, String defaultValue, String help, boolean isSwitch, boolean isList) {
        Option(String flag, String env, String defaultValue, String help) {
            this(flag, env, defaultValue, help, false, false);
        }

        Option(String flag, String env, String defaultValue, String help, boolean isSwitch) {
            this(flag, env, defaultValue, help, isSwitch, false);
        }
    }

    public static final List<Option> OPTIONS = List.of(
            new Option("--db", "EASEL_DB", "", "the database: empty for SQLite in the data dir, or postgresql://user:password@host:5432/easel"),
            new Option("--db-notify", "EASEL_DB_NOTIFY", "true", "PostgreSQL: nodes tell each other what changed (LISTEN/NOTIFY);"
                    + " false where LISTEN cannot work (PgBouncer in transaction mode): nodes then only poll (about 1 s)", true),
            new Option("--blobs", "EASEL_BLOBS", "", "where files live: empty for <data-dir>/blobs, another directory,"
                    + " or s3://bucket/prefix (an S3-compatible bucket shared by all nodes; credentials from the AWS chain)"),
            new Option("--s3-endpoint", "EASEL_S3_ENDPOINT", "", "the S3 API's URL for a server other than AWS (MinIO, Ceph, R2…)"),
            new Option("--s3-region", "EASEL_S3_REGION", "", "the bucket's region (default AWS_REGION or the profile's; us-east-1 with --s3-endpoint)"),
            new Option("--s3-path-style", "EASEL_S3_PATH_STYLE", "false", "address the bucket as host/bucket/key (most non-AWS servers need it)", true),
            new Option("--blob-urls", "EASEL_BLOB_URLS", "easel", "image URLs given to clients: easel (served by easel; the bucket stays"
                    + " private), presigned (signed bucket URLs), or the bucket's public base URL https://…"),
            new Option("--blob-url-expiry-s", "EASEL_BLOB_URL_EXPIRY_S", "3600", "how long a presigned URL stays valid"),
            new Option("--port", "EASEL_PORT", "8080", "TCP port to listen on (0 = any free port)"),
            new Option("--host", "EASEL_HOST", "127.0.0.1", "address to bind; 0.0.0.0 to accept other machines"),
            new Option("--data-dir", "EASEL_DATA_DIR", "./data", "where the database, images and secrets live"),
            new Option("--workers", "EASEL_WORKERS", "2", "worker threads rendering jobs in this process (0 = none)"),
            new Option("--sketch-step-ms", "EASEL_SKETCH_STEP_MS", "0", "simulated latency of each of the sketch engine's 8 steps"),
            new Option("--public-url", "EASEL_PUBLIC_URL", "", "absolute base URL for image links (default http://localhost:<port>)"),
            new Option("--job-timeout-s", "EASEL_JOB_TIMEOUT_S", "600", "an attempt running longer fails with error code timeout"),
            new Option("--lease-s", "EASEL_LEASE_S", "30", "a job whose worker misses heartbeats this long is re-queued"),
            new Option("--webhook-concurrency", "EASEL_WEBHOOK_CONCURRENCY", "16", "webhook requests in flight at most"),
            new Option("--webhook-timeout-s", "EASEL_WEBHOOK_TIMEOUT_S", "15", "a webhook attempt without a response this long fails and is retried"),
            new Option("--allow-private-targets", "EASEL_ALLOW_PRIVATE_TARGETS", "false",
                    "let webhooks and image references reach non-public addresses: true (all; development and tests only)"
                            + " or a comma-separated list of CIDR blocks, e.g. 10.20.0.0/16", true),
            new Option("--cors-origins", "EASEL_CORS_ORIGINS", "",
                    "origins whose web pages may call the API, comma-separated (https://app.example.com), or * for any (development)"),
            new Option("--engine", "EASEL_ENGINE", "sketch", "sketch (built in, procedural), sglang (Krea 2 on SGLang Diffusion servers)"
                    + " or comfyui (Krea 2 on ComfyUI servers)"),
            new Option("--sglang-url", "EASEL_SGLANG_URLS", "", "an SGLang server, e.g. http://gpu1:30000 (repeat for more; #raw after"
                    + " the URL for a Krea-2-Raw server, default Turbo)", false, true),
            new Option("--comfyui-url", "EASEL_COMFYUI_URLS", "", "a ComfyUI server, e.g. http://gpu1:8188 (repeat for more; #raw after"
                    + " the URL for a Krea-2-Raw model, default Turbo)", false, true),
            new Option("--comfyui-unet", "EASEL_COMFYUI_UNET", ComfyGraph.DEFAULT.unet(), "ComfyUI: the Krea 2 transformer's file in its diffusion_models folder"),
            new Option("--comfyui-clip", "EASEL_COMFYUI_CLIP", ComfyGraph.DEFAULT.clip(), "ComfyUI: the Qwen3-VL text encoder's file in its text_encoders folder"),
            new Option("--comfyui-vae", "EASEL_COMFYUI_VAE", ComfyGraph.DEFAULT.vae(), "ComfyUI: the VAE's file in its vae folder"),
            new Option("--comfyui-template", "EASEL_COMFYUI_TEMPLATE", "", "ComfyUI: a graph of your own in API format, with placeholders"
                    + " (README: \"ComfyUI graph templates\"); instead of easel's Krea 2 graph"),
            new Option("--lora-dir", "EASEL_LORA_DIR", "", "where easel writes the LoRA files the GPU servers load (default <data-dir>/loras)"),
            new Option("--lora-dir-remote", "EASEL_LORA_DIR_REMOTE", "", "that directory as the GPU hosts see it (default the same path)"),
            new Option("--gpu-timeout-s", "EASEL_GPU_TIMEOUT_S", "300", "a GPU server call without an answer this long fails; the job goes to another server"),
            new Option("--slider-lora", "EASEL_SLIDER_LORAS", "", "intensity=PATH or complexity=PATH: a slider LoRA on the GPU hosts,"
                    + " applied at value/100 (repeat for both; without, the sliders become words in the prompt)", false, true),
            new Option("--content-filter-url", "EASEL_CONTENT_FILTER_URL", "", "a classifier that gets each finished PNG and answers"
                    + " {\"flagged\", \"categories\"}; flagged images are refused (required by the Krea 2 weights' licence)"),
            new Option("--content-filter-timeout-s", "EASEL_CONTENT_FILTER_TIMEOUT_S", "10", "a content filter answer later than this fails the job closed"),
            new Option("--expander-url", "EASEL_EXPANDER_URL", "", "an OpenAI-compatible chat completions API that expands prompts"
                    + " for creativity low/medium/high, as a base URL: http://llm:8000/v1 (easel appends /chat/completions);"
                    + " without, the built-in expander"),
            new Option("--expander-model", "EASEL_EXPANDER_MODEL", "", "the model's name at that API (required with --expander-url)"),
            new Option("--expander-key", "EASEL_EXPANDER_KEY", "", "a bearer key for that API, if it needs one (never logged)"),
            new Option("--expander-timeout-ms", "EASEL_EXPANDER_TIMEOUT_MS", "10000", "an expander or describer answer later than this"
                    + " is given up; the built-in expander is used (the job never fails for it)"),
            new Option("--expander-max-chars", "EASEL_EXPANDER_MAX_CHARS", "1500", "a longer expansion from the model is refused"),
            new Option("--expander-cache-size", "EASEL_EXPANDER_CACHE_SIZE", "10000", "expansions and descriptions kept in memory,"
                    + " so that retries and re-runs ask the model nothing"),
            new Option("--describer-url", "EASEL_DESCRIBER_URL", "", "an OpenAI-compatible chat completions API of a vision model that"
                    + " puts image style references and moodboards into words, for engines without a reference adapter (SGLang)"),
            new Option("--describer-model", "EASEL_DESCRIBER_MODEL", "", "the vision model's name (required with --describer-url)"),
            new Option("--describer-key", "EASEL_DESCRIBER_KEY", "", "a bearer key for the describer's API, if it needs one (never logged)"),
            new Option("--gpu-affinity", "EASEL_GPU_AFFINITY", "true", "an idle GPU server takes a job that needs the LoRAs it has merged"
                    + " first (no job waits more than 30 s for that); false: strictly oldest first", true));

    /** Parses {@code --flag value} / {@code --flag=value} arguments over environment variables over defaults. */
    public static Config parse(List<String> args, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Option o : OPTIONS) values.put(o.flag(), env.getOrDefault(o.env(), o.defaultValue()));
        List<String> problems = new ArrayList<>();
        java.util.Set<String> given = new java.util.HashSet<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (!values.containsKey(flag)) {
                problems.add("unknown option " + flag + closest(flag).map(c -> " (did you mean " + c + "?)").orElse(""));
                continue;
            }
            boolean isSwitch = OPTIONS.stream().anyMatch(o -> o.flag().equals(flag) && o.isSwitch());
            boolean isList = OPTIONS.stream().anyMatch(o -> o.flag().equals(flag) && o.isList());
            String value;
            if (arg.contains("=")) value = arg.substring(arg.indexOf('=') + 1);
            else if (isSwitch) value = "true";
            else if (i + 1 < args.size()) value = args.get(++i);
            else {
                problems.add(flag + " needs a value");
                continue;
            }
            if (isList && given.contains(flag)) values.put(flag, values.get(flag) + "," + value);
            else values.put(flag, value);
            given.add(flag);
        }
        int port = number(values, "--port", 0, 65535, Integer::parseInt, problems);
        int workers = number(values, "--workers", 0, 256, Integer::parseInt, problems);
        long stepMs = number(values, "--sketch-step-ms", 0L, 60_000L, Long::parseLong, problems);
        long timeout = number(values, "--job-timeout-s", 1L, 86_400L, Long::parseLong, problems);
        long lease = number(values, "--lease-s", 1L, 3_600L, Long::parseLong, problems);
        int webhookConcurrency = number(values, "--webhook-concurrency", 1, 1024, Integer::parseInt, problems);
        long webhookTimeout = number(values, "--webhook-timeout-s", 1L, 600L, Long::parseLong, problems);
        List<AddressRange> privateTargets = List.of();
        String allowPrivate = values.get("--allow-private-targets").strip().toLowerCase(java.util.Locale.ROOT);
        if (allowPrivate.equals("true")) privateTargets = AddressRange.ALL;
        else if (!allowPrivate.equals("false")) {
            try {
                privateTargets = AddressRange.parseList(allowPrivate);
            } catch (IllegalArgumentException e) {
                problems.add("--allow-private-targets must be true, false or a list of CIDR blocks: " + e.getMessage());
            }
        }
        String publicUrl = values.get("--public-url");
        if (publicUrl.isBlank()) publicUrl = null; // http://localhost:<the port actually bound>
        else if (!publicUrl.startsWith("http://") && !publicUrl.startsWith("https://")) {
            problems.add("--public-url must be an absolute http(s) URL (got " + publicUrl + ")");
        }
        List<String> corsOrigins = new ArrayList<>();
        for (String o : values.get("--cors-origins").split(",")) {
            String origin = o.strip();
            if (origin.isEmpty()) continue;
            if (!origin.equals("*") && !origin.matches("https?://[A-Za-z0-9.\\-\\[\\]:]+")) {
                problems.add("--cors-origins takes origins such as https://app.example.com (scheme and host, no path) or * (got " + origin + ")");
            }
            corsOrigins.add(origin);
        }
        String engine = values.get("--engine").strip();
        if (!List.of("sketch", "sglang", "comfyui").contains(engine)) {
            problems.add("--engine must be sketch, sglang or comfyui (got " + engine + ")");
        }
        List<GpuPool.ServerConfig> sglang = servers(values, "--sglang-url", problems), comfyui = servers(values, "--comfyui-url", problems);
        if (engine.equals("sglang") && sglang.isEmpty()) problems.add("--engine sglang needs at least one --sglang-url (or EASEL_SGLANG_URLS)");
        if (engine.equals("comfyui") && comfyui.isEmpty()) problems.add("--engine comfyui needs at least one --comfyui-url (or EASEL_COMFYUI_URLS)");
        if (!engine.equals("sglang") && !sglang.isEmpty()) problems.add("--sglang-url is for --engine sglang (the engine is " + engine + ")");
        if (!engine.equals("comfyui") && !comfyui.isEmpty()) problems.add("--comfyui-url is for --engine comfyui (the engine is " + engine + ")");
        ComfyGraph comfyGraph = new ComfyGraph.Builtin(values.get("--comfyui-unet").strip(), values.get("--comfyui-clip").strip(),
                values.get("--comfyui-vae").strip());
        if (!values.get("--comfyui-template").isBlank()) {
            try {
                comfyGraph = ComfyGraph.Template.read(Path.of(values.get("--comfyui-template").strip()));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        long gpuTimeout = number(values, "--gpu-timeout-s", 1L, 86_400L, Long::parseLong, problems);
        Map<String, String> sliders = new LinkedHashMap<>();
        for (String sl : values.get("--slider-lora").split(",")) {
            String slider = sl.strip();
            if (slider.isEmpty()) continue;
            int eq = slider.indexOf('=');
            String name = eq < 0 ? "" : slider.substring(0, eq);
            if ((!name.equals("intensity") && !name.equals("complexity")) || eq == slider.length() - 1) {
                problems.add("--slider-lora takes intensity=PATH or complexity=PATH (got " + slider + ")");
            } else {
                sliders.put(name, slider.substring(eq + 1));
            }
        }
        Path dataDir = Path.of(values.get("--data-dir"));
        Path loraDir = values.get("--lora-dir").isBlank() ? dataDir.resolve("loras") : Path.of(values.get("--lora-dir"));
        String loraDirRemote = values.get("--lora-dir-remote").isBlank() ? loraDir.toAbsolutePath().normalize().toString()
                : values.get("--lora-dir-remote");
        URI contentFilter = httpUrl(values, "--content-filter-url", problems);
        long filterTimeout = number(values, "--content-filter-timeout-s", 1L, 600L, Long::parseLong, problems);
        String affinity = values.get("--gpu-affinity").strip().toLowerCase(java.util.Locale.ROOT);
        if (!affinity.equals("true") && !affinity.equals("false")) problems.add("--gpu-affinity must be true or false (got " + affinity + ")");
        Db db = Db.SQLITE;
        String dbUrl = values.get("--db").strip();
        if (!dbUrl.isEmpty()) {
            try {
                db = postgresql(dbUrl);
            } catch (IllegalArgumentException e) {
                problems.add("--db must be empty (SQLite) or postgresql://user:password@host:port/database (" + e.getMessage() + ")");
            }
        }
        String notify = values.get("--db-notify").strip().toLowerCase(java.util.Locale.ROOT);
        if (!notify.equals("true") && !notify.equals("false")) problems.add("--db-notify must be true or false (got " + notify + ")");
        Blobs blobs = blobs(values, problems);
        long modelTimeout = number(values, "--expander-timeout-ms", 100L, 600_000L, Long::parseLong, problems);
        int maxChars = number(values, "--expander-max-chars", 100, 10_000, Integer::parseInt, problems);
        int cacheSize = number(values, "--expander-cache-size", 1, 10_000_000, Integer::parseInt, problems);
        Expanders expanders = new Expanders(chatModel(values, "--expander", Duration.ofMillis(modelTimeout), problems),
                chatModel(values, "--describer", Duration.ofMillis(modelTimeout), problems), maxChars, cacheSize);
        if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
        String admin = env.get("EASEL_ADMIN_TOKEN");
        return new Config(values.get("--host"), port, Path.of(values.get("--data-dir")), workers, stepMs, publicUrl,
                Duration.ofSeconds(timeout), Duration.ofSeconds(lease), admin == null || admin.isBlank() ? null : admin,
                privateTargets, webhookConcurrency, Duration.ofSeconds(webhookTimeout), List.copyOf(corsOrigins), engine,
                List.copyOf(engine.equals("comfyui") ? comfyui : sglang), comfyGraph, loraDir, loraDirRemote, Duration.ofSeconds(gpuTimeout), Map.copyOf(sliders), contentFilter, Duration.ofSeconds(filterTimeout),
                affinity.equals("true"), db, notify.equals("true"), blobs, expanders);
    }

    /** {@code <prefix>-url}, {@code -model} and {@code -key} as a chat model's settings; null without a URL. */
    private static ChatModel.Settings chatModel(Map<String, String> values, String prefix, Duration timeout, List<String> problems) {
        URI url = httpUrl(values, prefix + "-url", problems);
        String model = values.get(prefix + "-model").strip(), key = values.get(prefix + "-key").strip();
        if (url == null) return null;
        if (model.isEmpty()) {
            problems.add(prefix + "-model is required with " + prefix + "-url (the model's name at that API)");
            return null;
        }
        return new ChatModel.Settings(url, model, key.isEmpty() ? null : key, timeout);
    }

    /** The servers of a GPU engine's flag: http(s) URLs, each optionally followed by #turbo or #raw. */
    private static List<GpuPool.ServerConfig> servers(Map<String, String> values, String flag, List<String> problems) {
        List<GpuPool.ServerConfig> servers = new ArrayList<>();
        for (String u : values.get(flag).split(",")) {
            String url = u.strip();
            if (url.isEmpty()) continue;
            String recipe = "turbo";
            if (url.contains("#")) {
                recipe = url.substring(url.indexOf('#') + 1);
                url = url.substring(0, url.indexOf('#'));
            }
            try {
                URI uri = URI.create(url);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) throw new IllegalArgumentException();
                servers.add(new GpuPool.ServerConfig(uri, Recipe.named(recipe)));
            } catch (IllegalArgumentException e) {
                problems.add(flag + " must be an http(s) URL with a host, optionally #turbo or #raw after it (got " + u.strip() + ")");
            }
        }
        return servers;
    }

    private static Blobs blobs(Map<String, String> values, List<String> problems) {
        String where = values.get("--blobs").strip();
        String endpoint = values.get("--s3-endpoint").strip();
        String region = values.get("--s3-region").strip();
        String pathStyle = values.get("--s3-path-style").strip().toLowerCase(java.util.Locale.ROOT);
        String urls = values.get("--blob-urls").strip();
        long expiry = number(values, "--blob-url-expiry-s", 1L, 604_800L, Long::parseLong, problems); // SigV4 allows 7 days at most
        if (!pathStyle.equals("true") && !pathStyle.equals("false")) problems.add("--s3-path-style must be true or false (got " + pathStyle + ")");
        boolean s3 = where.startsWith("s3://");
        URI endpointUri = httpUrl(values, "--s3-endpoint", problems);
        if (!s3 && (!endpoint.isEmpty() || !region.isEmpty() || pathStyle.equals("true"))) {
            problems.add("--s3-endpoint, --s3-region and --s3-path-style apply only to --blobs s3://bucket/prefix");
        }
        boolean publicBase = urls.startsWith("https://") || urls.startsWith("http://");
        if (!urls.equals("easel") && !urls.equals("presigned") && !publicBase) {
            problems.add("--blob-urls must be easel, presigned or an http(s) base URL (got " + urls + ")");
        } else if (!urls.equals("easel") && !s3) {
            problems.add("--blob-urls " + urls + " needs --blobs s3://bucket/prefix (files in a local directory are served by easel)");
        }
        if (!s3) return new Blobs(where.isEmpty() ? null : Path.of(where), null, "easel", Duration.ofSeconds(expiry));
        try {
            S3BlobStore.Location at = S3BlobStore.Location.parse(where, endpointUri, region.isEmpty() ? null : region, pathStyle.equals("true"));
            return new Blobs(null, at, urls, Duration.ofSeconds(expiry));
        } catch (IllegalArgumentException e) {
            problems.add("--blobs s3://bucket/prefix: " + e.getMessage());
            return null;
        }
    }

    /** The flag's http(s) URL, or null when it is empty or not one (then a problem says so). */
    private static URI httpUrl(Map<String, String> values, String flag, List<String> problems) {
        String raw = values.get(flag).strip();
        if (raw.isEmpty()) return null;
        try {
            URI uri = URI.create(raw);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) return uri;
        } catch (IllegalArgumentException e) {
            // reported below
        }
        problems.add(flag + " must be an http(s) URL with a host (got " + raw + ")");
        return null;
    }

    private static <T extends Comparable<T>> T number(Map<String, String> values, String flag, T min, T max,
                                                     Function<String, T> parse, List<String> problems) {
        String raw = values.get(flag);
        try {
            T v = parse.apply(raw.strip());
            if (v.compareTo(min) >= 0 && v.compareTo(max) <= 0) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add(flag + " must be a whole number from " + min + " to " + max + " (got " + raw + ")");
        return min;
    }

    /** {@code postgresql://user:password@host:port/database?params} (or {@code postgres://}) as a JDBC URL and credentials. */
    public static Db postgresql(String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("not a URL");
        }
        if (!"postgresql".equals(u.getScheme()) && !"postgres".equals(u.getScheme())) throw new IllegalArgumentException("scheme " + u.getScheme());
        if (u.getHost() == null || u.getPath() == null || u.getPath().length() < 2) throw new IllegalArgumentException("no host or database");
        String user = null, password = null;
        if (u.getRawUserInfo() != null) {
            String[] parts = u.getRawUserInfo().split(":", 2);
            user = java.net.URLDecoder.decode(parts[0], java.nio.charset.StandardCharsets.UTF_8);
            if (parts.length > 1) password = java.net.URLDecoder.decode(parts[1], java.nio.charset.StandardCharsets.UTF_8);
        }
        String jdbc = "jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getRawPath()
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        return new Db(jdbc, user, password);
    }

    /** The known flag nearest to a mistyped one (at most a third of its letters off), for the error message. */
    static java.util.Optional<String> closest(String flag) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Option o : OPTIONS) {
            int d = distance(flag, o.flag());
            if (d < bestDistance) {
                best = o.flag();
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, flag.length() / 3) ? java.util.Optional.of(best) : java.util.Optional.empty();
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    public static String usage() {
        StringBuilder s = new StringBuilder("""
                Usage: easel <command> [options]

                Commands:
                  serve    serve the Krea 2 API (options below)
                  worker   render jobs from the database (--db) without the API: only /healthz, /readyz, /metrics
                  migrate  bring a PostgreSQL database (--db) to this version's schema; nodes never do it themselves
                  test     run the test suite (./mvnw verify) with a JDK 21 or newer (the ./easel script only)
                  help     print this

                Client commands (of any easel or Krea-compatible server, through its public API; each has --help):
                  generate "a fox in the snow" --aspect 16:9 --seed 7 --style ink:0.8 -o fox.png
                  jobs list|get|cancel|delete, account, completion

                Options of serve (flag, environment variable, default):
                """);
        for (Option o : OPTIONS) {
            s.append(String.format("  %-24s %-30s %-7s %s%n", o.flag(), o.env(), o.defaultValue().isEmpty() ? "-" : o.defaultValue(), o.help()));
        }
        s.append("  EASEL_ADMIN_TOKEN (environment only): the admin bearer token; default: generated into <data-dir>/admin-token\n");
        return s.toString();
    }
}
