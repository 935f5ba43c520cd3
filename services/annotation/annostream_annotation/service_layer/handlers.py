"""Annotation handlers. SaveFrame: an ordered batch of editor commands applied atomically, rebased over
non-conflicting edits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from annostream_kernel.db import Conn
from annostream_kernel.errors import InvalidArgument, key_reused
from annostream_kernel.limits import MAX_COMMANDS_PER_SAVE, MAX_ID_LENGTH, check_text
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.types.v1 import frames_pb2 as t

from .. import wire
from ..adapters import messages
from ..domain.commands import Command
from ..domain.conflicts import rebase_and_decide
from . import sizes
from .frame_cache import FrameCache, FrameLocks, untouched
from .ports import UnitOfWorkFactory
from .session import FrameSession, retrying


@dataclass(frozen=True)
class SaveFrame:
    """An ordered batch of commands for one frame, with the version the editor last saw."""

    version_id: str
    frame_id: str
    expected_version: int
    idempotency_key: str
    commands: tuple[Command, ...]
    task_id: str = ""
    request_hash: bytes = b""  # of the whole request, kept with the idempotency key

    def __post_init__(self) -> None:
        if not self.version_id:
            raise InvalidArgument("is required", field="frame.version_id")
        if not self.frame_id:
            raise InvalidArgument("is required", field="frame.frame_id")
        if not self.commands:
            raise InvalidArgument("must contain at least one command", field="commands")
        if len(self.commands) > MAX_COMMANDS_PER_SAVE:
            raise InvalidArgument(f"at most {MAX_COMMANDS_PER_SAVE} commands per save", field="commands")
        check_text(self.version_id, "frame.version_id", max_length=MAX_ID_LENGTH)
        check_text(self.frame_id, "frame.frame_id", max_length=MAX_ID_LENGTH)
        check_text(self.idempotency_key, "idempotency_key", max_length=MAX_ID_LENGTH)
        check_text(self.task_id, "task_id", max_length=MAX_ID_LENGTH)


def request_hash(request: api.SaveFrameRequest) -> bytes:
    """What identifies a save request for its idempotency key (same key, other hash: the key was reused)."""
    return hashlib.sha256(request.SerializeToString(deterministic=True)).digest()


class FrameSaver:
    """Saves frames; one per process (built in bootstrap.py, with the factory of its units of work), holding that
    process's frame locks and cache."""

    def __init__(self, uow_factory: UnitOfWorkFactory, notify_channel: str) -> None:
        self._uow, self._channel = uow_factory, notify_channel
        self._locks = FrameLocks()  # concurrent saves of one frame queue instead of racing
        self._cache = FrameCache()  # used under the frame's lock: a save of a frame just saved skips its read

    async def save(self, cmd: SaveFrame) -> api.SaveFrameResponse:
        """Apply the batch: events, projection, save record and idempotency key written in one statement.
        Newer events of others are merged under the batch unless they touched the same ROI or frame field
        (then ABORTED naming the ROI, actor and event). A retried idempotency key returns the first response
        and appends nothing."""
        async with self._locks.hold(messages.stream_id(cmd.version_id, cmd.frame_id)), self._uow() as uow:
            return await retrying(lambda: _save_once(uow.conn, cmd, self._channel, self._cache))


async def _save_once(conn: Conn, cmd: SaveFrame, notify_channel: str, cache: FrameCache) -> api.SaveFrameResponse:
    stream = messages.stream_id(cmd.version_id, cmd.frame_id)
    cached = cache.take(stream)
    prior: Sequence[t.Roi] = ()  # the ROIs of the frame's last answer from this process
    if cached is not None and cmd.expected_version == cached.version:
        session, prior = FrameSession.from_cache(conn, cached), cached.rois
    else:  # not saved here lately, or a rebase (which must see a retried key's first answer first): read it
        session = await FrameSession.open(
            conn, cmd.version_id, cmd.frame_id, write=True, idempotency_key=cmd.idempotency_key
        )
    if session.prior_response is not None:
        if session.prior_hash and session.prior_hash != cmd.request_hash:
            raise key_reused()
        return api.SaveFrameResponse.FromString(session.prior_response)
    if cmd.expected_version > session.version:
        raise InvalidArgument(f"frame is only at version {session.version}", field="expected_version")
    rebased = cmd.expected_version < session.version
    newer = await session.newer_than(cmd.expected_version) if rebased else []
    events = rebase_and_decide(session.agg, cmd.commands, newer, cmd.expected_version, session.version)

    final_version = session.stored_version + (len(session.pending) + len(events) if events else 0)
    # the answer reuses the messages of the ROIs no event touched (of the last answer) and of those created as is
    known = untouched(prior, [*session.pending, *events]) if prior else {}
    prepared = session.prepare(events, task_id=cmd.task_id, kind="save")  # builds no answer, stores nothing
    if prepared is not None:
        known.update(prepared.rois)
    state = wire.frame_state(session.ref, final_version, session.base, session.agg.doc, known=known)
    size = sizes.check_change(state, events, "commands")
    frame, omitted = sizes.inline(state, size)

    saved = api.SaveFrameResponse(
        frame=frame,
        event_ids=prepared.event_ids if prepared else [],
        rebased=rebased,
        version=final_version,
        frame_omitted=omitted,
    )
    answer = sizes.storable(saved) if cmd.idempotency_key and prepared else b""  # kept under the key
    await session.commit(
        prepared,
        notify=notify_channel,
        idempotency_key=cmd.idempotency_key,
        request_hash=cmd.request_hash,
        answer=answer,
    )
    if (entry := session.cached(state.rois, size)) is not None:
        cache.put(stream, entry)
    return saved
