-- Tenancy: who owns what the annotation service holds, learned from the datasets events it consumes.
-- A version's team (NULL in VersionCreated events written before versions carried it: then its dataset's).
ALTER TABLE {schema}.versions ADD COLUMN IF NOT EXISTS team text;
-- Datasets: their team and the teams they are shared with read-only.
CREATE TABLE IF NOT EXISTS {schema}.datasets (
    dataset_id   text PRIMARY KEY,
    team         text NOT NULL,
    shared_with  text[] NOT NULL DEFAULT '{}'
);
