package dev.easel.engine.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.easel.TestServer;
import dev.easel.engine.Progress;
import dev.easel.engine.RenderSpec;
import dev.easel.engine.RenderStopped;
import dev.easel.engine.RenderedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lane follows what its driver declares: a server that reports progress and previews has them
 * carried to the job instead of estimates, and one that can cancel is told to when the job stops.
 * (SGLang declares none of these; the ComfyUI driver will.) The server here is a scripted driver.
 */
class GpuLaneTest {
    private final Path dir = TestServer.tempDir("easel-lane-");

    @AfterEach
    void clean() {
        TestServer.deleteTree(dir);
    }

    /** A server that reports steps 3 and 6 of 8 and a preview, and waits for a release or a cancel. */
    static final class Scripted implements GpuDriver {
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> cancelled = new CopyOnWriteArrayList<>();
        volatile String lastId;

        public String kind() {
            return "scripted";
        }

        public Capabilities capabilities() {
            return new Capabilities(false, 4, true, true, true, true, true);
        }

        public String probe(Duration timeout) {
            return "scripted-model";
        }

        public void setLoras(List<ActiveLora> current, List<ActiveLora> wanted, Duration timeout) {}

        public Output generate(Request r, Duration timeout, Events events) throws InterruptedException {
            lastId = r.id();
            events.step(3, r.steps());
            events.preview(SglangStandIn.picture(r.width(), r.height(), "preview", 1, List.of()));
            events.step(6, r.steps());
            release.await(10, TimeUnit.SECONDS);
            return new Output(SglangStandIn.picture(r.width(), r.height(), r.prompt(), r.seed(), List.of()), 0.5);
        }

        @Override
        public void cancel(String requestId, Duration timeout) {
            cancelled.add(requestId);
            release.countDown();
        }
    }

    private GpuLane lane(Scripted driver) {
        GpuServer server = new GpuServer("scripted://gpu", driver, Recipe.TURBO);
        server.up("scripted-model", System.nanoTime());
        return new GpuLane(server, new LoraFiles(dir, dir.toString(), Map.of()), Duration.ofSeconds(10), true);
    }

    private static final RenderSpec SPEC = new RenderSpec(1024, 1024, 5, "a fox", 0, 0, List.of());

    @Test
    void aServerThatReportsProgressAndPreviewsHasThemCarriedToTheJob() throws Exception {
        Scripted driver = new Scripted();
        List<Integer> steps = new CopyOnWriteArrayList<>();
        List<byte[]> previews = new CopyOnWriteArrayList<>();
        Progress progress = new Progress() {
            public void step(int step, int of) {
                steps.add(step);
                if (step == 6) driver.release.countDown(); // the server goes on once the job has seen step 6
            }

            public void preview(byte[] png) {
                previews.add(png);
            }
        };
        RenderedImage image = lane(driver).render(SPEC, progress);
        assertThat(image.width()).isEqualTo(1024);
        assertThat(steps).as("the server's own steps, no estimates").startsWith(0).endsWith(8).contains(6).isSubsetOf(0, 3, 6, 8);
        assertThat(previews).hasSize(1);
        assertThat(driver.cancelled).isEmpty();
    }

    @Test
    void aStoppedJobCancelsItsRequestOnAServerThatCan() {
        Scripted driver = new Scripted();
        Progress stopAtSix = new Progress() {
            public void step(int step, int of) {
                if (step == 6) throw new RenderStopped("claim ended");
            }

            public void preview(byte[] png) {}
        };
        assertThatThrownBy(() -> lane(driver).render(SPEC, stopAtSix)).isInstanceOf(RenderStopped.class);
        assertThat(driver.cancelled).containsExactly(driver.lastId);
    }
}
