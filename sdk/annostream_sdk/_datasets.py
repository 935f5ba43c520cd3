"""Client methods for datasets, versions, frame lists, imports and media."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .commands import NewFrame
from .errors import ImportRejected, InvalidArgument
from .models import (
    BaseFrame,
    Dataset,
    DatasetPage,
    FramePage,
    ImportResult,
    Version,
    VersionStats,
    VersionTree,
)
from .transport import Transport

FrameInput = NewFrame | Mapping[str, Any]
BATCH_FRAMES = 2000
BATCH_BYTES = 2 * 1024 * 1024
JSON = {"Content-Type": "application/json"}


@dataclass
class ImportOutcome:
    """Totals of `import_frames`: new frames, frames already there (skipped), frames sent, atomic batches."""

    imported: int = 0
    skipped: int = 0
    frames: int = 0
    batches: int = 0


def frame_json(frame: FrameInput) -> Any:
    """A frame to import as the API's JSON (a NewFrame's `to_json()`, a mapping as it is)."""
    return frame.to_json() if isinstance(frame, NewFrame) else frame


class DatasetsApi:
    """Datasets, versions (lineage, publish, statistics), frame listing, imports, media."""

    _t: Transport

    def create_dataset(self, name: str) -> Dataset:
        """Create a dataset in the acting team (names are unique per team: AlreadyExists otherwise)."""
        return Dataset.model_validate(self._t.json("create_dataset", json={"name": name}))

    def list_datasets(self, *, page_size: int = 50, page_token: str | None = None) -> DatasetPage:
        """One page of the team's datasets (and those shared with it), by name."""
        params = {"page_size": page_size, "page_token": page_token}
        return DatasetPage.model_validate(self._t.json("list_datasets", params=params))

    def iter_datasets(self, *, page_size: int = 100) -> Iterator[Dataset]:
        """Every dataset the team sees, page by page."""
        token: str | None = None
        while True:
            page = self.list_datasets(page_size=page_size, page_token=token)
            yield from page.datasets
            if not (token := page.next_page_token):
                return

    def get_dataset(self, dataset_id: str) -> Dataset:
        """One dataset."""
        return Dataset.model_validate(self._t.json("get_dataset", {"dataset_id": dataset_id}))

    def rename_dataset(self, dataset_id: str, name: str) -> Dataset:
        """Rename a dataset."""
        return Dataset.model_validate(self._t.json("rename_dataset", {"dataset_id": dataset_id}, json={"name": name}))

    def delete_dataset(self, dataset_id: str) -> None:
        """Delete a dataset with its versions and frames (FailedPrecondition while a task uses it)."""
        self._t.send("delete_dataset", {"dataset_id": dataset_id})

    def share_dataset(self, dataset_id: str, teams: Sequence[str]) -> Dataset:
        """Share the dataset read-only with exactly these teams (team admins; [] stops sharing)."""
        body = {"teams": list(teams)}
        return Dataset.model_validate(self._t.json("share_dataset", {"dataset_id": dataset_id}, json=body))

    def create_version(self, dataset_id: str, name: str, *, parent_version_id: str | None = None) -> Version:
        """Create a Draft version (a child of `parent_version_id` when given)."""
        body = {"name": name, "parent_version_id": parent_version_id}
        return Version.model_validate(self._t.json("create_version", {"dataset_id": dataset_id}, json=body))

    def list_versions(self, dataset_id: str) -> VersionTree:
        """The dataset's versions as a lineage tree (roots with their `children`)."""
        return VersionTree.model_validate(self._t.json("list_versions", {"dataset_id": dataset_id}))

    def get_version(self, version_id: str) -> Version:
        """One version."""
        return Version.model_validate(self._t.json("get_version", {"version_id": version_id}))

    def delete_version(self, version_id: str) -> None:
        """Delete a Draft version (FailedPrecondition for a Published one or while a task uses it)."""
        self._t.send("delete_version", {"version_id": version_id})

    def publish_version(self, version_id: str) -> Version:
        """Publish a Draft: from the answer on, no edit of it is stored and no task leases its frames.
        FailedPrecondition while active tasks annotate it (`details["task_ids"]`): complete or delete them first."""
        return Version.model_validate(self._t.json("publish_version", {"version_id": version_id}))

    def version_stats(self, version_id: str, *, rois_per_frame: bool = False) -> VersionStats:
        """Frame, annotated-frame and ROI counts, counts per label, and (when asked) frames per number of ROIs."""
        params = {"rois_per_frame": "true"} if rois_per_frame else None
        return VersionStats.model_validate(self._t.json("version_stats", {"version_id": version_id}, params=params))

    def list_frames(self, version_id: str, *, page_size: int = 50, page_token: str | None = None) -> FramePage:
        """One page of the frames a version sees (its own and its ancestors'), by frame id, without annotations."""
        params = {"page_size": page_size, "page_token": page_token}
        return FramePage.model_validate(self._t.json("list_frames", {"version_id": version_id}, params=params))

    def iter_base_frames(self, version_id: str, *, page_size: int = 200) -> Iterator[BaseFrame]:
        """Every frame of a version as imported (no annotations), page by page."""
        token: str | None = None
        while True:
            page = self.list_frames(version_id, page_size=page_size, page_token=token)
            yield from page.frames
            if not (token := page.next_page_token):
                return

    def import_batch(
        self, version_id: str, frames: Sequence[FrameInput], *, validate_only: bool = False
    ) -> ImportResult:
        """Import one batch atomically (at most 10,000 frames), idempotent by frame id; InvalidArgument names
        `frames[i].<field>` and nothing of the batch is stored. `validate_only` checks and writes nothing."""
        return self._post_batch(version_id, [_encode(f) for f in frames], validate_only)

    def _post_batch(self, version_id: str, encoded: list[bytes], validate_only: bool) -> ImportResult:
        params = {"validate_only": "true"} if validate_only else None
        body = b'{"frames": [' + b", ".join(encoded) + b"]}"
        resp = self._t.json(
            "import_batch", {"version_id": version_id}, content=body, params=params, headers=JSON, timeout=120
        )
        return ImportResult.model_validate(resp)

    def import_frames(
        self,
        version_id: str,
        frames: Iterable[FrameInput],
        *,
        batch_frames: int = BATCH_FRAMES,
        validate_only: bool = False,
        on_progress: Callable[[ImportOutcome], None] | None = None,
    ) -> ImportOutcome:
        """Import any number of frames (an iterator is read lazily) in atomic batches of at most `batch_frames`
        frames / ~2 MiB; a refused batch raises ImportRejected with the input index of the bad frame (the
        batches before it are stored; running again skips them by id)."""
        out = ImportOutcome()
        batch: list[bytes] = []
        size = 0
        for frame in frames:
            batch.append(encoded := _encode(frame))
            size += len(encoded)
            if len(batch) >= batch_frames or size >= BATCH_BYTES:
                self._send_batch(version_id, batch, validate_only, out, on_progress)
                batch, size = [], 0
        if batch:
            self._send_batch(version_id, batch, validate_only, out, on_progress)
        return out

    def _send_batch(
        self,
        version_id: str,
        batch: list[bytes],
        validate_only: bool,
        out: ImportOutcome,
        on_progress: Callable[[ImportOutcome], None] | None,
    ) -> None:
        try:
            r = self._post_batch(version_id, batch, validate_only)
        except InvalidArgument as exc:
            raise ImportRejected.of(exc, offset=out.frames) from exc
        out.imported, out.skipped = out.imported + r.imported, out.skipped + r.skipped
        out.frames, out.batches = out.frames + len(batch), out.batches + 1
        if on_progress:
            on_progress(out)

    def media(self, uri: str, *, version_id: str, frame_id: str) -> bytes:
        """The bytes of a `file://` source, preview or mask of a frame (served from the gateway's media roots)."""
        params = {"uri": uri, "version_id": version_id, "frame_id": frame_id}
        return self._t.send("media", params=params).content


def _encode(frame: FrameInput) -> bytes:
    """A frame as the JSON bytes of the import body (encoded once: its size decides the batches)."""
    return json.dumps(frame_json(frame), ensure_ascii=False, allow_nan=False).encode()
