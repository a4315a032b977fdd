package dev.easel.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.easel.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Calls that arrive while a batch runs wait and run together as the next batch, on a caller's thread;
 * each gets its own outcome; a batch that throws fails its calls and no others; nobody is left waiting.
 */
@Timeout(60)
class BatcherTest {
    private final ExecutorService pool = Executors.newFixedThreadPool(16);
    private final List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstInside = new CountDownLatch(1), releaseFirst = new CountDownLatch(1);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** Doubles each item; odd items fail alone; the first batch waits until released; a batch holding 13 throws. */
    private final Batcher<Integer, Integer> batcher = new Batcher<>(5, items -> {
        batches.add(List.copyOf(items));
        if (batches.size() == 1) {
            firstInside.countDown();
            await(releaseFirst);
        }
        if (items.contains(13)) throw new IllegalStateException("unlucky batch");
        List<Batcher.Outcome<Integer>> out = new ArrayList<>();
        for (int i : items) {
            out.add(i % 2 == 1 ? new Batcher.Outcome.Failed<>(new IllegalArgumentException("odd " + i)) : new Batcher.Outcome.Done<>(i * 2));
        }
        return out;
    });

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitWaiting(int n) {
        TestServer.await(n + " calls waiting", () -> batcher.state().waiting() >= n);
    }

    @Test
    void aLoneCallRunsAtOnceAsABatchOfOne() {
        releaseFirst.countDown();
        assertThat(batcher.call(4)).isEqualTo(8);
        assertThatThrownBy(() -> batcher.call(3)).isInstanceOf(IllegalArgumentException.class).hasMessage("odd 3");
        assertThat(batches).containsExactly(List.of(4), List.of(3));
    }

    @Test
    void callsArrivingDuringABatchRunTogetherNextEachWithItsOwnOutcome() throws Exception {
        Future<Integer> first = pool.submit(() -> batcher.call(100));
        await(firstInside);
        List<Future<Integer>> later = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int item = i;
            later.add(pool.submit(() -> batcher.call(item)));
            awaitWaiting(i + 1); // in this order
        }
        releaseFirst.countDown();
        assertThat(first.get()).isEqualTo(200);
        assertThat(later.get(0).get()).isZero();
        assertThat(later.get(2).get()).isEqualTo(4);
        assertThatThrownBy(() -> later.get(1).get()).isInstanceOf(ExecutionException.class).cause().hasMessage("odd 1");
        assertThatThrownBy(() -> later.get(3).get()).isInstanceOf(ExecutionException.class).cause().hasMessage("odd 3");
        assertThat(batches).containsExactly(List.of(100), List.of(0, 1, 2, 3));
    }

    @Test
    void aBatchNeverHoldsMoreThanItsMaximumAndTheRestRunNext() throws Exception {
        pool.submit(() -> batcher.call(100));
        await(firstInside);
        List<Future<Integer>> later = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            int item = 2 * i;
            later.add(pool.submit(() -> batcher.call(item)));
            awaitWaiting(i + 1);
        }
        releaseFirst.countDown();
        for (int i = 0; i < 7; i++) assertThat(later.get(i).get()).isEqualTo(4 * i);
        assertThat(batches).containsExactly(List.of(100), List.of(0, 2, 4, 6, 8), List.of(10, 12));
    }

    @Test
    void aBatchThatThrowsFailsItsCallsOnlyAndTheNextBatchStillRuns() throws Exception {
        pool.submit(() -> batcher.call(100));
        await(firstInside);
        Future<Integer> unlucky = pool.submit(() -> batcher.call(13));
        awaitWaiting(1);
        Future<Integer> beside = pool.submit(() -> batcher.call(20));
        awaitWaiting(2);
        releaseFirst.countDown();
        assertThatThrownBy(unlucky::get).cause().isInstanceOf(IllegalStateException.class).hasMessage("unlucky batch");
        assertThatThrownBy(beside::get).cause().hasMessage("unlucky batch");
        assertThat(batcher.call(22)).isEqualTo(44); // the lead was handed back: a new call runs
        assertThat(batcher.state().waiting()).isZero();
    }
}
