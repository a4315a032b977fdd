package dev.easel.store;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** A transaction that a test keeps open, so that what is submitted meanwhile has to wait behind it. */
public final class HeldTransaction {
    private HeldTransaction() {}

    /**
     * Runs {@code first} in a transaction of {@code db} on {@code pool} and keeps that transaction open
     * until the returned latch is released; returns once {@code first} has run.
     */
    public static CountDownLatch hold(ExecutorService pool, Database db, Database.Work<?> first) throws InterruptedException {
        CountDownLatch inside = new CountDownLatch(1), release = new CountDownLatch(1);
        pool.submit(() -> db.tx(tx -> {
            first.run(tx);
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return null;
        }));
        if (!inside.await(10, TimeUnit.SECONDS)) throw new AssertionError("the transaction to hold never started");
        return release;
    }
}
