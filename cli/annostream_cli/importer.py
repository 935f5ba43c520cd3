"""`annostream import FILE --version ID`: JSON-lines frame import through the gateway, with a progress bar.

Each batch of lines is one atomic, idempotent request: a bad line fails only its batch (nothing of it is
written), is reported with its line number and field, and the import stops; fix the line and run again
(frames already imported are skipped by id).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from annostream_sdk import ApiError, Client, TransportError

BATCH_FRAMES = 2000
BATCH_BYTES = 2 * 1024 * 1024
FRAME_INDEX = re.compile(r"^frames\[(\d+)\](.*)$")


class ImportFailed(Exception):
    """The import stopped; the message names the line and the field."""


@dataclass
class Outcome:
    """Totals of one import run."""

    imported: int = 0
    skipped: int = 0
    lines: int = 0
    seconds: float = 0.0


def _batches(path: Path, batch_frames: int) -> Iterator[tuple[list[int], list[Any], int]]:
    """(line numbers, frames, bytes read so far) per batch; a line that is not JSON stops with its number."""
    lines: list[int] = []
    frames: list[Any] = []
    size = 0
    done = 0
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            done += len(raw)
            if not raw.strip():
                continue
            try:
                frames.append(json.loads(raw))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ImportFailed(f"line {n}: not valid JSON ({exc})") from exc
            lines.append(n)
            size += len(raw)
            if len(frames) >= batch_frames or size >= BATCH_BYTES:
                yield lines, frames, done
                lines, frames, size = [], [], 0
    if frames:
        yield lines, frames, done


def _explain(err: ApiError, lines: list[int]) -> str:
    """Turn an API error into 'line N: field: message' using the batch's line numbers."""
    field, message = err.field or "", err.message
    if m := FRAME_INDEX.match(field):
        i, rest = int(m.group(1)), m.group(2).lstrip(".")
        if i < len(lines):
            tail = message.split(": ", 1)[-1] if message.startswith("frames[") else message
            return f"line {lines[i]}: {rest or 'frame'}: {tail}"
    return f"{err.error}: {message}"


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


def run_import(
    client: Client,
    path: Path,
    version_id: str,
    *,
    batch_frames: int = BATCH_FRAMES,
    validate_only: bool = False,
    on_progress: Callable[[int, Outcome], None] | None = None,
) -> Outcome:
    """Import `path` into `version_id` batch by batch; raises ImportFailed naming the line and field."""
    out = Outcome()
    start = time.monotonic()
    for lines, frames, done in _batches(path, batch_frames):
        try:
            result = client.import_batch(version_id, frames, validate_only=validate_only)
        except ApiError as exc:
            raise ImportFailed(_explain(exc, lines) + f" (lines before {lines[0]} are imported)") from exc
        out.imported += result.imported
        out.skipped += result.skipped
        out.lines += len(frames)
        if on_progress:
            on_progress(done, out)
    out.seconds = time.monotonic() - start
    return out


def main(url: str, path: str, version_id: str, user: str, batch: int, validate_only: bool, team: str = "") -> int:
    """Entry of `annostream import`; exit status 0 on success, 1 on a rejected line, 2 on a bad file."""
    file = Path(path)
    if not file.is_file():
        print(f"annostream import: no such file: {path}", file=sys.stderr)
        return 2
    bar = ProgressBar(file.stat().st_size, sys.stderr)
    try:
        with Client(url, user=user, team=team or None, timeout=120) as client:
            o = run_import(
                client, file, version_id, batch_frames=batch, validate_only=validate_only, on_progress=bar.update
            )
    except ImportFailed as exc:
        bar.close()
        print(f"annostream import: {exc}", file=sys.stderr)
        return 1
    except TransportError as exc:
        bar.close()
        print(f"annostream import: gateway unreachable at {url}: {exc}", file=sys.stderr)
        return 1
    bar.close()
    verb = "validated" if validate_only else "imported"
    print(f"{verb} {o.lines:,} line(s): {o.imported:,} new frame(s), {o.skipped:,} already there, in {o.seconds:.1f}s")
    return 0
