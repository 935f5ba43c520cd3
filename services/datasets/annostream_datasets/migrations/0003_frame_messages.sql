-- Frames imported from now on are stored as their protobuf message (annostream.types.v1.Frame, without the
-- initial ROIs and frame labels, which go to the annotation service as events): no JSON is built in the
-- service nor parsed by PostgreSQL on the import path, and a page of frames is parsed straight back into
-- the API message. Rows written before keep `sources` / `metadata` as JSON and `frame` NULL; readers accept
-- both. Nothing queries inside sources or metadata here (the iterator indexes them for filters).
ALTER TABLE {schema}.frames ADD COLUMN IF NOT EXISTS frame bytea;
ALTER TABLE {schema}.frames ALTER COLUMN sources DROP NOT NULL;
ALTER TABLE {schema}.frames ALTER COLUMN metadata DROP NOT NULL;
ALTER TABLE {schema}.frames ALTER COLUMN metadata DROP DEFAULT;

-- No foreign key from frames to versions: its per-row check (a lookup and a KEY SHARE lock of the version row
-- for every frame) cost more PostgreSQL time than the COPY of the frame itself. The application keeps the
-- invariant: frames are only inserted by an import holding the version's row lock (FOR UPDATE, after loading
-- it), and deleting a version or a dataset locks its version rows before deleting their frames and then them.
ALTER TABLE {schema}.frames DROP CONSTRAINT IF EXISTS frames_version_id_fkey;
