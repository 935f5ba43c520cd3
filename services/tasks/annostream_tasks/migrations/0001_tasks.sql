CREATE TABLE IF NOT EXISTS {schema}.tasks (
    task_id               text PRIMARY KEY,
    name                  text NOT NULL,
    owner                 text NOT NULL,
    team                  text NOT NULL,
    dataset_id            text NOT NULL,
    source_version_id     text NOT NULL,
    annotated_version_id  text NOT NULL,
    iteration             jsonb NOT NULL,
    default_labels        text[] NOT NULL DEFAULT '{}',
    status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS tasks_recent ON {schema}.tasks (team, updated_at DESC, task_id DESC);
