-- What each account's pending jobs hold, kept by every job insert and status move in the same
-- transaction (AccountStore.countMove): a submit reads one row instead of summing the account's queue.
ALTER TABLE accounts ADD COLUMN active_jobs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN backlogged_jobs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN reserved_micros INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET
    active_jobs = (SELECT count(*) FROM jobs j WHERE j.account_id = accounts.id
                   AND j.status IN ('queued', 'scheduled', 'processing', 'sampling', 'intermediate-complete')),
    backlogged_jobs = (SELECT count(*) FROM jobs j WHERE j.account_id = accounts.id AND j.status = 'backlogged'),
    reserved_micros = (SELECT coalesce(sum(price_micros), 0) FROM jobs j WHERE j.account_id = accounts.id
                       AND j.status IN ('backlogged', 'queued', 'scheduled', 'processing', 'sampling', 'intermediate-complete'));
