ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS selection jsonb NOT NULL DEFAULT '{"mode": "all", "filters": []}';
ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS label_set text[] NOT NULL DEFAULT '{}';
ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS completed_at timestamptz;
-- Keyset paging of the list's two sort orders (other view options filter within the team's rows).
CREATE INDEX IF NOT EXISTS tasks_team_created ON {schema}.tasks (team, created_at DESC, task_id DESC);
CREATE INDEX IF NOT EXISTS tasks_team_name ON {schema}.tasks (team, lower(name), task_id);
CREATE INDEX IF NOT EXISTS tasks_team_owner_created ON {schema}.tasks (team, owner, created_at DESC, task_id DESC);
DROP INDEX IF EXISTS {schema}.tasks_recent;
