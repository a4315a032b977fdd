package dev.easel.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL's LISTEN/NOTIFY on the channel {@code easel}: every node tells the others what it
 * changed (a job's id, "queued", "webhook"), so that idle workers wake within milliseconds of a
 * submission anywhere and SSE streams on any node follow changes made on another. Notices only
 * shorten waits: every waiter still re-reads the database after a timeout, so a lost notice costs
 * latency, never correctness. After the listening connection is lost and made again, a
 * {@code resync} notice is passed on, since notices may have been missed meanwhile.
 */
public final class Notifications implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Notifications.class);
    public static final String CHANNEL = "easel";

    private final Database db;
    private final String jdbcUrl, user, password;
    private volatile boolean closed;
    private Thread listener;
    private final BlockingQueue<String> outbox = new LinkedBlockingQueue<>();
    private final Thread sender = Thread.ofPlatform().daemon().name("easel-notices").unstarted(this::sendLoop);

    public Notifications(Database db, String jdbcUrl, String user, String password) {
        this.db = db;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        sender.start();
    }

    /**
     * Queues the notices of a change that committed; a sender thread sends what has gathered in one
     * short transaction (the same notice once), so a burst of submissions costs a few transactions, not
     * one each, and the request that made the change does not wait for it.
     */
    public void send(List<String> messages) {
        outbox.addAll(messages);
    }

    private void sendLoop() {
        Set<String> batch = new LinkedHashSet<>();
        while (!closed) {
            try {
                batch.add(outbox.take());
            } catch (InterruptedException e) {
                continue; // close() sets closed first
            }
            outbox.drainTo(batch, 1000);
            try {
                db.tx(tx -> {
                    for (String m : batch) tx.one("SELECT pg_notify('" + CHANNEL + "', ?)", r -> true, m);
                    return null;
                });
            } catch (RuntimeException e) {
                log.warn("notices not sent (other nodes will see the change at their next poll): {}", e.getMessage());
            }
            batch.clear();
        }
    }

    /** Listens on a connection of its own, on a daemon thread, until closed. */
    public void listen(Consumer<String> receive) {
        listener = Thread.ofPlatform().daemon().name("easel-notifications").start(() -> {
            long backoff = 250;
            boolean first = true;
            while (!closed) {
                try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement s = c.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                    if (!first) receive.accept("resync");
                    first = false;
                    backoff = 250;
                    PGConnection pg = c.unwrap(PGConnection.class);
                    while (!closed) {
                        PGNotification[] notices = pg.getNotifications(500);
                        if (notices == null) continue;
                        for (PGNotification n : notices) receive.accept(n.getParameter());
                    }
                } catch (SQLException e) {
                    if (closed) return;
                    log.warn("listening for other nodes' notices failed; again in {} ms: {}", backoff, e.getMessage());
                    try {
                        Thread.sleep(backoff);
                    } catch (InterruptedException stop) {
                        return;
                    }
                    backoff = Math.min(10_000, backoff * 2);
                }
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        if (listener != null) listener.interrupt();
        sender.interrupt();
    }
}
