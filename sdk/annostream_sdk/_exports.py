"""Client methods for exports: a version (optionally filtered) or a task's frames as COCO, Pascal VOC, YOLO (a zip)
or annostream's JSON lines, streamed to a file with bounded memory."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from .errors import ExportFailed
from .models_tasks import ExportReport
from .transport import Transport

ExportFormat = Literal["coco", "voc", "yolo", "yolo-segment", "yolo-pose", "jsonl"]
CHUNK = 1024 * 1024
REPORT = "export_report.json"


@dataclass(frozen=True)
class ExportResult:
    """A finished export: the file written, its size, and what it holds (the ROIs its format had to skip)."""

    path: Path
    format: str
    bytes: int
    report: ExportReport


class ExportsApi:
    """Streamed export downloads."""

    _t: Transport

    def export_version(
        self,
        version_id: str,
        format: ExportFormat,
        out: str | Path,
        *,
        filter: str | None = None,
        source_filter: str | None = None,
        labels: str | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> ExportResult:
        """Download a version's frames with their annotations into the file `out` (a zip, or JSON lines for
        `jsonl`), optionally only the frames a filter selects (docs/filters.md). The file appears only when the
        download is complete (ExportFailed otherwise); `on_progress(bytes, frames or None)` follows it."""
        params = {"format": format, "filter": filter, "source_filter": source_filter, "labels": labels}
        return self._download("export_version", {"version_id": version_id}, params, format, Path(out), on_progress)

    def export_task(
        self,
        task_id: str,
        format: ExportFormat,
        out: str | Path,
        *,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> ExportResult:
        """Download the frames of a task's plan (its filters and limit) from the version it annotates."""
        return self._download("export_task", {"task_id": task_id}, {"format": format}, format, Path(out), on_progress)

    def _download(
        self,
        name: str,
        path: Mapping[str, str],
        params: Mapping[str, str | None],
        fmt: str,
        out: Path,
        on_progress: Callable[[int, int | None], None] | None,
    ) -> ExportResult:
        part = out.with_name(out.name + ".part")
        done, frames = 0, 0
        lines = fmt == "jsonl"
        try:
            with self._t.stream(name, path, params=params) as resp, part.open("wb") as fh:
                try:
                    for chunk in resp.iter_bytes(CHUNK):
                        fh.write(chunk)
                        done += len(chunk)
                        frames += chunk.count(b"\n") if lines else 0
                        if on_progress:
                            on_progress(done, frames if lines else None)
                except httpx.TransportError as exc:
                    raise ExportFailed(f"the download was cut short ({exc!r}); run the export again") from exc
            report = _jsonl_report(part) if lines else _zip_report(part)
            part.replace(out)
        finally:
            part.unlink(missing_ok=True)
        return ExportResult(out, fmt, done, report)


def _zip_report(path: Path) -> ExportReport:
    """The archive's report (a zip without it, or without its directory, was cut short)."""
    try:
        with zipfile.ZipFile(path) as z:
            return ExportReport.model_validate_json(z.read(REPORT))
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ExportFailed(f"the download was cut short ({exc}); run the export again") from exc


def _jsonl_report(path: Path) -> ExportReport:
    """Frame and ROI counts of a JSON-lines export, read a line at a time (an error line or a cut-off last line
    means the export failed after it started)."""
    frames = rois = 0
    with path.open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                raise ExportFailed("the download was cut short; run the export again")
            line = json.loads(raw)
            if "error" in line and "id" not in line:
                raise ExportFailed(f"{line['error']}: {line.get('message')} (field {line.get('field')})")
            frames += 1
            rois += len(line.get("rois", ()))
    return ExportReport(format="jsonl", frames=frames, rois=rois, exported_rois=rois, skipped_rois=0)
