CREATE TABLE IF NOT EXISTS {schema}.datasets (
    dataset_id  text PRIMARY KEY,
    name        text NOT NULL,
    team        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (team, name)
);

CREATE TABLE IF NOT EXISTS {schema}.versions (
    version_id         text PRIMARY KEY,
    dataset_id         text NOT NULL REFERENCES {schema}.datasets (dataset_id),
    name               text NOT NULL,
    parent_version_id  text REFERENCES {schema}.versions (version_id),
    status             text NOT NULL CHECK (status IN ('draft', 'published')),
    -- Frames stored in this version itself; a child also sees its ancestors' frames (copy-on-write).
    own_frame_count    bigint NOT NULL DEFAULT 0,
    inherited_frame_count bigint NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    published_at       timestamptz
);
CREATE INDEX IF NOT EXISTS versions_dataset ON {schema}.versions (dataset_id);

CREATE TABLE IF NOT EXISTS {schema}.frames (
    version_id  text NOT NULL REFERENCES {schema}.versions (version_id),
    frame_id    text NOT NULL,
    context_id  text NOT NULL,
    ts          bigint NOT NULL DEFAULT 0,
    sources     jsonb NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (version_id, frame_id)
);
