"""Ports of the annotation service layer: what its handlers need from storage and from other services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol

from annostream_kernel.db import Conn
from annostream_kernel.uow import UnitOfWorkPort
from annostream_protos.types.v1 import filters_pb2


class FrameUnitOfWork(UnitOfWorkPort, Protocol):
    """The port a save works through: `async with uow:` holds one connection for the save (adapters/postgres.py)."""

    @property
    def conn(self) -> Conn:
        """The connection the save reads and writes on."""


UnitOfWorkFactory = Callable[[], FrameUnitOfWork]


class FrameLister(Protocol):
    """The frame ids an export is limited to, from the service that owns plans and filters (the iterator)."""

    def plan(self, task_id: str, timeout: float | None = None) -> AsyncIterator[tuple[str, list[str]]]:
        """(the task's version, frame ids) pages of a task's plan, as the caller, within the caller's time left
        (`timeout`; None: no deadline)."""

    def select(
        self, version_id: str, selection: filters_pb2.FrameSelection, edits_seq: int, timeout: float | None = None
    ) -> AsyncIterator[list[str]]:
        """Frame id pages of the version matching the selection as of every edit published up to `edits_seq`
        (after READ on it was checked), within the caller's time left (`timeout`; None: no deadline)."""
