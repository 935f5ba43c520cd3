-- Tenancy: a version belongs to a team (its dataset's, or the team that made it as a child of a shared
-- dataset's version); a dataset may be shared read-only with other teams.
ALTER TABLE {schema}.versions ADD COLUMN IF NOT EXISTS team text;
UPDATE {schema}.versions v SET team = d.team FROM {schema}.datasets d WHERE v.dataset_id = d.dataset_id AND v.team IS NULL;
ALTER TABLE {schema}.versions ALTER COLUMN team SET NOT NULL;

CREATE TABLE IF NOT EXISTS {schema}.dataset_shares (
    dataset_id  text NOT NULL REFERENCES {schema}.datasets (dataset_id),
    team        text NOT NULL,
    PRIMARY KEY (dataset_id, team)
);
CREATE INDEX IF NOT EXISTS dataset_shares_team ON {schema}.dataset_shares (team, dataset_id);
