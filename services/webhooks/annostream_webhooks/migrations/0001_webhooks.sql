-- Webhooks: a team's HTTP endpoints, and the events on their way to them.
CREATE TABLE IF NOT EXISTS {schema}.webhooks (
    webhook_id      text PRIMARY KEY,
    team            text NOT NULL,
    url             text NOT NULL,
    description     text NOT NULL DEFAULT '',
    event_types     text[] NOT NULL DEFAULT '{}',
    subject_filter  text NOT NULL DEFAULT '',
    secret          text NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS webhooks_team ON {schema}.webhooks (team, webhook_id);

-- Each event with at least one recipient, rendered once as its CloudEvent (JSON bytes); signed per attempt.
CREATE TABLE IF NOT EXISTS {schema}.payloads (
    event_id        text PRIMARY KEY,
    type            text NOT NULL,
    subject         text NOT NULL,
    stream_id       text NOT NULL,
    stream_version  bigint NOT NULL,
    body            bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One event for one webhook. Deliveries of one (webhook, stream) go out in `seq` order: only the oldest pending
-- one is `ready` (the dispatcher sends only ready ones), and finishing it (delivered or dead) readies the next.
-- Both the fan-out and the dispatcher change readiness under a transaction-scoped advisory lock on
-- (webhook, stream), so a delivery queued while its predecessor finishes is never left un-ready.
CREATE SEQUENCE IF NOT EXISTS {schema}.delivery_seq;
CREATE TABLE IF NOT EXISTS {schema}.deliveries (
    delivery_id      text PRIMARY KEY,
    seq              bigint NOT NULL DEFAULT nextval('{schema}.delivery_seq'),
    webhook_id       text NOT NULL REFERENCES {schema}.webhooks (webhook_id) ON DELETE CASCADE,
    event_id         text NOT NULL REFERENCES {schema}.payloads (event_id),
    stream_id        text NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    ready            boolean NOT NULL DEFAULT false,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status      integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    UNIQUE (webhook_id, event_id)
);
-- What the dispatcher claims: ready, pending and due.
CREATE INDEX IF NOT EXISTS deliveries_due ON {schema}.deliveries (next_attempt_at) WHERE ready AND state = 'pending';
-- Each (webhook, stream) queue in order, to find its head.
CREATE INDEX IF NOT EXISTS deliveries_queue ON {schema}.deliveries (webhook_id, stream_id, seq) WHERE state = 'pending';
-- A webhook's deliveries, newest first (delivery ids are time-ordered uuid7).
CREATE INDEX IF NOT EXISTS deliveries_list ON {schema}.deliveries (webhook_id, delivery_id DESC);
CREATE INDEX IF NOT EXISTS deliveries_event ON {schema}.deliveries (event_id);
CREATE INDEX IF NOT EXISTS payloads_age ON {schema}.payloads (created_at);
-- What the retention sweep forgets: finished deliveries by age.
CREATE INDEX IF NOT EXISTS deliveries_finished ON {schema}.deliveries (completed_at) WHERE state <> 'pending';

-- Owners of what events are about, learned from the datasets and tasks streams (never deleted: events about
-- a deleted object may still be on their way through another stream).
CREATE TABLE IF NOT EXISTS {schema}.datasets (
    dataset_id   text PRIMARY KEY,
    team         text NOT NULL,
    shared_with  text[] NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS {schema}.versions (
    version_id   text PRIMARY KEY,
    dataset_id   text NOT NULL,
    team         text NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.tasks (
    task_id      text PRIMARY KEY,
    team         text NOT NULL
);
