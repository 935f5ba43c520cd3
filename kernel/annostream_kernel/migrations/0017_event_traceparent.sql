-- The W3C trace context of the request that appended an event ('' when tracing was off): the relay sends it
-- as the `traceparent` NATS header, so a consumer's span joins the trace of the save (annostream_kernel.tracing).
ALTER TABLE {schema}.events ADD COLUMN IF NOT EXISTS traceparent text NOT NULL DEFAULT '';
