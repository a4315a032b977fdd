-- An account's library: uploaded images (assets), LoRA styles, and moodboards made of either.
-- Files live in the blob store under blob_key; lists page by (time, id), newest first.

CREATE TABLE assets (
    id          TEXT PRIMARY KEY,            -- uuid
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    blob_key    TEXT    NOT NULL,
    mime_type   TEXT    NOT NULL,            -- from the content, not from what the upload declared
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    description TEXT,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX assets_account ON assets (account_id, uploaded_at, id);

CREATE TABLE styles (
    id           TEXT PRIMARY KEY,           -- uuid
    account_id   TEXT    NOT NULL REFERENCES accounts (id),
    title        TEXT    NOT NULL,
    prompt       TEXT,
    public       BIGINT NOT NULL DEFAULT 0,
    blob_key     TEXT    NOT NULL,           -- the .safetensors file
    lora_format  TEXT    NOT NULL,           -- kohya | peft
    lora_rank    BIGINT NOT NULL,
    tensor_count BIGINT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX styles_account ON styles (account_id, created_at, id);
CREATE INDEX styles_public ON styles (created_at, id) WHERE public = 1;

CREATE TABLE moodboards (
    id         TEXT PRIMARY KEY,             -- uuid
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    title      TEXT    NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX moodboards_account ON moodboards (account_id, created_at, id);

-- A moodboard's images in order: each is either one of the account's assets or a URL.
CREATE TABLE moodboard_images (
    moodboard_id TEXT    NOT NULL REFERENCES moodboards (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    asset_id     TEXT REFERENCES assets (id),
    url          TEXT,
    PRIMARY KEY (moodboard_id, position)
);
CREATE INDEX moodboard_images_asset ON moodboard_images (asset_id) WHERE asset_id IS NOT NULL;
