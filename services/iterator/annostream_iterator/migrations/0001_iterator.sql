-- The iterator's own index of versions and frames, fed by datasets events.
CREATE TABLE IF NOT EXISTS {schema}.versions (
    version_id         text PRIMARY KEY,
    dataset_id         text NOT NULL,
    parent_version_id  text
);

CREATE TABLE IF NOT EXISTS {schema}.frames (
    version_id  text NOT NULL,
    frame_id    text NOT NULL,
    context_id  text NOT NULL,
    ts          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (version_id, frame_id)
);
CREATE INDEX IF NOT EXISTS frames_sequential ON {schema}.frames (version_id, context_id, ts, frame_id);

-- Tasks as the iterator needs them, fed by tasks events.
CREATE TABLE IF NOT EXISTS {schema}.tasks (
    task_id      text PRIMARY KEY,
    version_id   text NOT NULL,
    frame_order  text NOT NULL CHECK (frame_order IN ('sequential', 'random')),
    random_seed  bigint NOT NULL DEFAULT 0,
    frame_limit  integer NOT NULL DEFAULT 0,
    clip_length  integer NOT NULL DEFAULT 0,
    status       text NOT NULL DEFAULT 'active'
);

-- One row per (task, frame) ever handed out: leased (until expires_at) or done.
CREATE TABLE IF NOT EXISTS {schema}.leases (
    task_id     text NOT NULL,
    frame_id    text NOT NULL,
    annotator   text NOT NULL,
    lease_id    text NOT NULL,
    state       text NOT NULL DEFAULT 'leased' CHECK (state IN ('leased', 'done')),
    expires_at  timestamptz NOT NULL,
    leased_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, frame_id)
);
CREATE INDEX IF NOT EXISTS leases_annotator ON {schema}.leases (task_id, annotator, state);
