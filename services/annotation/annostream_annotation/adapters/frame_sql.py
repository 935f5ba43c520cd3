"""The two statements of the hot path: read everything about a frame, write a change conditionally.

A save is one read and one write, with no explicit transaction: the write is a single statement whose
data-modifying CTEs (projection upsert, events insert, save record, idempotency key, NOTIFY) take effect
together or not at all. The projection upsert only matches when the stored stream version is still the
one that was read (`WHERE p.stream_version = $5`) and the version is still a Draft (`version_writable`, see
migrations/0005_version_seal.sql: no save commits after SealVersion or SealDeletedVersions, whatever its
snapshot saw; imported annotations, $25, were accepted before the publish and are written anyway, without taking
the seal lock in the consumer's long transaction; the consumer skips a deleted version's imports); the other
inserts run only if it matched (`WHERE EXISTS (SELECT 1 FROM u)`).
A save may skip the read when this process wrote the frame last (service_layer/frame_cache.FrameCache): the same
conditions then catch every change it did not see. Concurrent writers of one frame (in any process) serialise
on that row's lock and the loser sees 0 rows written: it re-reads and rebases. UNIQUE(stream_id,
stream_version) on the events table remains the last line of defence.
"""

from __future__ import annotations

from annostream_kernel.events import insert_events_sql

READ_FRAME = """
WITH RECURSIVE lineage(version_id, depth) AS (
    SELECT $1::text, 0
    UNION ALL
    SELECT v.parent_version_id, l.depth + 1
    FROM versions v JOIN lineage l ON v.version_id = l.version_id
    WHERE v.parent_version_id IS NOT NULL AND l.depth < 1000
)
SELECT v.dataset_id, v.parent_version_id, v.status,
    (SELECT b.doc FROM base_frames b JOIN lineage l ON b.version_id = l.version_id
      WHERE b.frame_id = $2 ORDER BY l.depth LIMIT 1) AS base,
    own.stream_version AS own_version, own.doc AS own_doc,
    CASE WHEN coalesce(own.stream_version, 0) = 0 THEN
        (SELECT p.doc FROM frame_projections p JOIN lineage l ON p.version_id = l.version_id
          WHERE p.frame_id = $2 AND l.depth > 0 AND p.stream_version > 0 ORDER BY l.depth LIMIT 1)
    END AS inherited,
    k.response AS prior, k.request_hash AS prior_hash
FROM versions v
LEFT JOIN idempotency_keys k ON $3::text <> '' AND k.stream_id = 'frame:' || $1 || ':' || $2 AND k.key = $3
LEFT JOIN frame_projections own ON own.version_id = $1 AND own.frame_id = $2
WHERE v.version_id = $1
"""

WRITE_FRAME = f"""
WITH u AS (
    INSERT INTO frame_projections AS p (version_id, frame_id, stream_version, doc)
    SELECT $1::text, $2::text, $3::bigint, $4::json
     WHERE CASE WHEN $25::boolean THEN true ELSE version_writable($1::text) END
    ON CONFLICT (version_id, frame_id) DO UPDATE
        SET stream_version = EXCLUDED.stream_version, doc = EXCLUDED.doc, updated_at = now()
        WHERE p.stream_version = $5::bigint
    RETURNING 1
), e AS (
    {insert_events_sql(6, "WHERE EXISTS (SELECT 1 FROM u)", traceparent_param=27)}
), s AS (
    INSERT INTO saves (save_id, stream_id, actor, kind, from_version, to_version, ref_save_id)
    SELECT $16::text, $17::text, $18::text, $19::text, $20::bigint, $3::bigint, $21::text
    WHERE EXISTS (SELECT 1 FROM u)
), r AS (
    UPDATE saves SET reversed = true WHERE save_id = $21::text AND EXISTS (SELECT 1 FROM u)
), k AS (
    INSERT INTO idempotency_keys (key, stream_id, response, request_hash)
    SELECT $22::text, $17::text, $23::bytea, $26::bytea WHERE $22::text <> '' AND EXISTS (SELECT 1 FROM u)
)
SELECT (SELECT count(*) FROM u) AS written, pg_notify($24::text, '')
"""

SEAL_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('annotation-seal:' || $1::text, 0))"
SEAL_VERSION = """
INSERT INTO versions (version_id, dataset_id, parent_version_id, status, team) VALUES ($1, $2, $3, 'published', $4)
ON CONFLICT (version_id) DO UPDATE
    SET status = CASE WHEN versions.status = 'deleted' THEN 'deleted' ELSE 'published' END,
        team = coalesce(versions.team, EXCLUDED.team)
"""
# The seal locks of several versions, in id order (two deletes never wait for each other crosswise; a save takes
# one version's lock only). The subquery's ORDER BY keeps it from being flattened: the locks follow its order.
SEAL_LOCKS = """
SELECT count(pg_advisory_xact_lock(hashtextextended('annotation-seal:' || s.v, 0)))
FROM (SELECT DISTINCT v FROM unnest($1::text[]) AS v ORDER BY v) s
"""
# Deleted versions stay as tombstones (recorded when not known yet): no save of them commits, reads are NOT_FOUND.
SEAL_DELETED = """
INSERT INTO versions (version_id, dataset_id, status)
SELECT DISTINCT v, $2::text, 'deleted' FROM unnest($1::text[]) AS v
ON CONFLICT (version_id) DO UPDATE SET status = 'deleted'
"""
