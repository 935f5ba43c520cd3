-- Each save (and undo / redo / revert) of a frame, so a user can undo and redo their own saves.
CREATE TABLE IF NOT EXISTS {schema}.saves (
    save_id       text PRIMARY KEY,
    stream_id     text NOT NULL,
    actor         text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('save', 'undo', 'redo', 'revert', 'import')),
    from_version  bigint NOT NULL,
    to_version    bigint NOT NULL,
    -- For undo: the save it undid; for redo: the undo it redid.
    ref_save_id   text,
    -- A save/redo that was undone, or an undo that was redone.
    reversed      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS saves_by_actor ON {schema}.saves (stream_id, actor, to_version DESC);
CREATE INDEX IF NOT EXISTS events_stream ON {schema}.events (stream_id, stream_version);
