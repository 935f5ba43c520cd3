-- "My reviews" (issue 17): the tasks list asks which of a team's tasks hold review work for a reviewer — frames
-- they decided (this index) or frames waiting for review (0011's review_queue partial index).
CREATE INDEX IF NOT EXISTS review_decisions_reviewer ON {schema}.review_decisions (task_id, reviewer);
