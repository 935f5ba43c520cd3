"""Frame import (batch-atomic, idempotent by frame id) and frame reads across a version's lineage."""

from __future__ import annotations

from collections.abc import Sequence

from annostream_kernel.errors import DomainError, InvalidArgument
from annostream_kernel.limits import MAX_IMPORT_BATCH, MAX_PAGE_BYTES
from annostream_kernel.policy import Permission
from annostream_protos.types.v1 import frames_pb2

from ..domain.events import FramesImported
from ..domain.frame_rules import validate_frame
from .access import version_for
from .handlers import UowFactory, decode_token, encode_token, get_version, page_size


def validate_batch(frames: Sequence[frames_pb2.Frame], details: dict[str, int] | None = None) -> list[str]:
    """Validate and normalise every frame of a batch (fields named frames[i]...); ids must be distinct.
    Returns the frame ids in order."""
    if not frames:
        raise InvalidArgument("must contain at least one frame", field="frames", details=details)
    if len(frames) > MAX_IMPORT_BATCH:
        raise InvalidArgument(f"at most {MAX_IMPORT_BATCH} frames per batch", field="frames", details=details)
    seen: dict[str, int] = {}
    try:
        for i, f in enumerate(frames):
            validate_frame(f, f"frames[{i}]")
            if (first := seen.setdefault(f.frame_id, i)) != i:
                raise InvalidArgument(
                    f"frame id {f.frame_id!r} appears twice in the batch (also frames[{first}])",
                    field=f"frames[{i}].id",
                )
    except DomainError as err:
        err.details.update(details or {})
        raise
    return list(seen)


async def import_batch(
    uow_factory: UowFactory,
    version_id: str,
    frames: Sequence[frames_pb2.Frame],
    *,
    validate_only: bool = False,
    details: dict[str, int] | None = None,
) -> tuple[int, int]:
    """Import one batch into a Draft version atomically; returns (imported, skipped).

    Frames whose id the version (or an ancestor) already holds are skipped; a bad frame fails the
    whole batch and nothing of it is written. The version's row lock serialises imports into it, so the
    new frames are COPYed without a conflict check.
    """
    if not version_id:
        raise InvalidArgument("is required", field="version_id", details=details)
    ids = validate_batch(frames, details)
    async with uow_factory() as uow:
        version = await uow.versions.get(version_id, for_update=True)
        try:
            version_for(Permission.MANAGE, version, version_id)
        except DomainError as err:
            err.details.update(details or {})
            raise
        assert version is not None
        version.ensure_draft("import frames")
        if validate_only:
            return 0, 0
        lineage = [version_id, *await uow.versions.ancestors(version_id)]
        held = await uow.frames.existing_in(lineage, ids)
        new = [f for f, fid in zip(frames, ids, strict=True) if fid not in held] if held else list(frames)
        if new:
            whole = await uow.frames.add(version_id, new)
            await uow.versions.add_own_frames(version_id, len(new))
            uow.emit(FramesImported(version.dataset_id, version_id, whole))
        await uow.commit()
    return len(new), len(frames) - len(new)


async def list_frames(
    uow_factory: UowFactory, version_id: str, size: int, token: str
) -> tuple[list[frames_pb2.Frame], str, int]:
    """A page of the frames a version sees (own and inherited), by frame id; next token; total."""
    n = page_size(size)
    after = decode_token(token, 1)[0] if token else ""
    v = await get_version(uow_factory, version_id)
    async with uow_factory() as uow:
        lineage = [v.version_id, *await uow.versions.ancestors(v.version_id)]
        rows = await uow.frames.page_of(lineage, after, n + 1)
    frames: list[frames_pb2.Frame] = []
    used = 0
    for frame in rows[:n]:  # frames with many sources or much metadata: the page stops before MAX_PAGE_BYTES
        used += frame.ByteSize()
        if frames and used > MAX_PAGE_BYTES:
            return frames, encode_token(frames[-1].frame_id), v.frame_count
        frames.append(frame)
    nxt = encode_token(rows[n - 1].frame_id) if len(rows) > n else ""
    return frames, nxt, v.frame_count
