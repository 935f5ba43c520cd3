-- RECENT sorts by updated_at (what the task cards show) since issue 16: index that order, per team and per owner
-- ("my tasks"), and drop the created_at indexes no query uses any more.
CREATE INDEX IF NOT EXISTS tasks_team_updated ON {schema}.tasks (team, updated_at DESC, task_id DESC);
CREATE INDEX IF NOT EXISTS tasks_team_owner_updated ON {schema}.tasks (team, owner, updated_at DESC, task_id DESC);
DROP INDEX IF EXISTS {schema}.tasks_team_created;
DROP INDEX IF EXISTS {schema}.tasks_team_owner_created;
