-- A hash of the request kept with each idempotency key: the same key sent with a different request is refused
-- ("idempotency key reused with a different request") instead of answering the first save's result while the
-- second edit is dropped. Keys stored before have no hash and keep answering their first result.
ALTER TABLE {schema}.idempotency_keys ADD COLUMN IF NOT EXISTS request_hash bytea;
