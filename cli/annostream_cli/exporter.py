"""`annostream export --version ID | --task ID --format F --out DIR`: a streamed download through the gateway,
written to DIR as it arrives (a zip is unpacked at the end), with a progress bar and the export's report."""

from __future__ import annotations

import contextlib
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

from annostream_sdk import ApiError, Client, ExportFailed, TransportError
from annostream_sdk._exports import ExportFormat


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


def download(client: Client, a: ExportArgs, progress: Progress | None = None) -> dict[str, Any]:
    """Stream the export into `a.out` (a zip is unpacked there); returns the export's report."""
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = a.format == "jsonl"
    target = out / ("frames.jsonl" if lines else ".annostream-export.zip")

    def on_progress(done: int, frames: int | None) -> None:
        if progress:
            progress.update(done, frames)

    fmt = cast(ExportFormat, a.format)
    if a.task_id:
        result = client.export_task(a.task_id, fmt, target, on_progress=on_progress)
    else:
        filters = {"filter": a.filter, "source_filter": a.source_filter, "labels": a.labels}
        result = client.export_version(a.version_id, fmt, target, on_progress=on_progress, **filters)
    if progress:
        progress.update(result.bytes, result.report.frames if lines else None, final=True)
    if not lines:
        try:
            with zipfile.ZipFile(target) as z:
                z.extractall(out)
        finally:
            target.unlink(missing_ok=True)
    return result.report.model_dump()


def main(a: ExportArgs) -> int:
    """Entry of `annostream export`; 0 on success, 1 when refused or cut short."""
    client = Client(a.url, user=a.user, team=a.team or None, timeout=120)
    try:
        total = None
        if a.version_id and not a.filter and not a.labels:
            with contextlib.suppress(ApiError):
                total = client.get_version(a.version_id).frame_count
        report = download(client, a, Progress(sys.stderr, total))
    except ApiError as exc:
        where = f" (field {exc.field})" if exc.field else ""
        print(f"annostream export: {exc.error}: {exc.message}{where}", file=sys.stderr)
        return 1
    except ExportFailed as exc:
        print(f"annostream export: {exc}", file=sys.stderr)
        return 1
    except TransportError as exc:
        print(f"annostream export: gateway unreachable at {a.url}: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(
        f"exported {report['frames']:,} frame(s), {report['exported_rois']:,} of {report['rois']:,} ROI(s)"
        f" as {a.format} into {a.out}"
    )
    for reason, n in report.get("skipped", {}).items():
        print(f"  skipped: {n:,} x {reason}")
    return 0
