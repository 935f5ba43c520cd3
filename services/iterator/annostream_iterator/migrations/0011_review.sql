-- The review stage (issue 17; docs/architecture.md "Review"). The iterator owns it: a frame enters review when
-- its plan row becomes done, and a rejected frame goes back into the same plan (and lease queue) to be fixed.
-- 1. review_settings: per task, absent = review off.
-- 2. review: one row per (task, frame) that went to review; `in_review` rows are the reviewers' queue, leased
--    like plan rows (reviewer, lease_id, expires_at; claimed with FOR UPDATE SKIP LOCKED).
--    review_requests: a row per frame whose ReviewRequested (of `round`) is not yet in the outbox; the review
--    emitter (or the decision that comes first) appends it and deletes the row. A table of its own, so the
--    emitter's row locks never make a reviewer's SKIP LOCKED claim pass over a frame waiting for review.
-- 3. review_decisions: every accept / reject (quality figures, history).
-- 4. comments: threads on a frame of a task (thread_id = the first comment's id).
-- 5. plan.reserved_for: a rejected frame's unit is open again but only for the annotator who did it (NULL: any
--    annotator, the task's rework setting); plan.leased_at: when the unit was last leased (time per frame).
-- 6. A trigger on plan.done_at puts a frame into review when it becomes done, whichever path finished it
--    (NextFrame's completion, a release with done, a save by the holder): the three paths stay one statement.
-- The next_frame function is 0010's with the reservation in both claim probes and leased_at set on a lease.
CREATE TABLE IF NOT EXISTS {schema}.review_settings (
    task_id                  text PRIMARY KEY,
    mode                     text NOT NULL CHECK (mode IN ('off', 'all', 'sample')),
    sample_percent           integer NOT NULL DEFAULT 0 CHECK (sample_percent BETWEEN 0 AND 100),
    reviewer_may_review_own  boolean NOT NULL DEFAULT false,
    rework_by                text NOT NULL DEFAULT 'annotator' CHECK (rework_by IN ('annotator', 'any'))
);

CREATE TABLE IF NOT EXISTS {schema}.review (
    task_id       text NOT NULL,
    frame_id      text NOT NULL,
    state         text NOT NULL CHECK (state IN ('in_review', 'accepted', 'rejected')),
    annotator     text NOT NULL,
    round         integer NOT NULL DEFAULT 1,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    reviewer      text,
    lease_id      text,
    expires_at    timestamptz,
    reason        text NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, frame_id)
);
CREATE INDEX IF NOT EXISTS review_queue ON {schema}.review (task_id, requested_at) WHERE state = 'in_review';
CREATE INDEX IF NOT EXISTS review_accepted ON {schema}.review (task_id) WHERE state = 'accepted';  -- task cards
CREATE TABLE IF NOT EXISTS {schema}.review_requests (
    task_id   text NOT NULL,
    frame_id  text NOT NULL,
    round     integer NOT NULL,
    PRIMARY KEY (task_id, frame_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS review_lease ON {schema}.review (task_id, lease_id) WHERE lease_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS {schema}.review_decisions (
    task_id     text NOT NULL,
    frame_id    text NOT NULL,
    round       integer NOT NULL,
    decision    text NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    reviewer    text NOT NULL,
    annotator   text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    decided_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, frame_id, round)
);
CREATE INDEX IF NOT EXISTS review_decisions_annotator ON {schema}.review_decisions (task_id, annotator);

CREATE TABLE IF NOT EXISTS {schema}.comments (
    comment_id  text PRIMARY KEY,
    task_id     text NOT NULL,
    frame_id    text NOT NULL,
    thread_id   text NOT NULL,
    author      text NOT NULL,
    text        text NOT NULL,
    pinned      boolean NOT NULL DEFAULT false,
    x           double precision NOT NULL DEFAULT 0,
    y           double precision NOT NULL DEFAULT 0,
    roi_id      text NOT NULL DEFAULT '',
    resolved    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS comments_frame ON {schema}.comments (task_id, frame_id, created_at);
CREATE INDEX IF NOT EXISTS comments_open ON {schema}.comments (task_id) WHERE comment_id = thread_id AND NOT resolved;

ALTER TABLE {schema}.plan ADD COLUMN IF NOT EXISTS reserved_for text;
ALTER TABLE {schema}.plan ADD COLUMN IF NOT EXISTS leased_at timestamptz;

CREATE OR REPLACE FUNCTION {schema}.review_on_done() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    got integer;
BEGIN
    -- A fixed frame (rejected before) always goes back to review, whatever the settings say now.
    UPDATE {schema}.review r SET state = 'in_review', annotator = NEW.done_by, round = r.round + 1,
           requested_at = now(), reviewer = NULL, lease_id = NULL, expires_at = NULL, updated_at = now()
     WHERE r.task_id = NEW.task_id AND r.frame_id = NEW.frame_id AND r.state = 'rejected'
    RETURNING r.round INTO got;
    IF got IS NULL THEN
        INSERT INTO {schema}.review (task_id, frame_id, state, annotator)
        SELECT NEW.task_id, NEW.frame_id, 'in_review', NEW.done_by FROM {schema}.review_settings s
         WHERE s.task_id = NEW.task_id AND (s.mode = 'all' OR (s.mode = 'sample'
               AND abs(hashtextextended(NEW.frame_id, 17) % 100) < s.sample_percent))
        ON CONFLICT (task_id, frame_id) DO NOTHING
        RETURNING 1 INTO got;
    END IF;
    IF got IS NOT NULL THEN
        INSERT INTO {schema}.review_requests (task_id, frame_id, round) VALUES (NEW.task_id, NEW.frame_id, got)
        ON CONFLICT (task_id, frame_id) DO UPDATE SET round = EXCLUDED.round;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS plan_done_review ON {schema}.plan;
CREATE TRIGGER plan_done_review AFTER UPDATE OF done_at ON {schema}.plan
    FOR EACH ROW WHEN (OLD.done_at IS NULL AND NEW.done_at IS NOT NULL AND NEW.done_by IS NOT NULL)
    EXECUTE FUNCTION {schema}.review_on_done();

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
