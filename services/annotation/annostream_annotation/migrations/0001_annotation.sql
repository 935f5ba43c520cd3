-- Versions and base frame data, fed by datasets events.
CREATE TABLE IF NOT EXISTS {schema}.versions (
    version_id         text PRIMARY KEY,
    dataset_id         text NOT NULL,
    parent_version_id  text,
    status             text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published'))
);

CREATE TABLE IF NOT EXISTS {schema}.base_frames (
    version_id  text NOT NULL,
    frame_id    text NOT NULL,
    doc         jsonb NOT NULL,
    PRIMARY KEY (version_id, frame_id)
);

-- The frame projection: annotation state per frame, updated in the transaction that appends its events.
CREATE TABLE IF NOT EXISTS {schema}.frame_projections (
    version_id      text NOT NULL,
    frame_id        text NOT NULL,
    stream_version  bigint NOT NULL DEFAULT 0,
    doc             jsonb NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (version_id, frame_id)
);

-- First result of each save, by idempotency key: a retry returns it and appends nothing.
CREATE TABLE IF NOT EXISTS {schema}.idempotency_keys (
    key         text PRIMARY KEY,
    stream_id   text NOT NULL,
    response    bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
