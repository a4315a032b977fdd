-- The LoRA set a job needs (its uploaded styles and slider values, as a sorted key): a GPU server
-- whose merged set matches takes it first. Empty when the job needs no LoRA.
ALTER TABLE jobs ADD COLUMN lora_set TEXT NOT NULL DEFAULT '';
-- Attempts that ended because the server failed, not the job: they do not count against the limit.
ALTER TABLE jobs ADD COLUMN free_attempts BIGINT NOT NULL DEFAULT 0;
