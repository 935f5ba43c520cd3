-- Publishing seals a version here synchronously (SealVersion, called by the datasets service before it commits
-- the publish), and no save may commit after the seal on any replica. A save is one statement whose snapshot is
-- taken before it runs, so a plain `status = 'draft'` test in it could still see the version as it was before a
-- seal that commits while the statement runs. `version_writable` closes that gap: it first takes the version's
-- seal lock in shared mode (saves of a version never wait for each other), then reads the status with a fresh
-- snapshot (a VOLATILE function's queries each take one). SealVersion takes the same lock exclusively around
-- its update, so it waits for every save that already passed the test to commit, and a save that tests after
-- the seal committed reads 'published'. The lock is transaction-scoped: a save holds it until it commits.
CREATE OR REPLACE FUNCTION {schema}.version_writable(p_version text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('annotation-seal:' || p_version, 0));
    PERFORM 1 FROM {schema}.versions v WHERE v.version_id = p_version AND v.status = 'draft';
    RETURN FOUND;
END $$;
