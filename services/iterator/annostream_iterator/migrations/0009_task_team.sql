-- Tenancy: the team that owns a task (from TaskCreated); leases, navigation and progress are checked against it.
ALTER TABLE {schema}.tasks ADD COLUMN IF NOT EXISTS team text;
