"""The one mapping table between the annotation service's domain and protobuf: every event kind and every
editor command has a row, and a domain value survives domain → protobuf → domain unchanged."""

from __future__ import annotations

import ast
import inspect
import json
from dataclasses import replace

import pytest
from google.protobuf import json_format
from pydantic import ValidationError

from annostream_annotation.adapters import messages
from annostream_annotation.adapters.upcasters import current_schema_version
from annostream_annotation.domain import commands as c
from annostream_annotation.domain import conflicts, model
from annostream_annotation.domain import events as ev
from annostream_annotation.domain.roi import RoiSpec, RoiType
from annostream_annotation.entrypoints import api_messages
from annostream_gateway.routes.frames import command_msg
from annostream_gateway.schemas import CommandBody, FrameMetadataBody
from annostream_kernel.errors import InvalidArgument
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.events.v1 import annotation_pb2 as pb
from annostream_protos.types.v1 import frames_pb2 as t
from annostream_sdk import commands as sdk_commands

REF = t.FrameRef(dataset_id="ds", version_id="v1", frame_id="f1")
ROI = {
    "roi_id": "r1",
    "type": "polygon",
    "points": [[1.0, 2.0], [3.5, 4.0], [5.0, 0.25]],
    "labels": ["car", "red"],
    "confidence": 0.5,
    "source_id": "cam",
    "metadata": {"n": 12, "big": 2**60, "s": "é"},
    "locked": False,
}
SAMPLES: list[ev.Event] = [
    ev.RoiCreated("r1", ROI),
    ev.RoiCreated("r1", ROI, {"version_id": "v0", "frame_id": "f9", "roi_id": "r0"}),
    ev.RoiMoved("r1", 1.5, -2.0),
    ev.RoiReshaped("r1", [[0.0, 0.0], [10.0, 10.0]]),
    ev.RoiLabelAdded("r1", "car"),
    ev.RoiLabelRemoved("r1", "car"),
    ev.RoiMetadataSet("r1", {"a": [1, 2.5, None, True]}),
    ev.RoiLocked("r1"),
    ev.RoiUnlocked("r1"),
    ev.RoiDeleted("r1", ["car"]),
    ev.RoiRestored("r1", ROI, ["old"]),
    ev.FrameLabelAdded("night"),
    ev.FrameLabelRemoved("night"),
    ev.FrameMetadataSet({"weather": "rain", "n": 3}),
    ev.FrameInherited("v0", {"rois": [ROI], "frame_labels": ["night"], "metadata": {"k": 1}}),
]
SPEC = RoiSpec("r1", RoiType.RECTANGLE, ((1.0, 2.0), (3.0, 4.0)), ("car",), 0.9, "cam", {"n": 1})
COMMAND_SAMPLES: list[c.Command] = [
    c.CreateRoi(SPEC),
    c.PasteRois((SPEC, replace(SPEC, roi_id="r2")), (("v0", "f0", "r0"), ("v0", "f0", "r9"))),
    c.MoveRoi("r1", 1.0, -1.5),
    c.ReshapeRoi("r1", ((0.0, 0.0), (5.0, 5.0))),
    c.AddRoiLabel("r1", "car"),
    c.RemoveRoiLabel("r1", "car"),
    c.SetRoiMetadata("r1", {"n": 2**60}),
    c.LockRoi("r1"),
    c.UnlockRoi("r1"),
    c.LockAllRois(),
    c.UnlockAllRois(),
    c.DeleteRoi("r1"),
    c.AddFrameLabel("night"),
    c.RemoveFrameLabel("night"),
    c.SetFrameMetadata({"weather": "rain"}),
]


def test_every_domain_event_kind_has_one_row_and_every_event_message_is_mapped() -> None:
    assert set(messages.EVENTS) == set(ev.EVENT_TYPES)
    mapped = {row.message.DESCRIPTOR.name for row in messages.EVENTS.values()}
    assert mapped == {cls.__name__ for cls in ev.EVENT_TYPES}  # an event is named like its message
    frame_events = {
        name
        for name, d in pb.DESCRIPTOR.message_types_by_name.items()
        if "frame" in d.fields_by_name
        and name not in {"FrameSaved", "CopiedFrom"}  # a save's marker and a part of RoiCreated: no state changes
    }
    assert frame_events == mapped


def test_every_command_oneof_field_has_one_row_with_its_message() -> None:
    oneof = api.Command.DESCRIPTOR.oneofs_by_name["command"]
    assert {f.name for f in oneof.fields} == {cls.name for cls in c.COMMAND_TYPES}
    assert set(api_messages.COMMANDS) == set(c.COMMAND_TYPES)
    for cls, row in api_messages.COMMANDS.items():
        assert row.message.DESCRIPTOR is api.Command.DESCRIPTOR.fields_by_name[cls.name].message_type


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.kind)
def test_a_domain_event_survives_protobuf_and_back_unchanged(event: ev.Event) -> None:
    payload = messages.to_payload(event, REF).SerializeToString()
    decoded = messages.decode(messages.PACKAGE + event.kind, current_schema_version(event.kind), payload)
    assert decoded == event
    assert type(decoded) is type(event)


def test_samples_cover_every_event_kind_and_command() -> None:
    assert {type(e) for e in SAMPLES} == set(ev.EVENT_TYPES)
    assert {type(cmd) for cmd in COMMAND_SAMPLES} == set(c.COMMAND_TYPES)


@pytest.mark.parametrize("command", COMMAND_SAMPLES, ids=lambda cmd: cmd.name)
def test_a_domain_command_survives_the_api_message_and_back_unchanged(command: c.Command) -> None:
    wire = api.Command.FromString(api_messages.command_message(command).SerializeToString())
    back = api_messages.command(wire, 0)
    if isinstance(command, c.PasteRois):  # a paste gives every ROI a new id
        assert isinstance(back, c.PasteRois)
        assert all(r.roi_id.startswith("roi_") for r in back.rois)
        back = replace(
            back, rois=tuple(replace(r, roi_id=o.roi_id) for r, o in zip(back.rois, command.rois, strict=True))
        )
    assert back == command


def test_event_data_is_what_the_history_api_shows() -> None:
    created = ev.RoiCreated("r1", ROI, {"version_id": "v0", "frame_id": "f", "roi_id": "r0"})
    assert created.data == {"roi": ROI, "copied_from": {"version_id": "v0", "frame_id": "f", "roi_id": "r0"}}
    assert ev.RoiCreated("r1", ROI).data == {"roi": ROI}
    assert ev.RoiMoved("r1", 1, 2).data == {"dx": 1, "dy": 2}
    assert list(ev.FrameInherited("p", {}).data) == ["parent_version_id", "snapshot"]
    assert ev.FrameLabelAdded("x").roi_id == "" and ev.FrameLabelAdded("x").touches() == ("frame_label", "x")


def _names_in(module: object) -> set[str]:
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
    }


def test_adding_a_command_needs_no_code_in_the_aggregate_or_the_rebase_rule() -> None:
    # The recipe in docs/contributing.md: a command declares what it touches and decides its own events, so
    # domain/model.py and domain/conflicts.py name no command.
    command_names = {cls.__name__ for cls in c.COMMAND_TYPES}
    assert not command_names & _names_in(model)
    assert not command_names & _names_in(conflicts)
    for cls in c.COMMAND_TYPES:
        assert callable(cls.touches) and callable(cls.decide)


def test_every_gateway_command_body_converts_onto_its_protobuf_message_by_field_name() -> None:
    oneof = {f.name for f in api.Command.DESCRIPTOR.oneofs_by_name["command"].fields}
    assert set(CommandBody.model_fields) == oneof
    body = {
        "create_roi": {"roi": {"roi_id": "r1", "type": "rectangle", "points": [[1, 2], [3, 4]], "metadata": {"n": 1}}},
        "paste_rois": {
            "rois": [{"type": "polygon", "points": [[0, 0], [1, 0], [1, 1]], "labels": ["car"]}],
            "origins": [{"version_id": "v0", "frame_id": "f0", "roi_id": "r0"}],
        },
        "move_roi": {"roi_id": "r1", "dx": 1.5, "dy": -2},
        "reshape_roi": {"roi_id": "r1", "points": [[0, 0], [5, 5]]},
        "add_roi_label": {"roi_id": "r1", "label": "car"},
        "remove_roi_label": {"roi_id": "r1", "label": "car"},
        "set_roi_metadata": {"roi_id": "r1", "metadata": {"big": 2**60}},
        "lock_roi": {"roi_id": "r1"},
        "unlock_roi": {"roi_id": "r1"},
        "lock_all_rois": {},
        "unlock_all_rois": {},
        "delete_roi": {"roi_id": "r1"},
        "add_frame_label": {"label": "night"},
        "remove_frame_label": {"label": "night"},
        "set_frame_metadata": {"metadata": {"weather": "rain"}},
    }
    assert set(body) == oneof
    for i, (name, action) in enumerate(body.items()):
        msg = command_msg(CommandBody.model_validate({name: action}), i)
        assert msg.WhichOneof("command") == name
        as_json = json_format.MessageToDict(getattr(msg, name), preserving_proto_field_name=True)
        if "metadata" in action:
            assert json.loads(as_json.pop("metadata_json")) == action.pop("metadata")
        if name in ("create_roi", "paste_rois"):  # a ROI's type is an enum, its metadata JSON text
            rois = [as_json["roi"]] if name == "create_roi" else as_json["rois"]
            assert all(r["type"].startswith("ROI_TYPE_") for r in rois)
            assert all(r["points"] for r in rois)
            continue
        if "points" in action:
            as_json["points"] = [[p.get("x", 0), p.get("y", 0)] for p in as_json["points"]]
        assert as_json == action


def test_a_bad_value_in_a_gateway_command_names_its_field_path() -> None:
    # The body models refuse it first; the conversion checks again (what it stores must be storable).
    with pytest.raises(ValidationError):
        CommandBody.model_validate({"set_frame_metadata": {"metadata": {"s": "a\x00b"}}})
    bad = CommandBody.model_construct(set_frame_metadata=FrameMetadataBody.model_construct(metadata={"s": "a\x00b"}))
    with pytest.raises(InvalidArgument) as err:
        command_msg(bad, 3)
    assert err.value.field.startswith("commands[3].set_frame_metadata.metadata")


def test_the_sdk_has_a_typed_builder_for_every_editor_action_and_sends_what_the_gateway_reads() -> None:
    builders = {cls.action: cls for cls in sdk_commands.Action.__subclasses__() if cls is not sdk_commands.Raw}
    assert set(builders) == {f.name for f in api.Command.DESCRIPTOR.oneofs_by_name["command"].fields}
    roi = sdk_commands.rectangle(1, 2, 3, 4, labels=["car"], metadata={"n": 1})
    sent = [
        sdk_commands.PasteRois([roi], [sdk_commands.RoiOrigin("v0", "f0", "r0")]),
        sdk_commands.ReshapeRoi("r1", [(0, 0), (5, 5)]),
        sdk_commands.LockAllRois(),
        sdk_commands.Raw("move_roi", {"roi_id": "r1", "dx": 1, "dy": 0}),
    ]
    for i, cmd in enumerate(sent):
        body = CommandBody.model_validate(cmd.to_json())  # what the gateway takes
        assert command_msg(body, i).WhichOneof("command") == next(iter(cmd.to_json()))
