-- Finishing, releasing and heartbeating find a lease by its id: a small index over held leases only.
CREATE INDEX IF NOT EXISTS plan_lease ON {schema}.plan (task_id, lease_id) WHERE state = 'leased';
