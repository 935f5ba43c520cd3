-- events_stream (0002) repeats the unique constraint's index on (stream_id, stream_version): every query it served
-- uses that one. One index fewer to write per event (≈ 103 B of 400 B of index per event: docs/scaling.md).
DROP INDEX IF EXISTS {schema}.events_stream;
