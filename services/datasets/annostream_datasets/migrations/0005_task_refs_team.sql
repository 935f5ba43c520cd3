-- The team of each referencing task (TaskCreated.team), so a refused delete names only the caller's team's tasks
-- and counts other teams' without their ids. Existing rows: a task on a Published version annotates a child the
-- datasets service made for it in the task's acting team, so that child's team is the task's; any other row stays
-- NULL, read as "another team" (counted, never named).
ALTER TABLE {schema}.task_refs ADD COLUMN IF NOT EXISTS team text;
UPDATE {schema}.task_refs t SET team = c.team
  FROM {schema}.versions c
  WHERE t.team IS NULL AND cardinality(t.version_ids) = 2 AND c.version_id = ANY (t.version_ids)
    AND c.parent_version_id = ANY (t.version_ids) AND c.parent_version_id <> c.version_id;
