-- Deleting a version (DeleteVersion, or DeleteDataset for each of its versions) marks it 'deleted' here
-- synchronously (SealDeletedVersions, called by the datasets service before it commits the delete; the
-- VersionDeleted / DatasetDeleted events do the same later). The row stays as a tombstone: `version_writable`
-- (0005) refuses every save of it, its reads answer NOT_FOUND, and a late VersionCreated or VersionPublished
-- does not bring it back.
ALTER TABLE {schema}.versions DROP CONSTRAINT IF EXISTS versions_status_check;
ALTER TABLE {schema}.versions ADD CONSTRAINT versions_status_check
    CHECK (status IN ('draft', 'published', 'deleted'));
