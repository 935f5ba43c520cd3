-- Idempotency keys are scoped to the frame they were used on: the same key sent for another frame is a
-- different save (before, it returned the first frame's answer).
ALTER TABLE {schema}.idempotency_keys DROP CONSTRAINT IF EXISTS idempotency_keys_pkey;
ALTER TABLE {schema}.idempotency_keys ADD PRIMARY KEY (stream_id, key);
