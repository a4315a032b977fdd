package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import dev.easel.RemoteSite;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * No prompt, no API key, no image token, no webhook secret and no path of a webhook or reference URL
 * (it may carry its site's own token) in the log at INFO; a request id on every request line.
 */
class LogHygieneTest {
    private static void awaitLine(ListAppender<ILoggingEvent> captured, String start) {
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(30);
        while (true) {
            List<ILoggingEvent> seen;
            synchronized (captured) { // the appender adds under this lock
                seen = List.copyOf(captured.list);
            }
            if (seen.stream().anyMatch(e -> e.getFormattedMessage().startsWith(start))) return;
            if (java.time.Instant.now().isAfter(deadline)) throw new AssertionError("no log line starting with " + start);
            TestServer.sleep(5);
        }
    }

    /** The dev account's key goes to its file and, once, to the terminal; never to the log stream. */
    @Test
    void theLogCarriesNoSecretsAndNoPrompts() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        Logger access = ctx.getLogger("easel.access");
        Level accessLevel = access.getLevel();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        access.setLevel(Level.INFO);
        try (TestServer server = TestServer.start(1, 0, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")));
             RemoteSite receiver = new RemoteSite()) {
            String key = server.account("1", 2, 2);
            String prompt = "zebra-secret-prompt-7731";
            JsonNode job = server.generate(key, "{\"prompt\":\"" + prompt + "\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\"}").json();
            JsonNode done = server.awaitStatus(key, job.get("job_id").asText(), "completed");
            String image = URI.create(done.get("result").get("urls").get(0).asText()).getPath();
            server.send("GET", image, null, Map.of());
            server.generate(key, "{\"prompt\":\"" + prompt + "\"}"); // a 400 echoes the body to the client, not to the log
            String hookToken = "hook-token-5521";
            server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY,
                    Map.of("Authorization", "Bearer " + key, "X-Webhook-URL", receiver.url("/in/" + hookToken + "?sig=" + hookToken)));
            receiver.await(r -> r.size() == 1);
            String secret = server.get(key, "/account/webhook-secret").json().get("secret").asText();
            String refToken = "ref-token-8842"; // the receiver answers "ok", which is no image: the job fails
            JsonNode ref = server.generate(key, "{\"prompt\":\"x\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\","
                    + "\"image_style_references\":[{\"url\":\"" + receiver.url("/ref/" + refToken + ".png?sig=" + refToken) + "\"}]}").json();
            server.awaitStatus(key, ref.get("job_id").asText(), "failed");
            // the attempt's log line follows the receiver's answer: wait for it to be written
            awaitLine(captured, "webhook attempt host=127.0.0.1");
            awaitLine(captured, "reference unavailable: ");
            String devKey = server.devKey();

            String token = image.substring("/images/".length(), image.length() - 4);
            assertThat(captured.list).isNotEmpty();
            for (ILoggingEvent e : captured.list) {
                if (!e.getLevel().isGreaterOrEqual(Level.INFO)) continue;
                String line = e.getFormattedMessage() + " " + e.getMDCPropertyMap();
                assertThat(line).doesNotContain(prompt).doesNotContain(key).doesNotContain(devKey).doesNotContain(token).doesNotContain(hookToken).doesNotContain(refToken)
                        .doesNotContain(secret.substring("whsec_".length()));
            }
            assertThat(captured.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).startsWith("webhook attempt host=127.0.0.1"));
            assertThat(captured.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                    .startsWith("reference unavailable: image_style_references[0] from 127.0.0.1 is not a usable image"));
            assertThat(captured.list.stream().filter(e -> e.getLoggerName().equals("easel.access")))
                    .allSatisfy(e -> assertThat(e.getMDCPropertyMap()).containsKey("request_id"));
        } finally {
            root.detachAppender(captured);
            access.setLevel(accessLevel);
        }
    }
}
