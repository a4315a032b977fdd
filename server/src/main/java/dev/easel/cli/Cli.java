package dev.easel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The client commands of {@code ./easel}: {@code generate}, {@code jobs}, {@code account} and
 * {@code completion}, thin clients of the public API of easel or of any Krea-compatible server.
 * Exit codes: 0 done, 2 usage error, 3 the API refused the request, 4 the job failed, 5 cancelled,
 * 6 the server cannot be reached.
 */
@Command(name = "easel", mixinStandardHelpOptions = true, version = "easel client",
        description = "Talks to an easel (or any Krea-compatible) server through its public API.",
        subcommands = {Cli.Generate.class, Cli.Jobs.class, Cli.Account.class, Cli.Library.Styles.class, Cli.Library.Assets.class,
                Cli.Admin.class, Cli.Completion.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "2:usage error", "3:the API refused the request (4xx; its message is printed)",
                "4:the job failed (its error code and message are printed)", "5:the job was cancelled", "6:the server cannot be reached"})
public final class Cli {
    public static final int OK = 0, USAGE = 2, REFUSED = 3, FAILED = 4, CANCELLED = 5, UNREACHABLE = 6;
    /** The commands this class runs; the others ({@code serve}, {@code worker}, {@code migrate}) are the server's. */
    public static final List<String> COMMANDS = List.of("generate", "jobs", "account", "styles", "assets", "admin", "completion");

    @Option(names = "--url", defaultValue = "${env:EASEL_URL:-http://localhost:8080}", scope = CommandLine.ScopeType.INHERIT,
            description = "the server (default ${DEFAULT-VALUE}; EASEL_URL)")
    URI url;

    @Option(names = "--key", scope = CommandLine.ScopeType.INHERIT,
            description = "the API key (default EASEL_API_KEY, else <data-dir>/dev-api-key for a server on this machine)")
    String key;

    @Option(names = "--data-dir", defaultValue = "data", scope = CommandLine.ScopeType.INHERIT,
            description = "where a local easel keeps its dev key (default ${DEFAULT-VALUE})")
    Path dataDir;

    private final PrintStream out, err;
    private final Map<String, String> env;
    private final boolean terminal;

    private Cli(PrintStream out, PrintStream err, Map<String, String> env, boolean terminal) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.terminal = terminal;
    }

    /** Runs a client command; returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env, boolean terminal) {
        CommandLine cl = new CommandLine(new Cli(out, err, env, terminal));
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof KreaApi.Refused r) {
                err.println("easel: the server refused the request (" + r.status + "): " + r.getMessage());
                return REFUSED;
            }
            if (e instanceof KreaApi.Unreachable u) {
                err.println("easel: " + u.getMessage());
                return UNREACHABLE;
            }
            if (e instanceof IllegalArgumentException bad) {
                err.println("easel: " + bad.getMessage());
                return USAGE;
            }
            throw e;
        });
        return cl.execute(args);
    }

    /** The server, with the key: --key, else EASEL_API_KEY, else the local dev key when the server is on this machine. */
    KreaApi api() {
        String k = key != null ? key : env.get("EASEL_API_KEY");
        if (k == null && List.of("localhost", "127.0.0.1", "[::1]").contains(url.getHost())) {
            try {
                k = Files.readString(dataDir.resolve("dev-api-key")).strip();
            } catch (IOException e) {
                // none: the server says what is missing
            }
        }
        return new KreaApi(url, k);
    }

    private static final List<String> TERMINAL = List.of("completed", "failed", "cancelled");

    @Command(name = "generate", mixinStandardHelpOptions = true, description = "Generates an image: submits it, follows the job, saves the PNG.")
    static final class Generate implements Callable<Integer> {
        @ParentCommand
        Cli cli;

        @Parameters(index = "0", paramLabel = "PROMPT", description = "what to draw")
        String prompt;

        @Option(names = "--aspect", defaultValue = "1:1", description = "aspect ratio: 1:1, 4:3, 3:2, 16:9, 2.35:1, 4:5, 2:3, 9:16")
        String aspect;

        @Option(names = "--resolution", defaultValue = "1K", description = "resolution (default ${DEFAULT-VALUE})")
        String resolution;

        @Option(names = "--seed", description = "the seed (default: the server picks one)")
        Long seed;

        @Option(names = "--creativity", description = "raw, low, medium or high")
        String creativity;

        @Option(names = "--intensity", description = "-100..100")
        Integer intensity;

        @Option(names = "--complexity", description = "-100..100")
        Integer complexity;

        @Option(names = "--style", paramLabel = "ID[:STRENGTH]", description = "a style, repeatable (strength -2..2, default 1)")
        List<String> styles = List.of();

        @Option(names = "--reference", paramLabel = "URL[:STRENGTH]", description = "an image style reference, repeatable (strength 0..1, default 1)")
        List<String> references = List.of();

        @Option(names = "--moodboard", paramLabel = "ID[:STRENGTH]", description = "a moodboard, repeatable")
        List<String> moodboards = List.of();

        @Option(names = {"-o", "--output"}, description = "where to save the PNG (default <job id>.png)")
        Path output;

        @Option(names = "--webhook", description = "a URL the server calls when the job ends (X-Webhook-URL)")
        String webhook;

        @Option(names = "--wait", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "follow the job to its end and save the image (default); --no-wait prints the job and returns")
        boolean waitForIt;

        @Option(names = "--cancel", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Ctrl-C while waiting cancels the job (default); --no-cancel leaves it running")
        boolean cancelOnInterrupt;

        @Option(names = "--json", description = "print the job object (JSON) instead of words")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ObjectNode body = Json.MAPPER.createObjectNode().put("prompt", prompt).put("aspect_ratio", aspect).put("resolution", resolution);
            if (seed != null) body.put("seed", seed);
            if (creativity != null) body.put("creativity", creativity);
            if (intensity != null) body.put("intensity", intensity);
            if (complexity != null) body.put("complexity", complexity);
            try {
                if (!styles.isEmpty()) withStrengths(body.putArray("styles"), "id", styles, "--style");
                if (!references.isEmpty()) withStrengths(body.putArray("image_style_references"), "url", references, "--reference");
                if (!moodboards.isEmpty()) withStrengths(body.putArray("moodboards"), "id", moodboards, "--moodboard");
            } catch (IllegalArgumentException e) {
                cli.err.println("easel: " + e.getMessage());
                return USAGE;
            }
            KreaApi api = cli.api();
            JsonNode job = api.post("/generate/image/krea/krea-2/medium", body, webhook);
            String id = job.get("job_id").asText();
            if (!waitForIt) {
                cli.out.println(json ? job.toPrettyString() : id);
                return OK;
            }
            AtomicReference<JsonNode> last = new AtomicReference<>(job);
            Thread cancelHook = new Thread(() -> {
                JsonNode now = last.get();
                if (now == null || TERMINAL.contains(now.path("status").asText())) return;
                cli.err.println();
                cli.err.println("easel: interrupted: cancelling job " + id + " (--no-cancel leaves it running)");
                try {
                    api.delete("/jobs/" + id);
                } catch (Exception e) {
                    cli.err.println("easel: the cancel failed: " + e.getMessage());
                }
                Runtime.getRuntime().halt(CANCELLED);
            }, "easel-cancel-on-interrupt");
            if (cancelOnInterrupt) Runtime.getRuntime().addShutdownHook(cancelHook);
            try {
                StatusLine progress = new StatusLine(cli, id);
                api.follow(id, j -> {
                    last.set(j);
                    progress.show(j);
                    return TERMINAL.contains(j.path("status").asText());
                });
                progress.end();
            } finally {
                if (cancelOnInterrupt) {
                    try {
                        Runtime.getRuntime().removeShutdownHook(cancelHook);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook runs
                    }
                }
            }
            JsonNode done = last.get();
            switch (done.path("status").asText()) {
                case "completed" -> {
                    Path file = output != null ? output : Path.of(id + ".png");
                    Files.write(file, api.download(done.at("/result/urls/0").asText()));
                    if (json) cli.out.println(done.toPrettyString());
                    else cli.out.println(file + " (seed " + done.at("/result/seed").asLong() + ", " + done.at("/result/width").asInt() + "x"
                            + done.at("/result/height").asInt() + ")");
                    return OK;
                }
                case "failed" -> {
                    if (json) cli.out.println(done.toPrettyString());
                    cli.err.println("easel: job " + id + " failed: " + done.at("/error/code").asText() + ": " + done.at("/error/message").asText());
                    return FAILED;
                }
                default -> {
                    if (json) cli.out.println(done.toPrettyString());
                    cli.err.println("easel: job " + id + " was cancelled");
                    return CANCELLED;
                }
            }
        }

        /** {@code VALUE[:STRENGTH]} items (the strength after the last colon, when it is a number: URLs have colons too). */
        private static void withStrengths(ArrayNode into, String field, List<String> items, String flag) {
            for (String item : items) {
                int colon = item.lastIndexOf(':');
                String value = item;
                Double strength = null;
                if (colon > 0) {
                    try {
                        strength = Double.parseDouble(item.substring(colon + 1));
                        value = item.substring(0, colon);
                    } catch (NumberFormatException notAStrength) {
                        // part of the value (https://…)
                    }
                }
                if (value.isBlank()) throw new IllegalArgumentException(flag + " takes VALUE[:STRENGTH] (got " + item + ")");
                ObjectNode o = into.addObject().put(field, value);
                if (strength != null) o.put("strength", strength);
            }
        }
    }

    /** What a person sees while a job runs: a live bar on a terminal, one line per status otherwise. */
    private static final class StatusLine {
        private final Cli cli;
        private final String id;
        private String lastStatus;
        private boolean drawn;

        StatusLine(Cli cli, String id) {
            this.cli = cli;
            this.id = id;
        }

        void show(JsonNode job) {
            String status = job.path("status").asText();
            int step = job.at("/progress/step").asInt(0), steps = job.at("/progress/steps").asInt(0);
            if (cli.terminal) {
                int width = 30, filled = status.equals("completed") ? width : steps > 0 ? Math.min(width, step * width / steps) : 0;
                String bar = "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
                cli.err.print("\r" + bar + " " + status + (steps > 0 ? " " + step + "/" + steps : "") + "        ");
                cli.err.flush();
                drawn = true;
            } else if (!status.equals(lastStatus)) {
                cli.err.println("job " + id + " " + status + (steps > 0 ? " " + step + "/" + steps : ""));
            }
            lastStatus = status;
        }

        void end() {
            if (drawn) cli.err.println();
        }
    }

    @Command(name = "jobs", mixinStandardHelpOptions = true, description = "Your jobs.",
            subcommands = {Jobs.ListJobs.class, Jobs.Get.class, Jobs.Cancel.class, Jobs.Delete.class})
    static final class Jobs {
        @ParentCommand
        Cli cli;

        @Command(name = "list", mixinStandardHelpOptions = true, description = "Your jobs, newest first: id, status, created_at.")
        static final class ListJobs implements Callable<Integer> {
            @ParentCommand
            Jobs jobs;

            @Option(names = "--limit", defaultValue = "20")
            int limit;

            @Option(names = "--status")
            String status;

            @Option(names = "--cursor")
            String cursor;

            @Option(names = "--json", description = "the page as JSON")
            boolean json;

            @Override
            public Integer call() throws Exception {
                String query = "/jobs?limit=" + limit + (status != null ? "&status=" + enc(status) : "") + (cursor != null ? "&cursor=" + enc(cursor) : "");
                JsonNode page = jobs.cli.api().get(query);
                if (json) {
                    jobs.cli.out.println(page.toPrettyString());
                    return OK;
                }
                for (JsonNode j : page.path("items")) {
                    jobs.cli.out.println(j.path("job_id").asText() + "  " + j.path("status").asText() + "  " + j.path("created_at").asText());
                }
                if (!page.path("next_cursor").isNull()) jobs.cli.out.println("more: --cursor " + page.path("next_cursor").asText());
                return OK;
            }
        }

        @Command(name = "get", mixinStandardHelpOptions = true, description = "One job, as JSON.")
        static final class Get implements Callable<Integer> {
            @ParentCommand
            Jobs jobs;

            @Parameters(paramLabel = "ID")
            String id;

            @Override
            public Integer call() throws Exception {
                jobs.cli.out.println(jobs.cli.api().get("/jobs/" + enc(id)).toPrettyString());
                return OK;
            }
        }

        @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancels a pending job (DELETE /jobs/{id}).")
        static final class Cancel implements Callable<Integer> {
            @ParentCommand
            Jobs jobs;

            @Parameters(paramLabel = "ID")
            String id;

            @Override
            public Integer call() throws Exception {
                JsonNode j = jobs.cli.api().delete("/jobs/" + enc(id));
                jobs.cli.out.println(id + " " + j.path("status").asText());
                return OK;
            }
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a finished job and its images (DELETE /jobs/{id}).")
        static final class Delete implements Callable<Integer> {
            @ParentCommand
            Jobs jobs;

            @Parameters(paramLabel = "ID")
            String id;

            @Override
            public Integer call() throws Exception {
                JsonNode j = jobs.cli.api().delete("/jobs/" + enc(id));
                jobs.cli.out.println(id + " " + (TERMINAL.contains(j.path("status").asText()) ? "deleted" : j.path("status").asText()));
                return OK;
            }
        }
    }

    @Command(name = "account", mixinStandardHelpOptions = true, description = "Your balance, reserved money and limits (JSON).")
    static final class Account implements Callable<Integer> {
        @ParentCommand
        Cli cli;

        @Override
        public Integer call() throws Exception {
            cli.out.println(cli.api().get("/account").toPrettyString());
            return OK;
        }
    }

    /** Uploads and lists of the account's library: LoRA styles and assets. */
    static final class Library {
        /** The first page of a library list: one line per item (id and its name), or the JSON page. */
        static int list(Cli cli, String path, String nameField, boolean json) throws Exception {
            JsonNode page = cli.api().get(path + "?limit=100");
            if (json) {
                cli.out.println(page.toPrettyString());
                return OK;
            }
            for (JsonNode item : page.path("items")) cli.out.println(item.path("id").asText() + "  " + item.path(nameField).asText(""));
            if (page.hasNonNull("next_cursor")) cli.out.println("more: use the API with cursor=" + page.get("next_cursor").asText());
            return OK;
        }

        @Command(name = "styles", mixinStandardHelpOptions = true, description = "Your LoRA styles.",
                subcommands = {Styles.Upload.class, Styles.ListStyles.class})
        static final class Styles {
            @ParentCommand
            Cli cli;

            @Command(name = "upload", mixinStandardHelpOptions = true, description = "Uploads a LoRA (.safetensors) as a style; prints it (JSON).")
            static final class Upload implements Callable<Integer> {
                @ParentCommand
                Styles styles;

                @Parameters(paramLabel = "FILE")
                Path file;

                @Option(names = "--title")
                String title;

                @Option(names = "--prompt", description = "words the style adds to the prompt")
                String prompt;

                @Override
                public Integer call() throws Exception {
                    java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
                    fields.put("title", title);
                    fields.put("prompt", prompt);
                    styles.cli.out.println(styles.cli.api().upload("/styles", file, fields).toPrettyString());
                    return OK;
                }
            }

            @Command(name = "list", mixinStandardHelpOptions = true, description = "Your styles: id and title.")
            static final class ListStyles implements Callable<Integer> {
                @ParentCommand
                Styles styles;

                @Option(names = "--json")
                boolean json;

                @Override
                public Integer call() throws Exception {
                    return list(styles.cli, "/styles", "title", json);
                }
            }
        }

        @Command(name = "assets", mixinStandardHelpOptions = true, description = "Your uploaded images.",
                subcommands = {Assets.Upload.class, Assets.ListAssets.class})
        static final class Assets {
            @ParentCommand
            Cli cli;

            @Command(name = "upload", mixinStandardHelpOptions = true, description = "Uploads an image as an asset; prints it (JSON).")
            static final class Upload implements Callable<Integer> {
                @ParentCommand
                Assets assets;

                @Parameters(paramLabel = "FILE")
                Path file;

                @Option(names = "--description")
                String description;

                @Override
                public Integer call() throws Exception {
                    java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
                    fields.put("description", description);
                    assets.cli.out.println(assets.cli.api().upload("/assets", file, fields).toPrettyString());
                    return OK;
                }
            }

            @Command(name = "list", mixinStandardHelpOptions = true, description = "Your assets: id and description.")
            static final class ListAssets implements Callable<Integer> {
                @ParentCommand
                Assets assets;

                @Option(names = "--json")
                boolean json;

                @Override
                public Integer call() throws Exception {
                    return list(assets.cli, "/assets", "description", json);
                }
            }
        }
    }

    /** The admin API, with the admin token: --admin-token, else EASEL_ADMIN_TOKEN, else <data-dir>/admin-token. */
    @Command(name = "admin", mixinStandardHelpOptions = true, description = "Accounts, credits and keys (the admin token).",
            subcommands = {Admin.Accounts.class})
    static final class Admin {
        @ParentCommand
        Cli cli;

        @Option(names = "--admin-token", scope = CommandLine.ScopeType.INHERIT, description = "default EASEL_ADMIN_TOKEN, else <data-dir>/admin-token")
        String token;

        KreaApi api() {
            String t = token != null ? token : cli.env.get("EASEL_ADMIN_TOKEN");
            if (t == null) {
                try {
                    t = Files.readString(cli.dataDir.resolve("admin-token")).strip();
                } catch (IOException e) {
                    // none: the server says so
                }
            }
            return new KreaApi(cli.url, t);
        }

        @Command(name = "accounts", mixinStandardHelpOptions = true, description = "Accounts.",
                subcommands = {Accounts.Create.class, Accounts.Credit.class, Accounts.Keys.class})
        static final class Accounts {
            @ParentCommand
            Admin admin;

            @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates an account; prints it with its API key (shown once).")
            static final class Create implements Callable<Integer> {
                @ParentCommand
                Accounts accounts;

                @Parameters(paramLabel = "NAME")
                String name;

                @Option(names = "--credits", description = "USD (default 0)")
                java.math.BigDecimal credits;

                @Option(names = "--max-concurrent")
                Integer maxConcurrent;

                @Option(names = "--max-backlog")
                Integer maxBacklog;

                @Override
                public Integer call() throws Exception {
                    ObjectNode body = Json.MAPPER.createObjectNode().put("name", name);
                    if (credits != null) body.put("credits_usd", credits);
                    if (maxConcurrent != null) body.put("max_concurrent_jobs", maxConcurrent);
                    if (maxBacklog != null) body.put("max_backlog", maxBacklog);
                    accounts.admin.cli.out.println(accounts.admin.api().post("/admin/accounts", body, null).toPrettyString());
                    return OK;
                }
            }

            @Command(name = "credit", mixinStandardHelpOptions = true, description = "Adds credits (negative: takes them away); prints the account.")
            static final class Credit implements Callable<Integer> {
                @ParentCommand
                Accounts accounts;

                @Parameters(index = "0", paramLabel = "ID")
                String id;

                @Parameters(index = "1", paramLabel = "USD")
                java.math.BigDecimal amount;

                @Override
                public Integer call() throws Exception {
                    JsonNode a = accounts.admin.api().post("/admin/accounts/" + enc(id) + "/credits",
                            Json.MAPPER.createObjectNode().put("amount_usd", amount), null);
                    accounts.admin.cli.out.println(a.toPrettyString());
                    return OK;
                }
            }

            @Command(name = "keys", mixinStandardHelpOptions = true, description = "Issues a new API key (--issue) or revokes them all (--revoke).")
            static final class Keys implements Callable<Integer> {
                @ParentCommand
                Accounts accounts;

                @Parameters(paramLabel = "ID")
                String id;

                @CommandLine.ArgGroup(multiplicity = "1")
                What what;

                static final class What {
                    @Option(names = "--issue", required = true)
                    boolean issue;

                    @Option(names = "--revoke", required = true)
                    boolean revoke;
                }

                @Override
                public Integer call() throws Exception {
                    KreaApi api = accounts.admin.api();
                    String path = "/admin/accounts/" + enc(id) + "/keys";
                    JsonNode out = what.issue ? api.post(path, Json.MAPPER.createObjectNode(), null) : api.delete(path);
                    accounts.admin.cli.out.println(out.toPrettyString());
                    return OK;
                }
            }
        }
    }

    @Command(name = "completion", mixinStandardHelpOptions = true,
            description = "Prints a bash/zsh completion script: source <(./easel completion)")
    static final class Completion implements Callable<Integer> {
        @ParentCommand
        Cli cli;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            cli.out.print(AutoComplete.bash("easel", spec.parent().commandLine()));
            return OK;
        }
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
}
