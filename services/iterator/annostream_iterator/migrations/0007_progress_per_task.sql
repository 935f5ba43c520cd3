-- TaskProgressed is coalesced per task (one event per changed task per tick, listing the annotators whose
-- counts moved) instead of per (task, annotator): 200 annotators on a task were 200 events per tick for the
-- relay, NATS and every subscriber. The task-level stream `team-progress:<task>` takes its versions from
-- this counter; the emitter bumps it in the transaction that appends the event.
ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS progress_version bigint NOT NULL DEFAULT 0;
ALTER TABLE {schema}.progress DROP COLUMN IF EXISTS emitted_version;
