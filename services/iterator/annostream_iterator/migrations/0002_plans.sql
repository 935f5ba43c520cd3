-- Frame index for filters: metadata and sources of each imported frame.
ALTER TABLE {schema}.frames ADD COLUMN IF NOT EXISTS metadata jsonb NOT NULL DEFAULT '{}';
ALTER TABLE {schema}.frames ADD COLUMN IF NOT EXISTS sources jsonb NOT NULL DEFAULT '[]';

-- A frame has annotation state of its own in a version (copy-on-write: a child version's frame reads its
-- nearest ancestor's state until it is edited). `metadata` is set when FrameMetadataSet replaced it.
CREATE TABLE IF NOT EXISTS {schema}.marks (
    version_id  text NOT NULL,
    frame_id    text NOT NULL,
    metadata    jsonb,
    PRIMARY KEY (version_id, frame_id)
);

-- ROIs as the filters need them: labels and confidence, per (version, frame) state.
CREATE TABLE IF NOT EXISTS {schema}.rois (
    version_id  text NOT NULL,
    frame_id    text NOT NULL,
    roi_id      text NOT NULL,
    labels      text[] NOT NULL DEFAULT '{}',
    confidence  double precision,
    PRIMARY KEY (version_id, frame_id, roi_id)
);

ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS selection bytea;
ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS total integer NOT NULL DEFAULT 0;
ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS plan_ms double precision;
ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS status_reason text NOT NULL DEFAULT '';

-- The materialised plan: one row per planned frame, `seq` = 1-based position. Frames of one clip have
-- consecutive seqs; `unit` = seq of the clip's first row (its head), which carries the lease.
CREATE TABLE IF NOT EXISTS {schema}.plan (
    task_id     text NOT NULL,
    seq         integer NOT NULL,
    unit        integer NOT NULL,
    frame_id    text NOT NULL,
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'leased', 'done')),
    annotator   text,
    lease_id    text,
    expires_at  timestamptz,
    done_by     text,
    done_at     timestamptz,
    PRIMARY KEY (task_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS plan_frame ON {schema}.plan (task_id, frame_id);
-- The queue: clip heads not yet done, in plan order (NextFrame takes the first free one, SKIP LOCKED).
CREATE INDEX IF NOT EXISTS plan_queue ON {schema}.plan (task_id, seq) WHERE seq = unit AND state <> 'done';
CREATE INDEX IF NOT EXISTS plan_holder ON {schema}.plan (task_id, annotator) WHERE state = 'leased';

-- Every lease an annotator got, in order (editor navigation "previous / next").
CREATE TABLE IF NOT EXISTS {schema}.trail (
    task_id    text NOT NULL,
    annotator  text NOT NULL,
    idx        integer NOT NULL,
    unit       integer NOT NULL,
    PRIMARY KEY (task_id, annotator, idx)
);

-- Frames done per annotator (TaskProgressed and GetProgress read it; no hot counter row per task).
CREATE TABLE IF NOT EXISTS {schema}.progress (
    task_id    text NOT NULL,
    annotator  text NOT NULL,
    done       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (task_id, annotator)
);

DROP TABLE IF EXISTS {schema}.leases;
