-- Label colors shared by everyone annotating the task: {"label": "#rrggbb"}.
ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS label_colors jsonb NOT NULL DEFAULT '{}';
