-- Kernel tables, created in every service schema.
-- events: the service's event log and transactional outbox. For the annotation service it is the
-- event store of record; for the others it is the outbox of their state changes.
CREATE TABLE IF NOT EXISTS {schema}.events (
    position        bigserial PRIMARY KEY,
    -- Writing transaction's id: the relay orders and gates on it (see annostream_kernel.relay).
    tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid NOT NULL UNIQUE,
    stream_id       text NOT NULL,
    stream_version  bigint NOT NULL CHECK (stream_version > 0),
    type            text NOT NULL,
    schema_version  integer NOT NULL DEFAULT 1,
    payload         bytea NOT NULL,
    subject         text NOT NULL,
    actor           text NOT NULL DEFAULT '',
    task_id         text NOT NULL DEFAULT '',
    correlation_id  text NOT NULL DEFAULT '',
    occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX IF NOT EXISTS events_tx_position ON {schema}.events (tx_id, position);

-- Where the relay has published up to, as (tx_id, position).
CREATE TABLE IF NOT EXISTS {schema}.relay_checkpoints (
    name      text PRIMARY KEY,
    tx_id     xid8 NOT NULL DEFAULT '0',
    position  bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Each JetStream consumer's position (stream sequence), written in the transaction that applies events.
CREATE TABLE IF NOT EXISTS {schema}.consumer_positions (
    consumer   text PRIMARY KEY,
    stream_seq bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
