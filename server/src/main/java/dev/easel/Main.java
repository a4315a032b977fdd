package dev.easel;

import dev.easel.blobs.BlobStore;
import dev.easel.store.Database;
import dev.easel.store.StoreException;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** {@code easel serve [options]}: see {@link Config#usage()}. */
public final class Main {
    private Main() {}

    /** {@code easel migrate --db postgresql://…}: brings a PostgreSQL database to this version's schema. */
    private static void migrate(List<String> args) {
        Config config;
        try {
            config = Config.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("easel: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (!config.db().isPostgresql()) {
            System.err.println("easel: migrate is for a PostgreSQL database (--db postgresql://…); SQLite is migrated at start");
            System.exit(2);
        }
        try {
            int applied = Database.migratePostgresql(config.db().jdbcUrl(), config.db().user(), config.db().password());
            System.out.println("easel: " + (applied == 0 ? "the schema was up to date" : "applied " + applied + " migration(s)") + " at " + config.db());
        } catch (RuntimeException e) {
            System.err.println("easel: migrating " + config.db() + " failed: " + e.getMessage());
            System.exit(1);
        }
    }

    public static void main(String[] argv) throws InterruptedException {
        List<String> args = Arrays.asList(argv);
        if (args.isEmpty()) {
            System.err.print(Config.usage());
            System.exit(2);
        }
        if (dev.easel.cli.Cli.COMMANDS.contains(args.get(0))) { // a client of a server's public API, not a server
            System.exit(dev.easel.cli.Cli.run(argv, System.out, System.err, System.getenv(), System.console() != null));
        }
        if (args.contains("--help") || args.contains("-h") || args.get(0).equals("help")) {
            System.out.print(Config.usage());
            return;
        }
        if (args.get(0).equals("migrate")) {
            migrate(args.subList(1, args.size()));
            return;
        }
        boolean worker = args.get(0).equals("worker");
        if (!args.get(0).equals("serve") && !worker) {
            System.err.println("easel: unknown command " + args.get(0) + " (commands: serve, worker, migrate, test, help; generate, jobs, account, completion)\n\n" + Config.usage());
            System.exit(2);
        }
        Config config;
        try {
            config = Config.parse(args.subList(1, args.size()), System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("easel: " + e.getMessage() + "\n(./easel --help lists the options)");
            System.exit(2);
            return;
        }
        Easel easel;
        try {
            easel = worker ? Easel.startWorker(config, Clock.systemUTC()) : Easel.start(config, Clock.systemUTC());
        } catch (Easel.PortUnavailable | Database.SchemaMismatch | StoreException | BlobStore.Unavailable e) {
            System.err.println("easel: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println();
        System.out.println(worker ? "  easel worker: rendering jobs; health and metrics at " + easel.publicUrl()
                : "  easel is serving the Krea 2 API at " + easel.publicUrl());
        // printed to the terminal once, on the first start; the log stream never carries it
        easel.newDevKey().ifPresent(key -> System.out.println("  dev API key:  " + key + "  (also in " + easel.dataDir().resolve("dev-api-key") + ")"));
        if (easel.newDevKey().isEmpty()) System.out.println("  dev API key:  " + easel.dataDir().resolve("dev-api-key"));
        System.out.println("  admin token:  " + (config.adminToken() != null ? "$EASEL_ADMIN_TOKEN" : easel.dataDir().resolve("admin-token")));
        System.out.println("  engine:       " + switch (config.engine()) {
            case "sglang" -> "sglang: Krea 2 on " + config.gpuServers().size() + " SGLang server(s)";
            case "comfyui" -> "comfyui: Krea 2 on " + config.gpuServers().size() + " ComfyUI server(s)";
            default -> "sketch (procedural drawings, not a neural model)";
        });
        System.out.println();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            easel.close();
            stopped.countDown();
        }, "easel-shutdown"));
        stopped.await();
    }
}
