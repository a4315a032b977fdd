package dev.easel.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.MutableClock;
import dev.easel.TestPostgres;
import dev.easel.TestS3;
import dev.easel.TestServer;
import dev.easel.store.Database;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A key found valid is trusted for {@link AccountService#KEY_RECHECK} without a lookup; a revocation
 * is seen at once on its node and, by a notice, on the other nodes; a node that did not hear of it
 * looks the key up again once that time has passed. The clock stands still in these tests unless
 * moved, so only the behaviour under test can make a remembered key be refused.
 */
class KeyCacheTest {
    private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void aRevokedKeyIsRefusedAtOnceOnTheNodeThatRevokedIt() {
        try (TestServer server = TestServer.start(0, 0, new MutableClock(T0))) {
            String key = server.account("1", 1, 1);
            assertThat(server.get(key, "/account").status()).isEqualTo(200);
            String id = server.get(key, "/account").json().get("id").asText();
            Map<String, String> admin = Map.of("Authorization", "Bearer " + server.easel.adminToken());
            assertThat(server.send("DELETE", "/admin/accounts/" + id + "/keys", null, admin).status()).isEqualTo(200);
            assertThat(server.get(key, "/account").status()).isEqualTo(401);
        }
    }

    @Test
    void aKeyRevokedBehindTheNodesBackIsRefusedOnceTheRecheckTimeHasPassed() {
        MutableClock clock = new MutableClock(T0);
        try (TestServer server = TestServer.start(0, 0, clock)) {
            String key = server.account("1", 1, 1);
            assertThat(server.get(key, "/jobs").status()).isEqualTo(200);
            // as another node would without telling this one: straight in the database
            try (Database other = TestPostgres.open(server.dataDir)) {
                other.tx(tx -> tx.update("UPDATE api_keys SET revoked_at = 1"));
            }
            assertThat(server.get(key, "/jobs").status()).as("trusted for the recheck time").isEqualTo(200);
            clock.advance(AccountService.KEY_RECHECK);
            assertThat(server.get(key, "/jobs").status()).isEqualTo(401);
            assertThat(server.get(key, "/jobs").status()).as("a refused key is not remembered as valid").isEqualTo(401);
        }
    }

    @Test
    void aKeyRevokedOnOneNodeIsRefusedOnTheOthersWithoutWaitingForTheRecheck() throws Exception {
        Assumptions.assumeTrue(TestPostgres.enabled(), "several nodes share a PostgreSQL database");
        Path firstDir = TestServer.tempDir("easel-keys-a-"), secondDir = TestServer.tempDir("easel-keys-b-");
        List<String> shared = new ArrayList<>(List.of("--db", TestPostgres.get().databaseFor(firstDir)));
        shared.addAll(TestS3.get().flags(TestS3.get().bucketFor(firstDir)));
        try (TestServer first = TestServer.start(firstDir, 0, 0, new MutableClock(T0), Duration.ofMinutes(10));
             TestServer second = TestServer.start(secondDir, 0, 0, new MutableClock(T0), Duration.ofMinutes(10), shared.toArray(String[]::new))) {
            String key = first.account("1", 1, 1);
            String id = first.get(key, "/account").json().get("id").asText();
            assertThat(second.get(key, "/account").status()).isEqualTo(200);
            Map<String, String> admin = Map.of("Authorization", "Bearer " + first.easel.adminToken());
            assertThat(first.send("DELETE", "/admin/accounts/" + id + "/keys", null, admin).status()).isEqualTo(200);
            TestServer.await("the other node refuses the revoked key", () -> second.get(key, "/account").status() == 401);
        } finally {
            TestServer.deleteTree(firstDir);
            TestServer.deleteTree(secondDir);
        }
    }
}
