"""The API edge: editor commands from requests (the one COMMANDS table) and back (entrypoints only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import MAX_ID_LENGTH, check_text, dump_json
from annostream_kernel.protobuf import request_metadata
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.types.v1 import frames_pb2 as t

from ..domain import commands as c
from ..wire import roi_msg, roi_spec


def _paste(p: api.PasteRois, where: str) -> c.PasteRois:
    if not p.rois:
        raise InvalidArgument("must contain at least one ROI", field=f"{where}.rois")
    rois = tuple(roi_spec(r, f"{where}.rois[{j}]", new_id_always=True) for j, r in enumerate(p.rois))
    for j, o in enumerate(p.origins):
        for name in ("version_id", "frame_id", "roi_id"):
            check_text(getattr(o, name), f"{where}.origins[{j}].{name}", max_length=MAX_ID_LENGTH)
    return c.PasteRois(rois, tuple((o.version_id, o.frame_id, o.roi_id) for o in p.origins))


def _origins(cmd: c.PasteRois) -> list[api.RoiOrigin]:
    return [api.RoiOrigin(version_id=v, frame_id=f, roi_id=r) for v, f, r in cmd.sources]


@dataclass(frozen=True)
class CommandRow:
    """One editor command: its API message (the oneof field is the command's `name`), message → domain command
    (`where` is the field path errors name), domain command → message."""

    message: type[Message]
    from_message: Callable[[Any, str], c.Command]
    to_message: Callable[[Any], Message]


COMMANDS: dict[type[c.Command], CommandRow] = {
    c.CreateRoi: CommandRow(
        api.CreateRoi,
        lambda m, where: c.CreateRoi(roi_spec(m.roi, f"{where}.roi")),
        lambda cmd: api.CreateRoi(roi=roi_msg(cmd.roi.doc())),
    ),
    c.PasteRois: CommandRow(
        api.PasteRois,
        _paste,
        lambda cmd: api.PasteRois(rois=[roi_msg(r.doc()) for r in cmd.rois], origins=_origins(cmd)),
    ),
    c.MoveRoi: CommandRow(
        api.MoveRoi,
        lambda m, where: c.MoveRoi(m.roi_id, m.dx, m.dy),
        lambda cmd: api.MoveRoi(roi_id=cmd.roi_id, dx=cmd.dx, dy=cmd.dy),
    ),
    c.ReshapeRoi: CommandRow(
        api.ReshapeRoi,
        lambda m, where: c.ReshapeRoi(m.roi_id, tuple((p.x, p.y) for p in m.points)),
        lambda cmd: api.ReshapeRoi(roi_id=cmd.roi_id, points=[t.Point(x=x, y=y) for x, y in cmd.points]),
    ),
    c.AddRoiLabel: CommandRow(
        api.AddRoiLabel,
        lambda m, where: c.AddRoiLabel(m.roi_id, m.label),
        lambda cmd: api.AddRoiLabel(roi_id=cmd.roi_id, label=cmd.label),
    ),
    c.RemoveRoiLabel: CommandRow(
        api.RemoveRoiLabel,
        lambda m, where: c.RemoveRoiLabel(m.roi_id, m.label),
        lambda cmd: api.RemoveRoiLabel(roi_id=cmd.roi_id, label=cmd.label),
    ),
    c.SetRoiMetadata: CommandRow(
        api.SetRoiMetadata,
        lambda m, where: c.SetRoiMetadata(m.roi_id, request_metadata(m, f"{where}.metadata")),
        lambda cmd: api.SetRoiMetadata(roi_id=cmd.roi_id, metadata_json=dump_json(cmd.metadata)),
    ),
    c.LockRoi: CommandRow(
        api.LockRoi, lambda m, where: c.LockRoi(m.roi_id), lambda cmd: api.LockRoi(roi_id=cmd.roi_id)
    ),
    c.UnlockRoi: CommandRow(
        api.UnlockRoi, lambda m, where: c.UnlockRoi(m.roi_id), lambda cmd: api.UnlockRoi(roi_id=cmd.roi_id)
    ),
    c.LockAllRois: CommandRow(api.LockAllRois, lambda m, where: c.LockAllRois(), lambda cmd: api.LockAllRois()),
    c.UnlockAllRois: CommandRow(api.UnlockAllRois, lambda m, where: c.UnlockAllRois(), lambda cmd: api.UnlockAllRois()),
    c.DeleteRoi: CommandRow(
        api.DeleteRoi, lambda m, where: c.DeleteRoi(m.roi_id), lambda cmd: api.DeleteRoi(roi_id=cmd.roi_id)
    ),
    c.AddFrameLabel: CommandRow(
        api.AddFrameLabel,
        lambda m, where: c.AddFrameLabel(m.label),
        lambda cmd: api.AddFrameLabel(label=cmd.label),
    ),
    c.RemoveFrameLabel: CommandRow(
        api.RemoveFrameLabel,
        lambda m, where: c.RemoveFrameLabel(m.label),
        lambda cmd: api.RemoveFrameLabel(label=cmd.label),
    ),
    c.SetFrameMetadata: CommandRow(
        api.SetFrameMetadata,
        lambda m, where: c.SetFrameMetadata(request_metadata(m, f"{where}.metadata")),
        lambda cmd: api.SetFrameMetadata(metadata_json=dump_json(cmd.metadata)),
    ),
}
"""The one mapping between editor commands and the API's `Command` oneof (annostream.annotation.v1)."""
_BY_NAME: dict[str, tuple[type[c.Command], CommandRow]] = {cls.name: (cls, row) for cls, row in COMMANDS.items()}


def command(m: api.Command, i: int) -> c.Command:
    """Command message → domain command."""
    kind = m.WhichOneof("command")
    if kind is None or kind not in _BY_NAME:
        raise InvalidArgument("unknown or empty command", field=f"commands[{i}]")
    return _BY_NAME[kind][1].from_message(getattr(m, kind), f"commands[{i}].{kind}")


def command_message(cmd: c.Command) -> api.Command:
    """Domain command → Command message."""
    out = api.Command()
    getattr(out, cmd.name).CopyFrom(COMMANDS[type(cmd)].to_message(cmd))
    return out
