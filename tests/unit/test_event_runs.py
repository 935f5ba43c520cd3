"""Splitting a consumer batch into runs of one event type and the events between them."""

from __future__ import annotations

from annostream_kernel.events import runs_of
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2


def _env(payload: datasets_pb2.FramesImported | datasets_pb2.VersionCreated) -> envelope_pb2.EventEnvelope:
    env = envelope_pb2.EventEnvelope()
    env.payload.Pack(payload)
    return env


def test_runs_keep_stream_order_and_end_at_each_other_event() -> None:
    a, b, c = (_env(datasets_pb2.FramesImported(version_id=v)) for v in "abc")
    x, y = _env(datasets_pb2.VersionCreated(version_id="x")), _env(datasets_pb2.VersionCreated(version_id="y"))
    got = [
        ([fi.version_id for _, fi in run], other.payload.type_url.rsplit(".", 1)[-1] if other else None)
        for run, other in runs_of([a, b, x, y, c], datasets_pb2.FramesImported)
    ]
    assert got == [(["a", "b"], "VersionCreated"), ([], "VersionCreated"), (["c"], None)]
