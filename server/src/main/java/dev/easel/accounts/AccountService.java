package dev.easel.accounts;

import dev.easel.errors.DomainError;
import dev.easel.store.AccountStore;
import dev.easel.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Accounts and their keys: creation, credits, key issue and revocation, and bearer authentication.
 *
 * <p>A key found valid is remembered for {@link #KEY_RECHECK}, so that a client polling thousands of
 * times a second costs this node one key lookup a second, not one per request. A revocation forgets
 * the account's keys at once on the node that made it and, through a notice ({@link #connect}), on
 * the other nodes within milliseconds; a node that missed the notice looks the key up again after
 * {@link #KEY_RECHECK} at most.
 */
public final class AccountService {
    /** How long a key found valid is trusted without looking it up again. */
    public static final Duration KEY_RECHECK = Duration.ofSeconds(1);
    /** Beyond this many remembered keys, all are forgotten (a bound on memory, not a cache policy worth more). */
    private static final int MAX_KNOWN_KEYS = 10_000;
    private static final String REVOKED = "keys-revoked:";

    /** A key found valid: whose it is, and when it was looked up. */
    private record Known(String accountId, long checkedAt) {}

    private final ConcurrentHashMap<String, Known> known = new ConcurrentHashMap<>();
    private volatile Consumer<String> outbound;

    /** A new account with the key that was issued for it; the key is never stored, only its hash. */
    public record Created(Account account, String apiKey) {}

    private final Database db;
    private final AccountStore accounts;
    private final Clock clock;

    public AccountService(Database db, AccountStore accounts, Clock clock) {
        this.db = db;
        this.accounts = accounts;
        this.clock = clock;
    }

    public Created create(String name, long creditsMicros, int maxConcurrentJobs, int maxBacklog) {
        String key = ApiKeys.newKey();
        Account account = new Account(UUID.randomUUID().toString(), name, creditsMicros, maxConcurrentJobs, maxBacklog, 0);
        db.tx(tx -> {
            accounts.insert(tx, account, clock.millis());
            accounts.insertKey(tx, account.id(), ApiKeys.hash(key), clock.millis());
            return null;
        });
        return new Created(account, key);
    }

    /**
     * Creates the account only if there is none yet (the first start on a fresh database), atomically:
     * nodes starting at once on one fresh database create one account between them. Empty when there
     * was one already.
     */
    public Optional<Created> createFirst(String name, long creditsMicros, int maxConcurrentJobs, int maxBacklog) {
        String key = ApiKeys.newKey();
        Account account = new Account(UUID.randomUUID().toString(), name, creditsMicros, maxConcurrentJobs, maxBacklog, 0);
        return db.tx(tx -> {
            accounts.lockForFirst(tx);
            if (accounts.any(tx)) return Optional.<Created>empty();
            accounts.insert(tx, account, clock.millis());
            accounts.insertKey(tx, account.id(), ApiKeys.hash(key), clock.millis());
            return Optional.of(new Created(account, key));
        });
    }

    public Optional<Account> find(String id) {
        return db.read(tx -> accounts.find(tx, id));
    }

    /** The id of the account whose key this is; empty for a key that is unknown or revoked. */
    public Optional<String> authenticate(String apiKey) {
        String hash = ApiKeys.hash(apiKey);
        long now = clock.millis();
        Known k = known.get(hash);
        if (k != null && now - k.checkedAt() < KEY_RECHECK.toMillis() && now >= k.checkedAt()) return Optional.of(k.accountId());
        Optional<String> found = db.read(tx -> accounts.findByKeyHash(tx, hash)).map(Account::id);
        if (found.isEmpty()) {
            known.remove(hash);
            return found;
        }
        if (known.size() >= MAX_KNOWN_KEYS) known.clear();
        known.put(hash, new Known(found.get(), now));
        return found;
    }

    /** Sends this node's notices to the other nodes too (one database, several nodes). */
    public void connect(Consumer<String> outbound) {
        this.outbound = outbound;
    }

    /** A notice from another node (or this one's own, echoed back). */
    public void receive(String message) {
        if (message.startsWith(REVOKED)) forgetKeys(message.substring(REVOKED.length()));
        else if (message.equals("resync")) known.clear(); // notices may have been lost
    }

    private void forgetKeys(String accountId) {
        known.values().removeIf(k -> k.accountId().equals(accountId));
    }

    /** Adds (or, when negative, takes away) credits; recorded in the ledger. */
    public Account addCredits(String id, long micros) {
        return db.tx(tx -> {
            accounts.find(tx, id).orElseThrow(() -> new DomainError.NotFound("no account " + id));
            accounts.adjustBalance(tx, id, null, dev.easel.billing.LedgerKind.CREDIT, micros, clock.millis());
            return accounts.find(tx, id).orElseThrow();
        });
    }

    public int revokeKeys(String id) {
        int revoked = db.tx(tx -> {
            accounts.find(tx, id).orElseThrow(() -> new DomainError.NotFound("no account " + id));
            return accounts.revokeKeys(tx, id, clock.millis());
        });
        forgetKeys(id);
        Consumer<String> out = outbound;
        if (out != null) out.accept(REVOKED + id);
        return revoked;
    }

    public String issueKey(String id) {
        String key = ApiKeys.newKey();
        db.tx(tx -> {
            accounts.find(tx, id).orElseThrow(() -> new DomainError.NotFound("no account " + id));
            accounts.insertKey(tx, id, ApiKeys.hash(key), clock.millis());
            return null;
        });
        return key;
    }
}
