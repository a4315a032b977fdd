package dev.easel.accounts;

import dev.easel.errors.DomainError;
import dev.easel.store.AccountStore;
import dev.easel.store.Database;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;

/** Accounts and their keys: creation, credits, key issue and revocation, and bearer authentication. */
public final class AccountService {
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

    public Optional<Account> authenticate(String apiKey) {
        String hash = ApiKeys.hash(apiKey);
        return db.read(tx -> accounts.findByKeyHash(tx, hash));
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
        return db.tx(tx -> {
            accounts.find(tx, id).orElseThrow(() -> new DomainError.NotFound("no account " + id));
            return accounts.revokeKeys(tx, id, clock.millis());
        });
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
