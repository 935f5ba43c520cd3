"""`annostream import PATH --version ID [--format jsonl|coco|voc|yolo]`: frames through the gateway, with a
progress bar.

Each batch of frames is one atomic, idempotent request: a bad frame fails only its batch (nothing of it is
written), is reported with where it came from (JSON-lines line, COCO image / annotation, VOC file and object, YOLO
file and line) and the field, and the import stops; fix it and run again (frames already imported are skipped by
id). Shapes a format reader cannot turn into ROIs are counted and reported.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from annostream_sdk import ApiError, Client, TransportError

from .formats import coco, jsonl, voc, yolo
from .formats.common import FormatError, Item, Skipped

BATCH_FRAMES = 2000
BATCH_BYTES = 2 * 1024 * 1024
FRAME_INDEX = re.compile(r"^frames\[(\d+)\](?:\.rois\[(\d+)\])?(.*)$")
READERS: dict[str, Callable[[Path, str | None, Skipped], Iterator[Item]]] = {
    "jsonl": jsonl.read,
    "coco": coco.read,
    "voc": voc.read,
    "yolo": yolo.read,
}


class ImportFailed(Exception):
    """The import stopped; the message names where (line, file, entry) and the field."""


@dataclass
class Outcome:
    """Totals of one import run."""

    imported: int = 0
    skipped: int = 0
    lines: int = 0
    seconds: float = 0.0
    left_out: Skipped = field(default_factory=Skipped)


def _batches(items: Iterator[Item], batch_frames: int) -> Iterator[tuple[list[Item], int]]:
    """(items, input bytes so far) per batch of at most `batch_frames` frames / ~2 MiB."""
    batch: list[Item] = []
    size = done = 0
    for item in items:
        batch.append(item)
        size += item.size or 1000
        done += item.size
        if len(batch) >= batch_frames or size >= BATCH_BYTES:
            yield batch, done
            batch, size = [], 0
    if batch:
        yield batch, done


def _explain(err: ApiError, batch: list[Item]) -> str:
    """Turn an API error into '<where>: <field>: message' using the batch's origins."""
    fld, message = err.field or "", err.message
    if m := FRAME_INDEX.match(fld):
        i, roi, rest = int(m.group(1)), m.group(2), m.group(3).lstrip(".")
        if i < len(batch):
            item = batch[i]
            tail = message.split(": ", 1)[-1] if message.startswith("frames[") else message
            where = item.origin
            if roi is not None:
                j = int(roi)
                origin = item.roi_origins[j] if j < len(item.roi_origins) else ""
                where += f": {origin}" if origin and origin != item.origin else ""
                rest = f"rois[{j}]" + (f".{rest}" if rest else "")
            return f"{where}: {rest or 'frame'}: {tail}"
    return f"{err.error}: {message}"


def run_import(
    client: Client,
    items: Iterator[Item],
    version_id: str,
    *,
    batch_frames: int = BATCH_FRAMES,
    validate_only: bool = False,
    on_progress: Callable[[int, Outcome], None] | None = None,
) -> Outcome:
    """Import the frames batch by batch; raises ImportFailed naming where and the field."""
    out = Outcome()
    start = time.monotonic()
    try:
        for batch, done in _batches(items, batch_frames):
            try:
                result = client.import_batch(version_id, [i.frame for i in batch], validate_only=validate_only)
            except ApiError as exc:
                msg = _explain(exc, batch) + f" (frames before {batch[0].origin} are imported)"
                raise ImportFailed(msg) from exc
            out.imported += result.imported
            out.skipped += result.skipped
            out.lines += len(batch)
            if on_progress:
                on_progress(done, out)
    except FormatError as exc:
        raise ImportFailed(str(exc)) from exc
    out.seconds = time.monotonic() - start
    return out


class ProgressBar:
    """A one-line progress bar on a terminal stream (plain lines when it is not a TTY)."""

    def __init__(self, total_bytes: int, out: TextIO) -> None:
        self.total, self.out, self.start = max(total_bytes, 1), out, time.monotonic()
        self.tty = out.isatty()

    def update(self, done_bytes: int, o: Outcome) -> None:
        frac = min(done_bytes / self.total, 1.0)
        rate = o.lines / max(time.monotonic() - self.start, 1e-6)
        bar = "#" * int(frac * 30)
        text = f"[{bar:<30}] {frac:6.1%}  {o.imported:,} imported, {o.skipped:,} skipped  ({rate:,.0f} frames/s)"
        print(("\r" + text) if self.tty else text, end="" if self.tty else "\n", file=self.out, flush=True)

    def close(self) -> None:
        if self.tty:
            print(file=self.out)


def _input_bytes(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@dataclass
class ImportArgs:
    """`annostream import` options."""

    url: str
    path: str
    version_id: str
    user: str
    batch: int = BATCH_FRAMES
    validate_only: bool = False
    team: str = ""
    format: str = "jsonl"
    media: str | None = None


def main(a: ImportArgs) -> int:
    """Entry of `annostream import`; exit status 0 on success, 1 on a rejected frame, 2 on a bad path."""
    path = Path(a.path)
    need_file = a.format in ("jsonl", "coco")
    if not (path.is_file() if need_file else path.is_dir()):
        print(f"annostream import: no such {'file' if need_file else 'directory'}: {a.path}", file=sys.stderr)
        return 2
    bar = ProgressBar(_input_bytes(path), sys.stderr)
    skipped = Skipped()
    client = Client(a.url, user=a.user, team=a.team or None, timeout=120)
    try:
        items = READERS[a.format](path, a.media, skipped)
        o = run_import(
            client, items, a.version_id, batch_frames=a.batch, validate_only=a.validate_only, on_progress=bar.update
        )
    except ImportFailed as exc:
        bar.close()
        print(f"annostream import: {exc}", file=sys.stderr)
        return 1
    except TransportError as exc:
        bar.close()
        print(f"annostream import: gateway unreachable at {a.url}: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    bar.close()
    verb = "validated" if a.validate_only else "imported"
    unit = "line(s)" if a.format == "jsonl" else "frame(s)"
    print(f"{verb} {o.lines:,} {unit}: {o.imported:,} new frame(s), {o.skipped:,} already there, in {o.seconds:.1f}s")
    for reason, n in sorted(skipped.counts.items()):
        print(f"  not imported: {n:,} x {reason}")
    return 0
