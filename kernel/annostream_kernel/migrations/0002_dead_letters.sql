-- Events a consumer could not apply after its attempts ran out: kept for an operator, skipped by the
-- consumer so one bad event never blocks the stream behind it.
CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
    consumer    text NOT NULL,
    stream_seq  bigint NOT NULL,
    event_id    text NOT NULL,
    type        text NOT NULL,
    error       text NOT NULL,
    payload     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream_seq)
);
