-- NextFrame in one round trip: lock the annotator, finish the completed lease, return the held lease or
-- claim the first free clip head (SKIP LOCKED), and append it to the annotator's trail.
-- finished: frames that became done (-1: complete_lease_id was not held); status: the task's status
-- ('' when the task is unknown or deleted).
CREATE OR REPLACE FUNCTION {schema}.lease_next(
    p_task text, p_annotator text, p_complete text, p_lease text, p_ttl interval
) RETURNS TABLE (finished integer, seq integer, frame_id text, lease_id text, expires_at timestamptz,
                 trail_idx integer, status text, version_id text, total integer, clip integer)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    head integer;
BEGIN
    finished := 0;
    SELECT x.status, x.version_id, x.total, greatest(1, x.clip_length) AS clip INTO t
      FROM {schema}.tasks x WHERE x.task_id = p_task AND x.status <> 'deleted';
    IF NOT FOUND THEN
        status := '';
        RETURN NEXT;
        RETURN;
    END IF;
    status := t.status; version_id := t.version_id; total := t.total; clip := t.clip;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_task || chr(1) || p_annotator, 7));
    IF p_complete <> '' THEN
        UPDATE {schema}.plan p SET state = 'done' WHERE p.task_id = p_task AND p.lease_id = p_complete
           AND p.annotator = p_annotator AND p.state = 'leased' AND p.seq = p.unit RETURNING p.seq INTO head;
        IF head IS NULL THEN
            finished := -1;
            RETURN NEXT;
            RETURN;
        END IF;
        UPDATE {schema}.plan p SET done_by = p_annotator, done_at = now(), state = 'done'
         WHERE p.task_id = p_task AND p.unit = head AND p.seq >= head AND p.seq < head + t.clip AND p.done_at IS NULL;
        GET DIAGNOSTICS finished = ROW_COUNT;
    END IF;
    SELECT p.seq, p.frame_id, p.lease_id, p.expires_at INTO seq, frame_id, lease_id, expires_at
      FROM {schema}.plan p WHERE p.task_id = p_task AND p.annotator = p_annotator AND p.state = 'leased'
       AND p.expires_at > now() AND p.seq = p.unit ORDER BY p.seq LIMIT 1;
    IF FOUND THEN
        SELECT max(r.idx) INTO trail_idx FROM {schema}.trail r
         WHERE r.task_id = p_task AND r.annotator = p_annotator AND r.unit = seq;
        RETURN NEXT;
        RETURN;
    END IF;
    IF t.status <> 'active' THEN
        RETURN NEXT;
        RETURN;
    END IF;
    WITH c AS (SELECT q.seq FROM {schema}.plan q WHERE q.task_id = p_task AND q.seq = q.unit
                 AND q.state <> 'done' AND (q.state = 'open' OR q.expires_at <= now())
               ORDER BY q.seq LIMIT 1 FOR UPDATE SKIP LOCKED)
    UPDATE {schema}.plan p SET state = 'leased', annotator = p_annotator, lease_id = p_lease,
           expires_at = now() + p_ttl
      FROM c WHERE p.task_id = p_task AND p.seq = c.seq
    RETURNING p.seq, p.frame_id, p.lease_id, p.expires_at INTO seq, frame_id, lease_id, expires_at;
    IF FOUND THEN
        INSERT INTO {schema}.trail (task_id, annotator, idx, unit)
        SELECT p_task, p_annotator, coalesce(max(r.idx), 0) + 1, seq FROM {schema}.trail r
         WHERE r.task_id = p_task AND r.annotator = p_annotator
        RETURNING idx INTO trail_idx;
    END IF;
    RETURN NEXT;
END $$;
