-- A version the datasets service published hands out no lease (docs/architecture.md, "Consistency guarantees"):
-- recorded synchronously by SealVersion (the datasets service calls it inside PublishVersion, before it commits)
-- and from VersionPublished, whichever arrives first; a row may precede the version's VersionCreated. NextFrame
-- reads it after the task's status: a task annotating a Published version hands out nothing and finishes
-- nothing (its saves would be refused). The function is 0011's with that check added.
CREATE TABLE IF NOT EXISTS {schema}.version_seals (
    version_id  text PRIMARY KEY,
    sealed_at   timestamptz NOT NULL DEFAULT now()
);
-- SealVersion lists the active tasks annotating the version (one index probe, not a scan of every task).
CREATE INDEX IF NOT EXISTS tasks_version ON {schema}.tasks (version_id);

CREATE OR REPLACE FUNCTION {schema}.next_frame(
    p_task text, p_annotator text, p_complete text, p_lease text, p_ttl interval,
    OUT finished integer, OUT seq integer, OUT frame_id text, OUT lease_id text, OUT expires_at timestamptz,
    OUT trail_idx integer, OUT status text, OUT version_id text, OUT total integer, OUT clip integer,
    OUT clip_frames text[], OUT task_done bigint
) LANGUAGE plpgsql AS $$
DECLARE
    t record;
    gate text;
    head integer;
    clip_done integer;
    held boolean;
    cand integer;
    first_expired integer;
    expired integer;
BEGIN
    -- Lease state is a work queue, not a record: the commit need not wait for the WAL flush (see above).
    PERFORM set_config('synchronous_commit', 'off', true);
    finished := 0;
    SELECT x.status, x.version_id, x.total, greatest(1, x.clip_length) AS clip, x.awaits_annotation_seq > 0 AS pending
      INTO t FROM {schema}.tasks x WHERE x.task_id = p_task AND x.status <> 'deleted';
    IF NOT FOUND THEN
        status := '';
        RETURN;
    END IF;
    -- The status the tasks service recorded (SetTaskStatus, before its commit) wins over the one events gave.
    SELECT g.status INTO gate FROM {schema}.task_gates g WHERE g.task_id = p_task;
    IF gate = 'deleted' THEN
        status := '';
        RETURN;
    END IF;
    IF gate IS NOT NULL AND t.status IN ('active', 'completed') THEN
        t.status := gate;
    END IF;
    status := t.status; version_id := t.version_id; total := t.total; clip := t.clip;
    IF t.status <> 'active' THEN
        -- A closed (or unplannable) task hands out nothing and finishes nothing, held leases included.
        RETURN;
    END IF;
    -- A Published version takes no edit any more (SealVersion inside PublishVersion, or VersionPublished): its
    -- tasks hand out nothing and finish nothing either, held leases included.
    IF EXISTS (SELECT 1 FROM {schema}.version_seals s WHERE s.version_id = t.version_id) THEN
        status := 'published';
        RETURN;
    END IF;
    IF t.pending THEN
        status := 'pending';
        RETURN;
    END IF;
    -- One annotator's calls on one task run one at a time (a second concurrent call returns the first's lease).
    PERFORM pg_advisory_xact_lock(hashtextextended(p_task || chr(1) || p_annotator, 7));
    IF p_complete <> '' THEN
        -- The head (one row for single frames) in one update; a clip's other frames in a second one.
        UPDATE {schema}.plan p SET state = 'done', done_by = coalesce(p.done_by, p_annotator),
               done_at = coalesce(p.done_at, now())
         WHERE p.task_id = p_task AND p.lease_id = p_complete AND p.annotator = p_annotator
           AND p.state = 'leased' AND p.seq = p.unit
        RETURNING p.seq, (old.done_at IS NULL)::integer INTO head, finished;
        IF head IS NULL THEN
            -- Completing is idempotent for the holder: a lease already finished (by a save of its frame, or
            -- by this same call retried) is fine; only a lease never held by this annotator is refused.
            -- Found through the annotator's own trail, so no index on done rows is needed.
            PERFORM 1 FROM {schema}.trail r JOIN {schema}.plan p ON p.task_id = r.task_id AND p.seq = r.unit
              WHERE r.task_id = p_task AND r.annotator = p_annotator AND p.lease_id = p_complete
                AND p.annotator = p_annotator AND p.done_at IS NOT NULL;
            IF NOT FOUND THEN
                finished := -1;
                RETURN;
            END IF;
            finished := 0;
        ELSIF t.clip > 1 THEN
            UPDATE {schema}.plan p SET done_by = p_annotator, done_at = now(), state = 'done'
             WHERE p.task_id = p_task AND p.unit = head AND p.seq > head AND p.seq < head + t.clip
               AND p.done_at IS NULL;
            GET DIAGNOSTICS clip_done = ROW_COUNT;
            finished := finished + clip_done;
        END IF;
        IF finished > 0 THEN
            INSERT INTO {schema}.progress AS g (task_id, annotator, done) VALUES (p_task, p_annotator, finished)
            ON CONFLICT (task_id, annotator) DO UPDATE SET done = g.done + EXCLUDED.done;
        END IF;
    END IF;
    -- The lease the annotator holds, if any, is the last entry of their trail: a lease is only ever taken
    -- here, and only when none is held (two primary-key lookups instead of an index scan over held leases).
    SELECT r.idx, p.seq, p.frame_id, p.lease_id, p.expires_at,
           (p.state = 'leased' AND p.annotator = p_annotator AND p.expires_at > now())
      INTO trail_idx, seq, frame_id, lease_id, expires_at, held
      FROM (SELECT x.idx, x.unit FROM {schema}.trail x WHERE x.task_id = p_task AND x.annotator = p_annotator
             ORDER BY x.idx DESC LIMIT 1) r
      JOIN {schema}.plan p ON p.task_id = p_task AND p.seq = r.unit;
    IF held THEN
        NULL;  -- return the held lease as it is
    ELSIF t.status = 'active' THEN
        seq := NULL; frame_id := NULL; lease_id := NULL; expires_at := NULL; trail_idx := NULL;
        -- The first free unit in plan order: the first open one (plan_open), unless an expired lease comes
        -- earlier (plan_expiry, usually empty). Held leases are in neither index, so the probe stays short
        -- however many annotators hold one (the single index used to make every claim skip them all).
        SELECT q.seq INTO cand FROM {schema}.plan q
         WHERE q.task_id = p_task AND q.seq = q.unit AND q.state = 'open'
           AND (q.reserved_for IS NULL OR q.reserved_for = p_annotator)
         ORDER BY q.seq LIMIT 1 FOR UPDATE SKIP LOCKED;
        SELECT min(q.seq) INTO first_expired FROM {schema}.plan q
         WHERE q.task_id = p_task AND q.seq = q.unit AND q.state = 'leased' AND q.expires_at <= now()
           AND (q.reserved_for IS NULL OR q.reserved_for = p_annotator);
        IF first_expired IS NOT NULL AND (cand IS NULL OR first_expired < cand) THEN
            SELECT q.seq INTO expired FROM {schema}.plan q
             WHERE q.task_id = p_task AND q.seq = q.unit AND q.state = 'leased' AND q.expires_at <= now()
               AND (q.reserved_for IS NULL OR q.reserved_for = p_annotator)
             ORDER BY q.seq LIMIT 1 FOR UPDATE SKIP LOCKED;
            cand := coalesce(expired, cand);  -- an open row locked meanwhile is released at commit
        END IF;
        UPDATE {schema}.plan p SET state = 'leased', annotator = p_annotator, lease_id = p_lease,
               expires_at = now() + p_ttl, leased_at = now()
         WHERE p.task_id = p_task AND p.seq = cand
        RETURNING p.seq, p.frame_id, p.lease_id, p.expires_at INTO seq, frame_id, lease_id, expires_at;
        IF FOUND THEN
            INSERT INTO {schema}.trail (task_id, annotator, idx, unit)
            SELECT p_task, p_annotator, coalesce(max(r.idx), 0) + 1, seq FROM {schema}.trail r
             WHERE r.task_id = p_task AND r.annotator = p_annotator
            RETURNING idx INTO trail_idx;
        END IF;
    ELSE
        seq := NULL; frame_id := NULL; lease_id := NULL; expires_at := NULL; trail_idx := NULL;
    END IF;
    IF seq IS NULL THEN
        SELECT coalesce(sum(g.done), 0) INTO task_done FROM {schema}.progress g WHERE g.task_id = p_task;
    ELSIF t.clip > 1 THEN
        head := seq;
        SELECT array_agg(p.frame_id ORDER BY p.seq) INTO clip_frames FROM {schema}.plan p
         WHERE p.task_id = p_task AND p.seq >= head AND p.seq < head + t.clip AND p.unit = head;
    ELSE
        clip_frames := ARRAY[frame_id];
    END IF;
END $$;
