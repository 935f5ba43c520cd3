"""The Python SDK's `frames()` (the training-loop read: a page of 100 frame ids, then each frame's annotations by 8
concurrent GETs through the gateway) over 5,000 frames of 3 ROIs, beside bare httpx making the same requests with
the same concurrency (what the SDK itself costs: models, retries, threads) and a raw asyncpg read of the same rows
in keyset pages of 100 with the JSON decoded (what the data costs); `frames(stream=True)` (one streamed JSON-lines
export) too when the gateway has the export routes. Measured once every component is idle after the import."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx

from annostream_cli.stack import LocalStack
from annostream_sdk import Client, NewFrame, NewSource, NotFound, rectangle

from .harness import BenchContext, CpuMeter, Result, Timer, cpu_seconds

FRAMES = 5_000
PAGE = 100
WORKERS = 8
RAW_PAGE = """
SELECT b.frame_id, b.doc AS base, p.doc AS state FROM annotation.base_frames b
LEFT JOIN annotation.frame_projections p ON p.version_id = b.version_id AND p.frame_id = b.frame_id
WHERE b.version_id = $1 AND b.frame_id > $2 ORDER BY b.frame_id LIMIT $3
"""


def _setup(url: str, team: str) -> str:
    """A version of FRAMES frames with 3 boxes each; returns once the annotation service knows the last frame."""
    with Client(url, user="bench", team=team, timeout=120) as client:
        ds = client.create_dataset(f"bench-sdk-{uuid.uuid4().hex[:8]}")
        v = client.create_version(ds.dataset_id, "v")
        frames = (
            NewFrame(
                id=f"f{i:06d}",
                sources=[NewSource(uri=f"s3://bench/{i}.jpg", width=1920, height=1080)],
                metadata={"i": i},
                rois=[rectangle(10 + k, 10, 200 + k, 300, labels=["car"]) for k in range(3)],
            )
            for i in range(FRAMES)
        )
        client.import_frames(v.version_id, frames)
        deadline = time.monotonic() + 120
        while True:
            try:
                client.get_frame(v.version_id, f"f{FRAMES - 1:06d}")
                return v.version_id
            except NotFound:
                assert time.monotonic() < deadline, "the annotation service did not learn the frames"
                time.sleep(0.2)


def _sdk(url: str, team: str, version_id: str, stream: bool = False) -> int:
    with Client(url, user="bench", team=team) as client:
        frames = client.frames(version_id, page_size=PAGE, workers=WORKERS, stream=stream)
        return sum(len(f.rois) for f in frames)


def _idle(stack: LocalStack) -> None:
    """Wait until the components spend < 50 ms of CPU a second (the consumers have indexed the import)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(p.pid) for p in stack.procs.values())
        time.sleep(1)
        if sum(cpu_seconds(p.pid) for p in stack.procs.values()) - before < 0.05:
            return


def _bare(url: str, team: str, version_id: str) -> int:
    headers = {"X-Annostream-User": "bench", "X-Annostream-Team": team}
    rois, token = 0, None
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http, ThreadPoolExecutor(WORKERS) as pool:
        while True:
            params: dict[str, Any] = {"page_size": PAGE, **({"page_token": token} if token else {})}
            page = http.get(f"/api/v1/versions/{version_id}/frames", params=params).json()
            urls = [f"/api/v1/versions/{version_id}/frames/{f['frame_id']}" for f in page["frames"]]
            rois += sum(len(state["rois"]) for state in pool.map(lambda u: http.get(u).json(), urls))
            if not (token := page["next_page_token"]):
                return rois


async def _raw(dsn: str, version_id: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        rois, after = 0, ""
        while rows := await conn.fetch(RAW_PAGE, version_id, after, PAGE):
            for r in rows:
                json.loads(r["base"])
                rois += len(json.loads(r["state"])["rois"]) if r["state"] else 0
            after = rows[-1]["frame_id"]
        return rois
    finally:
        await conn.close()


async def run(ctx: BenchContext) -> None:
    """Measure frames() beside bare httpx and raw asyncpg."""
    with ctx.system() as stack:
        team = f"bench-{uuid.uuid4().hex[:6]}"
        version_id = await asyncio.to_thread(_setup, stack.url, team)
        await asyncio.to_thread(_idle, stack)
        with Timer() as raw:
            assert await _raw(ctx.dsn, version_id) == 3 * FRAMES
        with Timer() as bare:
            assert await asyncio.to_thread(_bare, stack.url, team, version_id) == 3 * FRAMES
        with Timer() as sdk, CpuMeter(stack, ctx.workdir) as cpu:
            assert await asyncio.to_thread(_sdk, stack.url, team, version_id) == 3 * FRAMES
        per_1k = {k: v * 1000 / FRAMES for k, v in cpu.used.items() if v > 0.01}
        ctx.add(
            Result(
                "sdk",
                f"frames() over {FRAMES:,} frames of 3 ROIs (pages of {PAGE}, {WORKERS} concurrent GETs)",
                FRAMES / sdk.seconds,
                "frames/s",
                baseline=FRAMES / raw.seconds,
                baseline_name="asyncpg: the same rows in keyset pages of 100, JSON decoded",
                limited_by="gateway and annotation service CPU per GetFrame (one HTTP + one gRPC call per frame)",
                extra={"bare_httpx_frames_s": FRAMES / bare.seconds, **{f"{k}_per_1k": v for k, v in per_1k.items()}},
            )
        )
        spec = (await asyncio.to_thread(httpx.get, f"{stack.url}/openapi.json", timeout=30)).json()
        if "/api/v1/versions/{version_id}/export" in spec["paths"]:
            with Timer() as streamed, CpuMeter(stack, ctx.workdir) as cpu:
                assert await asyncio.to_thread(_sdk, stack.url, team, version_id, True) == 3 * FRAMES
            ctx.add(
                Result(
                    "sdk",
                    f"frames(stream=True) over {FRAMES:,} frames of 3 ROIs (one JSON-lines export)",
                    FRAMES / streamed.seconds,
                    "frames/s",
                    baseline=FRAMES / raw.seconds,
                    baseline_name="asyncpg: the same rows in keyset pages of 100, JSON decoded",
                    limited_by="the client (pydantic models per frame) and the gateway (JSON lines)",
                    extra={f"{k}_per_1k": v * 1000 / FRAMES for k, v in cpu.used.items() if v > 0.01},
                )
            )
