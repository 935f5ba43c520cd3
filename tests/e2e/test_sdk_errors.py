"""The SDK's typed errors (carrying the API's error, field, message and details), its identity options (dev
headers, cookies, an authenticating proxy's headers) and its retries: idempotent calls on 503 and lost answers,
any call when the connection could not be opened, saves stored once through their idempotency key."""

from __future__ import annotations

import threading
import time

import pytest

from annostream_cli.embedded import free_port
from annostream_cli.stack import LocalStack
from annostream_sdk import (
    Aborted,
    AlreadyExists,
    Client,
    FailedPrecondition,
    IdempotencyKeyReused,
    ImportRejected,
    InvalidArgument,
    NewFrame,
    NewSource,
    NotFound,
    PermissionDenied,
    TransportError,
    Unauthenticated,
    Unavailable,
    commands,
    rectangle,
)

from ..waiting import eventually
from .fault_proxy import FaultProxy, fault_proxy
from .sdk_helpers import sample_frames, team_client

pytestmark = pytest.mark.e2e


def _frame(client: Client) -> tuple[str, str]:
    """A Draft version with frames f0000..f0004 the annotation service knows: (version id, frame id)."""
    ds = client.create_dataset("errors")
    v = client.create_version(ds.dataset_id, "v1")
    client.import_frames(v.version_id, sample_frames(5, annotate_every=0))
    eventually(lambda: client.get_frame(v.version_id, "f0000"))
    return v.version_id, "f0000"


def test_api_errors_are_typed_and_carry_the_field_message_and_details(system: LocalStack) -> None:
    with team_client(system.url) as client:
        with pytest.raises(NotFound) as missing:
            client.get_version("nope")
        assert (missing.value.status, missing.value.error, missing.value.field) == (404, "NOT_FOUND", "version_id")
        with pytest.raises(InvalidArgument) as bad:
            client.create_dataset("")
        assert (bad.value.status, bad.value.field) == (422, "name")
        ds = client.create_dataset("taken")
        with pytest.raises(AlreadyExists) as taken:
            client.create_dataset("taken")
        assert taken.value.field == "name" and taken.value.status == 409
        with pytest.raises(PermissionDenied) as denied:
            client.delete_dataset(ds.dataset_id)  # an annotator may not administer
        assert denied.value.status == 403 and denied.value.details["permission"] == "administer"

        version_id, frame_id = _frame(client)
        box = commands.CreateRoi(rectangle(1, 1, 20, 20, labels=["car"], roi_id="b"))
        first = client.save_frame(version_id, frame_id, [box], expected_version=0)
        client.save_frame(version_id, frame_id, [commands.MoveRoi("b", 1, 1)], expected_version=first.version)
        with pytest.raises(Aborted) as conflict:  # a stale edit of the same ROI
            client.save_frame(version_id, frame_id, [commands.DeleteRoi("b")], expected_version=first.version)
        assert conflict.value.field == "expected_version" and conflict.value.details["roi_id"] == "b"
        with pytest.raises(InvalidArgument) as outside:
            client.save_frame(version_id, frame_id, [commands.CreateRoi(rectangle(1, 1, 900, 9))], expected_version=0)
        assert outside.value.field == "commands[0].create_roi.roi.points[1]"

        client.save_frame(version_id, frame_id, [commands.AddFrameLabel("a")], expected_version=0, idempotency_key="k1")
        with pytest.raises(IdempotencyKeyReused) as reused:
            client.save_frame(
                version_id, frame_id, [commands.AddFrameLabel("b")], expected_version=0, idempotency_key="k1"
            )
        assert reused.value.status == 422

        client.publish_version(version_id)
        with pytest.raises(FailedPrecondition) as sealed:
            client.save_frame(version_id, frame_id, [commands.AddFrameLabel("c")], expected_version=0)
        assert sealed.value.status == 409 and "Published" in sealed.value.message


def test_import_frames_names_the_refused_frame_by_its_input_position(system: LocalStack) -> None:
    with team_client(system.url) as client:
        ds = client.create_dataset("bad import")
        v = client.create_version(ds.dataset_id, "v1")
        frames = sample_frames(12, annotate_every=0)
        frames[7] = NewFrame(id="broken", sources=[NewSource(uri="s3://b/x.jpg", width=0, height=10)])
        with pytest.raises(ImportRejected) as rejected:
            client.import_frames(v.version_id, iter(frames), batch_frames=5)
        err = rejected.value
        assert (err.index, err.imported_before, err.field) == (7, 5, "frames[2].sources.0.width")
        assert client.get_version(v.version_id).frame_count == 5  # the refused batch stored nothing


def test_identity_from_dev_headers_cookies_and_an_authenticating_proxys_headers(
    system: LocalStack, proxy_gateway: str
) -> None:
    with Client(system.url, user="alice", team="sdk-ident", role="reviewer") as dev:
        me = dev.me()
        assert (me.user, me.team, me.roles, me.dev_auth) == ("alice", "sdk-ident", ["reviewer"], True)
    with Client(system.url, cookies={"annostream_user": "carol", "annostream_team": "sdk-cookie"}) as cookie:
        assert (cookie.me().user, cookie.me().team) == ("carol", "sdk-cookie")
    with Client(proxy_gateway) as nobody, pytest.raises(Unauthenticated) as anonymous:
        nobody.me()
    assert anonymous.value.status == 401 and anonymous.value.field == "X-Auth-Request-User"
    proxy_headers = {"X-Auth-Request-User": "bob", "X-Auth-Request-Groups": "sdk-a:admin,sdk-b"}
    with Client(proxy_gateway, headers=proxy_headers, team="sdk-b") as behind:
        me = behind.me()
        assert (me.user, me.team, me.dev_auth) == ("bob", "sdk-b", False)
        assert {t.team: t.roles for t in me.teams} == {"sdk-a": ["admin"], "sdk-b": ["annotator"]}


def test_idempotent_calls_are_retried_on_503_and_others_are_not(system: LocalStack) -> None:
    with fault_proxy(system.url) as proxy, team_client(proxy.url, backoff=0.01) as client:
        version_id, _ = _frame(client)
        get = ("GET", f"/api/v1/versions/{version_id}")
        proxy.faults[get] = ["503", "503"]
        assert client.get_version(version_id).version_id == version_id
        assert proxy.seen[get] == 3
        publish = ("POST", f"/api/v1/versions/{version_id}/publish")
        proxy.faults[publish] = ["503"]
        with pytest.raises(Unavailable):
            client.publish_version(version_id)
        assert proxy.seen[publish] == 1  # not repeated: publishing is not idempotent
        proxy.faults[get] = ["503"] * 10
        with pytest.raises(Unavailable):
            client.get_version(version_id)
        assert proxy.seen[get] == 3 + 4  # the first try and 3 retries


def test_a_save_whose_answer_is_lost_is_retried_and_stored_once(system: LocalStack) -> None:
    with fault_proxy(system.url) as proxy, team_client(proxy.url, backoff=0.01) as client:
        version_id, frame_id = _frame(client)
        save = ("POST", f"/api/v1/versions/{version_id}/frames/{frame_id}/save")
        proxy.faults[save] = ["drop"]  # the gateway stores the save; its answer never arrives
        saved = client.save_frame(
            version_id, frame_id, [commands.CreateRoi(rectangle(1, 1, 20, 20, labels=["car"]))], expected_version=0
        )
        assert proxy.seen[save] == 2 and saved.version == 1
        events = list(client.iter_frame_events(version_id, frame_id))
        assert [e.type for e in events] == ["RoiCreated"]  # stored once
        undo = ("POST", f"/api/v1/versions/{version_id}/frames/{frame_id}/undo")
        proxy.faults[undo] = ["drop"]
        with pytest.raises(TransportError):
            client.undo(version_id, frame_id)  # not idempotent: a lost answer is not repeated
        assert proxy.seen[undo] == 1


def test_any_call_is_retried_while_the_connection_cannot_be_opened(system: LocalStack) -> None:
    port = free_port()
    later: list[FaultProxy] = []

    def start() -> None:
        time.sleep(0.5)
        later.append(FaultProxy(system.url, port))
        later[0].serve()

    starter = threading.Thread(target=start)
    starter.start()
    try:
        with team_client(f"http://127.0.0.1:{port}", retries=8, backoff=0.1) as client:
            ds = client.create_dataset("late gateway")  # a POST: safe to repeat while nothing was sent
            assert client.get_dataset(ds.dataset_id).name == "late gateway"
    finally:
        starter.join()
        for p in later:
            p.close()
    with Client(f"http://127.0.0.1:{free_port()}", retries=1, backoff=0.01) as nowhere, pytest.raises(TransportError):
        nowhere.health()
