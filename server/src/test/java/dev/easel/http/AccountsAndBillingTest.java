package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import dev.easel.accounts.AccountService;
import dev.easel.errors.DomainError;
import dev.easel.jobs.AspectRatio;
import dev.easel.jobs.Creativity;
import dev.easel.jobs.GenerateRequest;
import dev.easel.jobs.JobService;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AccountsAndBillingTest {
    TestServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    TestServer start(int workers) {
        server = TestServer.start(workers, 0, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")));
        return server;
    }

    @Test
    void unauthenticatedRequestsGet401() {
        start(0);
        TestServer.Response missing = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY, Map.of());
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.error()).isEqualTo("missing API key: send the header Authorization: Bearer <your API key>");
        assertThat(missing.header("WWW-Authenticate")).isEqualTo("Bearer");
        TestServer.Response malformed = server.send("GET", "/account", null, Map.of("Authorization", "Basic dXNlcjpwYXNz"));
        assertThat(malformed.status()).isEqualTo(401);
        assertThat(malformed.error()).isEqualTo("malformed Authorization header: expected Bearer <your API key>");
        TestServer.Response unknown = server.get("easel_not-a-real-key", "/jobs");
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(unknown.error()).isEqualTo("invalid API key: it is unknown or was revoked");
        assertThat(server.get(server.easel.adminToken(), "/account").status()).as("the admin token is no API key").isEqualTo(401);
    }

    @Test
    void devAccountStartsWithTenDollars() {
        start(0);
        JsonNode account = server.get(server.devKey(), "/account").json();
        assertThat(account.get("name").asText()).isEqualTo("dev");
        assertThat(account.get("balance_usd").decimalValue()).isEqualByComparingTo("10");
        assertThat(account.get("max_concurrent_jobs").asInt()).isEqualTo(2);
        assertThat(account.get("max_backlog").asInt()).isEqualTo(20);
    }

    @Test
    void adminManagesAccountsAndKeys() {
        start(0);
        Map<String, String> admin = Map.of("Authorization", "Bearer " + server.easel.adminToken());
        assertThat(server.send("POST", "/admin/accounts", "{\"name\":\"x\"}", Map.of("Authorization", "Bearer wrong")).status()).isEqualTo(401);
        TestServer.Response bad = server.send("POST", "/admin/accounts", "{\"name\":\"x\",\"credits_usd\":-1,\"max_backlog\":1.5,\"color\":1}", admin);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.error()).contains("unknown field \"color\"");
        TestServer.Response bad2 = server.send("POST", "/admin/accounts", "{\"name\":\"x\",\"credits_usd\":0.0000001}", admin);
        assertThat(bad2.error()).isEqualTo("credits_usd must have at most 6 decimals (got 0.0000001)");

        TestServer.Response created = server.send("POST", "/admin/accounts", "{\"name\":\"acme\",\"credits_usd\":1.5}", admin);
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().get("id").asText();
        String key = created.json().get("api_key").asText();
        assertThat(created.json().get("balance_usd").decimalValue()).isEqualByComparingTo("1.5");
        assertThat(created.json().get("max_concurrent_jobs").asInt()).isEqualTo(2);

        JsonNode credited = server.send("POST", "/admin/accounts/" + id + "/credits", "{\"amount_usd\":-0.25}", admin).json();
        assertThat(credited.get("balance_usd").decimalValue()).isEqualByComparingTo("1.25");
        assertThat(server.send("POST", "/admin/accounts/nope/credits", "{\"amount_usd\":1}", admin).status()).isEqualTo(404);

        assertThat(server.get(key, "/account").status()).isEqualTo(200);
        assertThat(server.send("DELETE", "/admin/accounts/" + id + "/keys", null, admin).json().get("revoked").asInt()).isEqualTo(1);
        assertThat(server.get(key, "/account").status()).isEqualTo(401);
        String newKey = server.send("POST", "/admin/accounts/" + id + "/keys", null, admin).json().get("api_key").asText();
        assertThat(server.get(newKey, "/account").json().get("id").asText()).isEqualTo(id);
    }

    /** Read from the SQLite file itself (on PostgreSQL the same store code writes the same columns). */
    @Test
    void keysAreStoredOnlyAsHashes() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(dev.easel.TestPostgres.enabled(), "reads the SQLite file");
        start(0);
        String key = server.account("1", 1, 1);
        byte[] db = java.nio.file.Files.readAllBytes(server.dataDir.resolve("easel.db"));
        byte[] wal = java.nio.file.Files.exists(server.dataDir.resolve("easel.db-wal"))
                ? java.nio.file.Files.readAllBytes(server.dataDir.resolve("easel.db-wal")) : new byte[0];
        String all = new String(db, java.nio.charset.StandardCharsets.ISO_8859_1) + new String(wal, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(all).doesNotContain(key.substring(6)).contains(dev.easel.accounts.ApiKeys.hash(key));
    }

    @Test
    void paymentRequiredAtTheExactPriceOfTextToImage() {
        start(0);
        String exact = server.account("0.03", 5, 5);
        assertThat(server.generate(exact, TestServer.SIMPLE_BODY).status()).isEqualTo(200);
        TestServer.Response second = server.generate(exact, TestServer.SIMPLE_BODY);
        assertThat(second.status()).isEqualTo(402);
        assertThat(second.error()).isEqualTo("insufficient credits: this request costs $0.03 and your available balance is $0"
                + " (balance $0.03 minus $0.03 reserved by pending jobs)");
        String short1 = server.account("0.029999", 5, 5);
        assertThat(server.generate(short1, TestServer.SIMPLE_BODY).status()).isEqualTo(402);
    }

    @Test
    void paymentRequiredAtTheExactPriceOfStyleReferences() {
        start(0);
        String body = "{\"prompt\":\"a\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\",\"image_style_references\":[{\"url\":\"https://e.test/a.png\"}]}";
        String exact = server.account("0.035", 5, 5);
        assertThat(server.generate(exact, body).status()).isEqualTo(200);
        assertThat(server.get(exact, "/account").json().get("reserved_usd").decimalValue()).isEqualByComparingTo("0.035");
        String short1 = server.account("0.034999", 5, 5);
        TestServer.Response r = server.generate(short1, body);
        assertThat(r.status()).isEqualTo(402);
        assertThat(r.error()).startsWith("insufficient credits: this request costs $0.035 ");
        assertThat(server.generate(short1, TestServer.SIMPLE_BODY).status()).as("the cheaper tier still fits").isEqualTo(200);
    }

    /** No moodboard can exist over HTTP until the moodboards API lands, so this tier is driven through JobService. */
    @Test
    void paymentRequiredAtTheExactPriceOfMoodboards() {
        start(0);
        GenerateRequest withMoodboard = new GenerateRequest("a", 1L, List.of(), List.of(), AspectRatio.SQUARE, "1K",
                Creativity.LOW, 0, 0, List.of(new GenerateRequest.MoodboardRef("0b7a4b8e-2f0c-4c1e-9a51-9f2d1c3e4a5b", 0.23)));
        AccountService.Created exact = server.easel.accounts().create("m", 40_000, 5, 5);
        assertThat(server.easel.jobs().submit(new JobService.Submission(exact.account().id(), withMoodboard, null, null, "h")).job().priceMicros()).isEqualTo(40_000);
        AccountService.Created short1 = server.easel.accounts().create("m", 39_999, 5, 5);
        try {
            server.easel.jobs().submit(new JobService.Submission(short1.account().id(), withMoodboard, null, null, "h"));
            throw new AssertionError("expected 402");
        } catch (DomainError e) {
            assertThat(e).isInstanceOf(DomainError.PaymentRequired.class);
            assertThat(e.getMessage()).startsWith("insufficient credits: this request costs $0.04 ");
        }
    }

    @Test
    void completedJobsAreChargedAndTheReservationClears() {
        start(1);
        String key = server.account("1", 2, 2);
        String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        server.awaitStatus(key, id, "completed");
        JsonNode account = server.get(key, "/account").json();
        assertThat(account.get("balance_usd").decimalValue()).isEqualByComparingTo("0.97");
        assertThat(account.get("reserved_usd").decimalValue()).isEqualByComparingTo("0");
        assertThat(account.get("available_usd").decimalValue()).isEqualByComparingTo("0.97");
        assertThat(account.get("running_jobs").asInt()).isZero();
    }

    @Test
    void cancelledJobsAreNotBilled() {
        start(0);
        String key = server.account("1", 2, 2);
        String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        assertThat(server.get(key, "/account").json().get("available_usd").decimalValue()).isEqualByComparingTo("0.97");
        assertThat(server.delete(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("cancelled");
        JsonNode account = server.get(key, "/account").json();
        assertThat(account.get("balance_usd").decimalValue()).isEqualByComparingTo("1");
        assertThat(account.get("available_usd").decimalValue()).isEqualByComparingTo("1");
    }
}
