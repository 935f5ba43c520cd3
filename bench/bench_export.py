"""Export: COCO of a 100k-frame version with 1.5M ROIs through the gateway (HTTP, streamed zip) vs a raw asyncpg
baseline reading the same rows and writing COCO JSON, in the same run; peak RSS of the gateway and the annotation
service during the export, and the CPU seconds every process spends per 1,000 frames.

The version is made through the API (so every service knows it and its team); its frames and their annotation
state are then COPYed straight into the annotation service's tables (`base_frames`, `frame_projections`, the
documents exactly as the service writes them): what an export reads. Importing 1.5M ROIs as events would take
minutes and is what the import benches measure. `ANNOSTREAM_BENCH_EXPORT_FRAMES` changes the size (e.g. 1000000).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from typing import Any

import asyncpg
import httpx
import orjson

from annostream_annotation.adapters.base_frames import base_doc
from annostream_cli.stack import LocalStack
from annostream_protos.types.v1 import frames_pb2 as t

from .harness import BenchContext, CpuMeter, Result, Timer

FRAMES = int(os.environ.get("ANNOSTREAM_BENCH_EXPORT_FRAMES", "100000"))
ROIS_PER_FRAME = 15  # 10 rectangles, 4 polygons of 6 points, 1 key-point ROI of 5 points
LABELS = [f"class{i}" for i in range(20)]
SEED_CHUNK = 50_000
HEADERS = {"X-Annostream-User": "bench", "X-Annostream-Team": "bench"}


def _roi(rng: random.Random, i: int) -> dict[str, Any]:
    x, y = rng.uniform(0, 1700), rng.uniform(0, 900)
    if i < 10:
        kind, pts = "rectangle", [[x, y], [x + rng.uniform(5, 200), y + rng.uniform(5, 150)]]
    elif i < 14:
        kind, pts = "polygon", [[x + rng.uniform(0, 200), y + rng.uniform(0, 150)] for _ in range(6)]
    else:
        kind, pts = "keypoints", [[x + rng.uniform(0, 200), y + rng.uniform(0, 150)] for _ in range(5)]
    return {
        "roi_id": f"roi{i}",
        "type": kind,
        "points": pts,
        "labels": [rng.choice(LABELS)],
        "confidence": None,
        "source_id": "",
        "metadata": {},
        "locked": False,
    }


def _rows(version_id: str, start: int, stop: int) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, int, str]]]:
    rng = random.Random(start)
    base, proj = [], []
    for i in range(start, stop):
        fid = f"f{i:07d}"
        frame = t.Frame(
            frame_id=fid, sources=[t.Source(id="cam", uri=f"s3://bench/{fid}.jpg", width=1920, height=1080)]
        )
        base.append((version_id, fid, base_doc(frame)))
        doc = {"rois": [_roi(rng, k) for k in range(ROIS_PER_FRAME)], "frame_labels": [], "metadata": {}}
        proj.append((version_id, fid, ROIS_PER_FRAME, json.dumps(doc)))
    return base, proj


async def _seed(stack: LocalStack, dsn: str) -> str:
    async with httpx.AsyncClient(base_url=stack.url, headers=HEADERS, timeout=60) as c:
        ds = (await c.post("/api/v1/datasets", json={"name": f"export-{uuid.uuid4().hex[:8]}"})).json()
        v = (await c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"})).json()
        one = {"id": "f0000000", "sources": [{"id": "cam", "uri": "s3://bench/x.jpg", "width": 1920, "height": 1080}]}
        (await c.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [one]})).raise_for_status()
        for _ in range(400):  # until the annotation service knows the version
            if (await c.get(f"/api/v1/versions/{v['version_id']}/frames/f0000000")).status_code == 200:
                break
            await asyncio.sleep(0.05)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM annotation.base_frames WHERE version_id = $1", v["version_id"])
        for start in range(0, FRAMES, SEED_CHUNK):  # in chunks: a 1M-frame seed would not fit the client's memory
            base, proj = _rows(v["version_id"], start, min(FRAMES, start + SEED_CHUNK))
            await conn.copy_records_to_table("base_frames", schema_name="annotation", records=base)
            await conn.copy_records_to_table(
                "frame_projections",
                schema_name="annotation",
                records=proj,
                columns=["version_id", "frame_id", "stream_version", "doc"],
            )
        await conn.execute("ANALYZE annotation.base_frames; ANALYZE annotation.frame_projections")
    finally:
        await conn.close()
    return str(v["version_id"])


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(x.split()[1]) for x in fh if x.startswith("VmRSS:")) / 1024


async def _sample_rss(pids: dict[str, int], peaks: dict[str, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for name, pid in pids.items():
            peaks[name] = max(peaks.get(name, 0.0), _rss_mb(pid))
        await asyncio.sleep(0.05)


async def _export(stack: LocalStack, version_id: str) -> int:
    n = 0
    async with httpx.AsyncClient(base_url=stack.url, headers=HEADERS, timeout=httpx.Timeout(60, read=None)) as c:
        url = f"/api/v1/versions/{version_id}/export"
        async with c.stream("GET", url, params={"format": "coco"}) as r:
            r.raise_for_status()
            async for chunk in r.aiter_raw(1 << 20):
                n += len(chunk)
    return n


def _coco_ann(roi: dict[str, Any], image_id: int, ann_id: int, cats: dict[str, int]) -> dict[str, Any]:
    pts = roi["points"]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
    cat = cats.setdefault(roi["labels"][0], len(cats) + 1)
    ann = {
        "id": ann_id,
        "image_id": image_id,
        "category_id": cat,
        "bbox": [x1, y1, x2 - x1, y2 - y1],
        "area": (x2 - x1) * (y2 - y1),
        "iscrowd": 0,
        "segmentation": [],
    }
    if roi["type"] == "polygon":
        ann["segmentation"] = [[c for p in pts for c in p]]
    elif roi["type"] == "keypoints":
        ann["keypoints"] = [c for p in pts for c in (p[0], p[1], 2)]
        ann["num_keypoints"] = len(pts)
    return ann


async def _raw(dsn: str, version_id: str, path: str) -> int:
    """asyncpg reads the same rows (cursor, frame id order) and writes COCO JSON: annotations streamed to the
    file, images and categories kept in memory and written last."""
    conn = await asyncpg.connect(dsn)
    images: list[dict[str, Any]] = []
    cats: dict[str, int] = {}
    ann_id = 0
    try:
        with open(path, "wb") as out:  # noqa: ASYNC230 - the baseline writes like the gateway: as it goes
            out.write(b'{"annotations":[')
            async with conn.transaction():
                sql = (
                    "SELECT b.frame_id, b.doc AS base, p.doc AS state FROM annotation.base_frames b"
                    " LEFT JOIN annotation.frame_projections p USING (version_id, frame_id)"
                    " WHERE b.version_id = $1 ORDER BY b.frame_id"
                )
                async for row in conn.cursor(sql, version_id, prefetch=1000):
                    base, state = orjson.loads(row["base"]), orjson.loads(row["state"] or '{"rois": []}')
                    s = base["sources"][0]
                    images.append(
                        {
                            "id": len(images) + 1,
                            "file_name": row["frame_id"] + ".jpg",
                            "width": s["width"],
                            "height": s["height"],
                        }
                    )
                    anns = []
                    for roi in state["rois"]:
                        ann_id += 1
                        anns.append(_coco_ann(roi, len(images), ann_id, cats))
                    if anns:
                        out.write((b"," if ann_id > len(anns) else b"") + orjson.dumps(anns)[1:-1])
            out.write(b'],"images":' + orjson.dumps(images))
            out.write(b',"categories":' + orjson.dumps([{"id": i, "name": n} for n, i in cats.items()]) + b"}")
    finally:
        await conn.close()
    return len(images)


async def run(ctx: BenchContext) -> None:
    """Seed, export through the system, then the raw baseline on the same rows."""
    with ctx.system() as stack:
        with Timer() as seed:
            version_id = await _seed(stack, ctx.dsn)
        print(f"  seeded {FRAMES:,} frames, {FRAMES * ROIS_PER_FRAME:,} ROIs in {seed.seconds:.1f}s", flush=True)
        pids = {name: stack.procs[name].pid for name in ("gateway", "annotation")}
        base_rss = {name: _rss_mb(pid) for name, pid in pids.items()}
        peaks: dict[str, float] = {}
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_rss(pids, peaks, stop))
        with CpuMeter(stack, ctx.workdir) as cpu, Timer() as t_sys:
            size = await _export(stack, version_id)
        stop.set()
        await sampler
        raw_cpu = time.process_time()
        with Timer() as t_raw:
            done = await _raw(ctx.dsn, version_id, str(ctx.workdir / "raw-coco.json"))
        raw_cpu = time.process_time() - raw_cpu
        assert done == FRAMES
        total_cpu = sum(cpu.used.values())
        per_1k = 1e6 / FRAMES  # CPU seconds → CPU milliseconds per 1,000 frames
        extra = {k.replace("_cpu_s", "_cpu_ms_per_1k_frames"): v * per_1k for k, v in cpu.used.items()}
        extra.update(
            {
                "all_cpu_ms_per_1k_frames": total_cpu * per_1k,
                "zip_MB": size / 1e6,
                "raw_json_MB": (ctx.workdir / "raw-coco.json").stat().st_size / 1e6,
                "seconds": t_sys.seconds,
                "raw_seconds": t_raw.seconds,
                "raw_client_cpu_ms_per_1k_frames": raw_cpu * per_1k,
            }
        )
        ctx.add(
            Result(
                "export",
                f"COCO export via HTTP, {FRAMES:,} frames / {FRAMES * ROIS_PER_FRAME:,} ROIs",
                FRAMES / t_sys.seconds,
                "frames/s",
                baseline=FRAMES / t_raw.seconds,
                baseline_name="asyncpg cursor + json, one process",
                target="ratio >= 0.5",
                limited_by="see bench/README.md",
                extra=extra,
            )
        )
        for name in pids:
            ctx.add(
                Result(
                    "export",
                    f"peak RSS of the {name} during the export",
                    peaks.get(name, 0.0),
                    "MB",
                    target="< 300 MB",
                    extra={"before_MB": base_rss[name]},
                )
            )
