"""A fetched batch as a subject handler gets it: each event's NATS subject at once, its envelope decoded only when
the handler asks for it (a handler that learns nothing from most events of a stream decodes none of them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, overload

from annostream_protos.events.v1 import envelope_pb2


class Carried(Protocol):
    """A delivered event as carried: a NATS message or a bundle's item."""

    @property
    def subject(self) -> str: ...

    @property
    def data(self) -> bytes: ...


class Delivered(Sequence[tuple[str, envelope_pb2.EventEnvelope]]):
    """(subject, envelope) per event in stream order; `subjects` and `envelope(i)` read one side only."""

    def __init__(self, subjects: list[str], data: list[bytes | envelope_pb2.EventEnvelope]) -> None:
        """Subjects and, per event, its envelope or the bytes to decode it from."""
        self.subjects, self._data = subjects, data

    @classmethod
    def of_undecoded(cls, events: Sequence[Carried]) -> Delivered:
        """Delivered events (messages, a bundle's items), undecoded."""
        return cls([e.subject for e in events], [e.data for e in events])

    @classmethod
    def of(cls, events: Sequence[tuple[str, envelope_pb2.EventEnvelope]]) -> Delivered:
        """Events decoded already (tests, replays)."""
        return cls([s for s, _ in events], [e for _, e in events])

    def envelope(self, i: int) -> envelope_pb2.EventEnvelope:
        """The i-th event's envelope, decoded on first use."""
        data = self._data[i]
        if isinstance(data, bytes):
            data = self._data[i] = envelope_pb2.EventEnvelope.FromString(data)
        return data

    def __len__(self) -> int:
        return len(self.subjects)

    @overload
    def __getitem__(self, i: int) -> tuple[str, envelope_pb2.EventEnvelope]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[str, envelope_pb2.EventEnvelope]]: ...
    def __getitem__(
        self, i: int | slice
    ) -> tuple[str, envelope_pb2.EventEnvelope] | list[tuple[str, envelope_pb2.EventEnvelope]]:
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        return self.subjects[i], self.envelope(i)
