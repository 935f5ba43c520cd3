-- Tasks referencing datasets/versions (fed by TaskCreated/TaskDeleted): deletes are refused while any exist.
CREATE TABLE IF NOT EXISTS {schema}.task_refs (
    task_id      text PRIMARY KEY,
    dataset_id   text NOT NULL,
    version_ids  text[] NOT NULL
);
CREATE INDEX IF NOT EXISTS task_refs_dataset ON {schema}.task_refs (dataset_id);
CREATE INDEX IF NOT EXISTS task_refs_versions ON {schema}.task_refs USING gin (version_ids);

-- Per-version statistics kept from annotation events, as deltas summed over the lineage.
ALTER TABLE {schema}.versions ADD COLUMN IF NOT EXISTS annotated_delta bigint NOT NULL DEFAULT 0;
ALTER TABLE {schema}.versions ADD COLUMN IF NOT EXISTS roi_delta bigint NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS {schema}.stat_frames (
    version_id    text NOT NULL,
    frame_id      text NOT NULL,
    roi_count     integer NOT NULL DEFAULT 0,
    frame_labels  text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (version_id, frame_id)
);

CREATE TABLE IF NOT EXISTS {schema}.stat_rois (
    version_id  text NOT NULL,
    frame_id    text NOT NULL,
    roi_id      text NOT NULL,
    labels      text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (version_id, frame_id, roi_id)
);

CREATE TABLE IF NOT EXISTS {schema}.stat_labels (
    version_id  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('roi', 'frame')),
    label       text NOT NULL,
    delta       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (version_id, kind, label)
);

-- Byte order for frame ids, so paging by id matches the order clients compare in.
ALTER TABLE {schema}.frames ALTER COLUMN frame_id TYPE text COLLATE "C";
CREATE INDEX IF NOT EXISTS datasets_team_name ON {schema}.datasets (team, name, dataset_id);
CREATE INDEX IF NOT EXISTS versions_parent ON {schema}.versions (parent_version_id);
