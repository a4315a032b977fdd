-- PostgreSQL: the same schema as db/sqlite (times in epoch milliseconds, money in micro-dollars), BIGINT throughout.
-- easel schema, SQLite dialect. Times are epoch milliseconds (UTC); money is integer micro-dollars.

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    name                TEXT    NOT NULL,
    -- credits granted minus charges for completed jobs; what pending jobs hold is derived from jobs
    balance_micros      BIGINT NOT NULL,
    max_concurrent_jobs BIGINT NOT NULL,
    max_backlog         BIGINT NOT NULL,
    -- created_at of the account's newest job: each new job gets a strictly later instant, so that
    -- list cursors ("created before") never skip a job created in the same millisecond
    last_job_created_at BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL
);

CREATE TABLE api_keys (
    key_hash   TEXT PRIMARY KEY,               -- SHA-256 hex of the key; the key itself is never stored
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id);

-- Every movement of an account's balance, for audit: credit (admin grant, may be negative), charge.
CREATE TABLE ledger (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    TEXT    NOT NULL REFERENCES accounts (id),
    job_id        TEXT,
    kind          TEXT    NOT NULL,
    amount_micros BIGINT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX ledger_account ON ledger (account_id, id);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    account_id       TEXT    NOT NULL REFERENCES accounts (id),
    type             TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    request_json     TEXT    NOT NULL,           -- the validated request, seed always filled in
    price_micros     BIGINT NOT NULL,           -- reserved while pending, charged on completion
    webhook_url      TEXT,
    idempotency_key  TEXT,
    request_hash     TEXT,
    created_at       BIGINT NOT NULL,
    queued_at        BIGINT,
    completed_at     BIGINT,
    attempt          BIGINT NOT NULL DEFAULT 0, -- claims so far; fences every write of a worker
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    started_at       BIGINT,
    progress_step    BIGINT,
    progress_steps   BIGINT,
    preview_key      TEXT,
    result_key       TEXT,
    result_json      TEXT,
    error_code       TEXT,
    error_message    TEXT,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX jobs_account_created ON jobs (account_id, created_at);
CREATE INDEX jobs_account_status ON jobs (account_id, status, created_at);
CREATE INDEX jobs_status_queued ON jobs (status, queued_at);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
