"""The kernel's request validator (annostream_kernel.validation) on the largest requests it sees, beside the raw
baseline every request already pays: protobuf parsing of the same bytes. In-process, one core."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from annostream_kernel.grpc_errors import validating
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.types.v1 import frames_pb2 as t

from .harness import BenchContext, Result

REPEAT = 20


def _best(fn: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _import_batch() -> bytes:
    frames = [
        t.Frame(
            frame_id=f"f{i:06d}",
            context_id="ctx",
            timestamp=i * 40,
            sources=[t.Source(id="cam", uri=f"file:///data/{i:06d}.jpg", width=1920, height=1080)],
            metadata_json='{"camera": "front", "gain": 12}',
        )
        for i in range(5_000)
    ]
    return ds.ImportFramesRequest(version_id="ver_x", frames=frames).SerializeToString()


def _save(rois: int, points: int) -> bytes:
    def polygon(k: int) -> ann.Command:
        pts = [t.Point(x=100 + 50 * math.cos(j + k), y=100 + 50 * math.sin(j + k)) for j in range(points)]
        return ann.Command(create_roi=ann.CreateRoi(roi=t.Roi(type=t.ROI_TYPE_POLYGON, points=pts, labels=["car"])))

    frame = t.FrameRef(version_id="ver_x", frame_id="f1")
    return ann.SaveFrameRequest(frame=frame, commands=[polygon(k) for k in range(rois)]).SerializeToString()


async def run(ctx: BenchContext) -> None:
    """Validator time per request vs parse time of the same request."""
    cases = [
        ("import of 5,000 frames (no doubles, no NUL: byte scan only)", ds.ImportFramesRequest, _import_batch()),
        ("save of one 10,000-point polygon", ann.SaveFrameRequest, _save(1, 10_000)),
        ("save of 1,000 polygons x 30 points", ann.SaveFrameRequest, _save(1_000, 30)),
    ]
    for name, cls, raw in cases:
        parse = cls.FromString
        checked = validating(parse)
        parse_s, checked_s = _best(lambda p=parse, r=raw: p(r)), _best(lambda c=checked, r=raw: c(r))
        ctx.add(
            Result(
                "validation",
                name,
                round((checked_s - parse_s) * 1e3, 3),
                "ms validating",
                baseline=round(parse_s * 1e3, 3),
                baseline_name="ms protobuf parse of the same bytes",
                limited_by=f"one core of the receiving service ({len(raw):,} bytes)",
            )
        )
