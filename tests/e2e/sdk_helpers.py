"""Shared pieces of the SDK tests: a client per team, frames to import, and a check that the SDK's models know
every field the API answered."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel

from annostream_sdk import Client, NewFrame, NewSource, rectangle


def team_client(url: str, user: str = "owner", team: str | None = None, **kw: Any) -> Client:
    """An SDK client for `user` in a fresh team (or `team`)."""
    return Client(url, user=user, team=team or f"sdk-{uuid.uuid4().hex[:8]}", **kw)


def sample_frames(n: int, *, annotate_every: int = 3) -> list[NewFrame]:
    """`n` frames f0000.. of one 640x480 source; every `annotate_every`-th (none for 0) carries a 'car' box."""
    annotated = {i for i in range(n) if annotate_every and i % annotate_every == 0}
    return [
        NewFrame(
            id=f"f{i:04d}",
            sources=[NewSource(uri=f"s3://bucket/{i}.jpg", width=640, height=480)],
            metadata={"i": i, "city": "bremen" if i % 2 else "oslo"},
            rois=[rectangle(10, 10, 50 + i % 100, 60, labels=["car"], roi_id=f"r{i}")] if i in annotated else [],
        )
        for i in range(n)
    ]


def unknown_fields(model: BaseModel, where: str = "") -> list[str]:
    """Fields of the API's answer the model does not declare (kept in `model_extra`), recursively."""
    found = [f"{where}{k}" for k in (model.model_extra or {})]
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, BaseModel):
                found += unknown_fields(item, f"{where}{name}[{i}]." if isinstance(value, list) else f"{where}{name}.")
    return found
