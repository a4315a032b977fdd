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

    /** True when there is no account yet: the first start of a fresh data directory. */
    public boolean none() {
        return !db.tx(accounts::any);
    }

    public Optional<Account> find(String id) {
        return db.tx(tx -> accounts.find(tx, id));
    }

    public Optional<Account> authenticate(String apiKey) {
        String hash = ApiKeys.hash(apiKey);
        return db.tx(tx -> accounts.findByKeyHash(tx, hash));
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
