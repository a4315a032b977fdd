-- Webhooks: each account's signing secrets, the outbox of deliveries, and every attempt.

-- Standard Webhooks secrets (whsec_<base64 of 32 random bytes>). They must be kept in clear text: the
-- server signs with them. The current one has no expiry; a rotation gives the others 24 hours.
CREATE TABLE webhook_secrets (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    secret     TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX webhook_secrets_account ON webhook_secrets (account_id, id);

-- The outbox: one row per job that ended with an X-Webhook-URL, written in the transaction that ended
-- it. No foreign key to jobs: a delivery still pending outlives the deletion of its job.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,           -- the webhook-id header (msg_...), the same on every attempt
    job_id          TEXT    NOT NULL UNIQUE,
    account_id      TEXT    NOT NULL REFERENCES accounts (id),
    url             TEXT    NOT NULL,
    payload         TEXT    NOT NULL,           -- the job JSON exactly as GET /jobs/{id} returned it then
    state           TEXT    NOT NULL,           -- pending | delivered | failed
    attempts        BIGINT NOT NULL DEFAULT 0,   -- in the current retry window: the backoff's exponent
    next_attempt_at BIGINT,                    -- pending: when it is due (pushed on while an attempt runs)
    claimed_by      TEXT,                       -- <node id>/<claim>: the dispatcher running an attempt now
    give_up_at      BIGINT NOT NULL,           -- no retry is scheduled after this
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE webhook_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id TEXT    NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    status_code BIGINT,                        -- null when no response came
    error       TEXT,                           -- why there was no usable response (timeout, refused, ...)
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
