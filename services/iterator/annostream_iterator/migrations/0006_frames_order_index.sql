-- The frame-order index in the byte order plans sort by (context_id and frame_id COLLATE "C", see plans.py),
-- replacing the one in the database collation: that one could not serve the plans' ORDER BY, and keeping it
-- was most of the PostgreSQL time of indexing an imported frame (every key comparison a locale-aware string
-- comparison: ~3.5 µs per frame of 5). version_id keeps the database collation so `version_id = $1` can use it.
CREATE INDEX IF NOT EXISTS frames_order ON {schema}.frames (version_id, context_id COLLATE "C", ts, frame_id COLLATE "C");
DROP INDEX IF EXISTS {schema}.frames_sequential;
