"""`annostream export --version ID | --task ID --format F --out DIR`: a streamed download through the gateway,
written to DIR as it arrives (a zip is unpacked at the end), with a progress bar and the export's report."""

from __future__ import annotations

import json
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx

from .http_client import Gateway

CHUNK = 1024 * 1024


class ExportFailed(Exception):
    """The export was refused or cut short."""


@dataclass
class ExportArgs:
    """`annostream export` options."""

    url: str
    out: str
    format: str
    user: str
    version_id: str = ""
    task_id: str = ""
    team: str = ""
    filter: str = ""
    source_filter: str = ""
    labels: str = ""


class Progress:
    """Bytes (and frames, for JSON lines) received so far, on one terminal line."""

    def __init__(self, out: TextIO, total_frames: int | None) -> None:
        self.out, self.total, self.start, self.tty = out, total_frames, time.monotonic(), out.isatty()
        self.last = 0.0

    def update(self, done: int, frames: int | None, final: bool = False) -> None:
        """Redraw (at most 5 times a second on a terminal, every 2 s otherwise, and at the end)."""
        now = time.monotonic()
        if not final and now - self.last < (0.2 if self.tty else 2.0):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-6) / 1e6
        text = f"{done / 1e6:,.1f} MB ({rate:,.1f} MB/s)"
        if frames is not None:
            text = f"{frames:,}" + (f" / {self.total:,}" if self.total else "") + f" frames, {text}"
        print(
            ("\r" + text) if self.tty else text, end="" if self.tty and not final else "\n", file=self.out, flush=True
        )


def _error(r: httpx.Response) -> str:
    r.read()
    try:
        body = r.json()
        return f"{body.get('error')}: {body.get('message')}" + (
            f" (field {body['field']})" if body.get("field") else ""
        )
    except ValueError:
        return f"HTTP {r.status_code}: {r.text[:300]}"


def download(gateway: Gateway, a: ExportArgs, progress: Progress | None = None) -> dict[str, Any]:
    """Stream the export into `a.out`; returns the export's report (for JSON lines: frame and ROI counts)."""
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    ext = "jsonl" if a.format == "jsonl" else "zip"
    part = out / f".annostream-export.{ext}.part"
    filters = {"filter": a.filter, "source_filter": a.source_filter, "labels": a.labels}
    done = frames = 0
    with gateway.export(a.format, version_id=a.version_id, task_id=a.task_id, **filters) as r:
        if r.status_code != 200:
            raise ExportFailed(_error(r))
        with part.open("wb") as fh:
            for chunk in r.iter_bytes(CHUNK):
                fh.write(chunk)
                done += len(chunk)
                if a.format == "jsonl":
                    frames += chunk.count(b"\n")
                if progress:
                    progress.update(done, frames if a.format == "jsonl" else None)
    if progress:
        progress.update(done, frames if a.format == "jsonl" else None, final=True)
    if a.format == "jsonl":
        try:
            return _finish_jsonl(part, out / "frames.jsonl")
        finally:
            part.unlink(missing_ok=True)
    try:
        with zipfile.ZipFile(part) as z:
            z.extractall(out)
            report: dict[str, Any] = json.loads(z.read("export_report.json"))
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ExportFailed(f"the download was cut short ({exc}); run the export again") from exc
    finally:
        part.unlink(missing_ok=True)
    return report


def _finish_jsonl(part: Path, target: Path) -> dict[str, Any]:
    """Check the last line (an {"error"} line or a cut-off line means the export failed), then move it in place."""
    frames = rois = 0
    with part.open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                raise ExportFailed("the download was cut short; run the export again")
            line = json.loads(raw)
            if "error" in line and "id" not in line:
                raise ExportFailed(f"{line['error']}: {line.get('message')}")
            frames += 1
            rois += len(line.get("rois", []))
    part.replace(target)
    return {"format": "jsonl", "frames": frames, "rois": rois, "exported_rois": rois, "skipped_rois": 0, "skipped": {}}


def main(a: ExportArgs) -> int:
    """Entry of `annostream export`; 0 on success, 1 when refused or cut short."""
    gateway = Gateway(a.url, a.user, a.team)
    try:
        version = gateway.version(a.version_id) if a.version_id else None
        progress = Progress(sys.stderr, version["frame_count"] if version and not a.filter and not a.labels else None)
        report = download(gateway, a, progress)
    except ExportFailed as exc:
        print(f"annostream export: {exc}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"annostream export: gateway unreachable at {a.url}: {exc}", file=sys.stderr)
        return 1
    finally:
        gateway.close()
    print(
        f"exported {report['frames']:,} frame(s), {report['exported_rois']:,} of {report['rois']:,} ROI(s)"
        f" as {a.format} into {a.out}"
    )
    for reason, n in report.get("skipped", {}).items():
        print(f"  skipped: {n:,} x {reason}")
    return 0
