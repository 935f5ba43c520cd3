"""The SDK's webhook methods against the real gateway and webhooks service, with a real HTTP receiver on loopback:
register, list, read, change, deliveries listed and re-sent, refusals typed, delete."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from annostream_cli.stack import LocalStack
from annostream_sdk import Client, InvalidArgument, NotFound, PermissionDenied, commands, rectangle
from annostream_sdk.models_tasks import Delivery

from ..webhook_receiver import Receiver, verify
from .sdk_helpers import sample_frames, unknown_fields

pytestmark = pytest.mark.e2e
SECRET = "sdk-secret-0123456789abcdef"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()


def _delivered(client: Client, webhook_id: str) -> Delivery:
    deadline = time.monotonic() + 30
    while True:
        page = client.list_deliveries(webhook_id, state="delivered")
        found = [d for d in page.deliveries if d.event_type == "FrameSaved"]
        if found:
            return found[0]
        assert time.monotonic() < deadline, [d.model_dump() for d in client.list_deliveries(webhook_id).deliveries]
        time.sleep(0.1)


def test_the_sdk_registers_a_webhook_whose_deliveries_it_lists_and_resends(
    system: LocalStack, receiver: Receiver
) -> None:
    team = f"sdkw-{uuid.uuid4().hex[:8]}"
    with Client(system.url, user="lead", team=team, role="admin") as lead:
        hook = lead.create_webhook(receiver.url, event_types=["FrameSaved"], secret=SECRET, description="ci")
        assert hook.secret == SECRET and hook.secret_hint == SECRET[-4:] and hook.enabled and hook.team == team
        assert unknown_fields(hook) == []
        assert [w.webhook_id for w in lead.list_webhooks().webhooks] == [hook.webhook_id]
        got = lead.get_webhook(hook.webhook_id)
        assert got.url == receiver.url and not hasattr(got, "secret") and unknown_fields(got) == []

        ds = lead.create_dataset(f"hooks-{uuid.uuid4().hex[:6]}")
        version = lead.create_version(ds.dataset_id, "v1")
        lead.import_frames(version.version_id, sample_frames(2, annotate_every=0))
        state = lead.get_frame(version.version_id, "f0000")  # at once: the annotation service catches up
        box = rectangle(1, 1, 9, 9, labels=["car"], roi_id="r")
        lead.save_frame(version.version_id, "f0000", [commands.CreateRoi(box)], expected_version=state.version)

        delivery = _delivered(lead, hook.webhook_id)  # the save's FrameSaved: the only event of that type
        frame_saved = delivery.event_id
        assert delivery.subject.endswith(f".{version.version_id}.f0000.FrameSaved")
        assert delivery.attempts == 1 and delivery.last_status == 204 and unknown_fields(delivery) == []
        first = next(
            r
            for r in receiver.wait_for(lambda rs: any(r.event["id"] == frame_saved for r in rs))
            if r.event["id"] == frame_saved
        )
        assert verify(SECRET, first.headers, first.body) and first.event["type"].endswith("FrameSaved")

        resent = lead.resend_delivery(hook.webhook_id, delivery.delivery_id)
        assert resent.delivery_id == delivery.delivery_id and resent.state == "pending"
        receiver.wait_for(lambda rs: sum(r.event["id"] == frame_saved for r in rs) >= 2)

        changed = lead.update_webhook(hook.webhook_id, enabled=False, description="paused")
        assert not changed.enabled and changed.description == "paused"
        assert changed.event_types == ["FrameSaved"]

        with pytest.raises(InvalidArgument) as bad:
            lead.create_webhook("http://169.254.169.254/latest/meta-data")
        assert bad.value.field == "url"
        annotator = Client(system.url, user="ann", team=team, role="annotator")
        other = Client(system.url, user="lead", team=f"other-{uuid.uuid4().hex[:6]}", role="admin")
        with annotator, pytest.raises(PermissionDenied):
            annotator.create_webhook(receiver.url)
        with other, pytest.raises(NotFound):
            other.get_webhook(hook.webhook_id)

        lead.delete_webhook(hook.webhook_id)
        with pytest.raises(NotFound):
            lead.get_webhook(hook.webhook_id)
        assert lead.list_webhooks().webhooks == []
