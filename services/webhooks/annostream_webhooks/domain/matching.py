"""Which webhooks an event goes to: event types, NATS-style subject filters, and the team's right to read it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import check_text

DATASETS_EVENTS = (
    "DatasetCreated",
    "DatasetRenamed",
    "DatasetDeleted",
    "DatasetSharingChanged",
    "VersionCreated",
    "FramesImported",
    "VersionPublished",
    "VersionDeleted",
)
TASKS_EVENTS = ("TaskCreated", "TaskCompleted", "TaskReopened", "TaskDeleted", "LabelColorSet")
ANNOTATION_EVENTS = (
    "RoiCreated",
    "RoiMoved",
    "RoiReshaped",
    "RoiLabelAdded",
    "RoiLabelRemoved",
    "RoiMetadataSet",
    "RoiLocked",
    "RoiUnlocked",
    "RoiDeleted",
    "RoiRestored",
    "FrameLabelAdded",
    "FrameLabelRemoved",
    "FrameMetadataSet",
    "FrameInherited",
    "FrameSaved",
)
ITERATOR_EVENTS = (
    "TaskProgressed",
    "ReviewSettingsChanged",
    "ReviewRequested",
    "FrameAccepted",
    "FrameRejected",
    "ReviewDecisionUndone",
    "CommentAdded",
    "CommentResolved",
    "CommentReopened",
)
EVENT_TYPES = frozenset((*DATASETS_EVENTS, *TASKS_EVENTS, *ANNOTATION_EVENTS, *ITERATOR_EVENTS))
"""Every event type a webhook may ask for (the `type` of the envelope, the last token of its subject)."""

MAX_FILTER_LENGTH = 1024


def validate_subject_filter(pattern: str, field: str = "subject_filter") -> str:
    """The filter if it is a NATS subject pattern over annostream subjects (`*` = one token, `>` = one or more
    trailing tokens; empty = every subject); else InvalidArgument."""
    check_text(pattern, field, max_length=MAX_FILTER_LENGTH)
    if not pattern:
        return pattern
    tokens = pattern.split(".")
    for i, token in enumerate(tokens):
        if not token:
            raise InvalidArgument("has an empty token (two dots, or a dot at an end)", field=field)
        if any(c.isspace() for c in token):
            raise InvalidArgument("must not contain whitespace", field=field)
        if token != "*" and token != ">" and ("*" in token or ">" in token):
            raise InvalidArgument(f"wildcards must be whole tokens, not {token[:50]!r}", field=field)
        if token == ">" and i != len(tokens) - 1:
            raise InvalidArgument("`>` may only be the last token", field=field)
    if tokens[0] not in ("annostream", "*", ">"):
        raise InvalidArgument("must match annostream subjects (start with `annostream.`)", field=field)
    return pattern


def subject_matches(pattern: str, subject: str) -> bool:
    """Whether `subject` matches the NATS-style `pattern` (empty matches everything)."""
    if not pattern:
        return True
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


@dataclass(frozen=True)
class Subscription:
    """What the fan-out needs to know of a webhook."""

    webhook_id: str
    team: str
    event_types: frozenset[str]
    subject_filter: str
    created_at: datetime


@dataclass(frozen=True)
class Readers:
    """The teams that may read an event's object: its owner, and the teams its dataset is shared with."""

    team: str
    shared_with: frozenset[str] = frozenset()

    def include(self, team: str) -> bool:
        """Whether `team` may read the object."""
        return bool(team) and (team == self.team or team in self.shared_with)


def interested(
    subscriptions: Iterable[Subscription], event_type: str, subject: str, occurred_at: datetime
) -> list[Subscription]:
    """Webhooks that asked for the event: of a type and subject they filter for, and that happened after they were
    registered (whether their team may read it is `recipients`' question)."""
    return [
        s
        for s in subscriptions
        if (not s.event_types or event_type in s.event_types)
        and subject_matches(s.subject_filter, subject)
        and occurred_at >= s.created_at
    ]


def recipients(interested: Iterable[Subscription], readers: Readers) -> list[str]:
    """The interested webhooks whose team may read the event's object."""
    return [s.webhook_id for s in interested if readers.include(s.team)]
