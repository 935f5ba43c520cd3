"""The two reads of an export: a page of a version's frames after a frame id, or given frames by id.

A version sees its own frames and its ancestors' (the nearest version wins); a frame's annotation state is the
nearest projection with edits (its own once written here, else the one it inherits). A page reads at most
`page_size` rows of each lineage version's primary-key index (one LATERAL index scan per version), so every page
costs the same however far the export has got. Documents come back as the JSON text PostgreSQL stores.
"""

from __future__ import annotations

LINEAGE = """
WITH RECURSIVE lineage(version_id, depth) AS (
    SELECT $1::text, 0
    UNION ALL
    SELECT v.parent_version_id, l.depth + 1
    FROM versions v JOIN lineage l ON v.version_id = l.version_id
    WHERE v.parent_version_id IS NOT NULL AND l.depth < 1000
)"""

STATE = """
LEFT JOIN LATERAL (
    SELECT p.stream_version, p.doc, l.depth FROM frame_projections p JOIN lineage l ON p.version_id = l.version_id
    WHERE p.frame_id = page.frame_id AND p.stream_version > 0 ORDER BY l.depth LIMIT 1
) a ON true"""

PAGE_AFTER = f"""{LINEAGE}, page AS (
    SELECT DISTINCT ON (x.frame_id) x.frame_id, x.doc
    FROM lineage l CROSS JOIN LATERAL (
        SELECT b.frame_id, b.doc FROM base_frames b
        WHERE b.version_id = l.version_id AND b.frame_id > $2 ORDER BY b.frame_id LIMIT $3
    ) x
    ORDER BY x.frame_id, l.depth
    LIMIT $3
)
SELECT page.frame_id, page.doc AS base, CASE WHEN a.depth = 0 THEN a.stream_version ELSE 0 END AS version,
       a.doc AS state
FROM page{STATE}
ORDER BY page.frame_id
"""

PAGE_OF_IDS = f"""{LINEAGE}, ids AS (
    SELECT i.frame_id, i.n FROM unnest($2::text[]) WITH ORDINALITY AS i(frame_id, n)
), page AS (
    SELECT ids.n, ids.frame_id, b.doc FROM ids CROSS JOIN LATERAL (
        SELECT b.doc FROM base_frames b JOIN lineage l ON b.version_id = l.version_id
        WHERE b.frame_id = ids.frame_id ORDER BY l.depth LIMIT 1
    ) b
)
SELECT page.frame_id, page.doc AS base, CASE WHEN a.depth = 0 THEN a.stream_version ELSE 0 END AS version,
       a.doc AS state
FROM page{STATE}
ORDER BY page.n
"""
