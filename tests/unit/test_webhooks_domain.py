"""The webhooks domain: subject filters, who receives an event, the address policy, retries, URL and field checks,
and the CloudEvent an event becomes."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf import any_pb2, timestamp_pb2

from annostream_kernel.errors import InvalidArgument
from annostream_protos.events.v1 import annotation_pb2, datasets_pb2, envelope_pb2, iterator_pb2, review_pb2, tasks_pb2
from annostream_webhooks.adapters.cloudevents import cloud_event, render, signature
from annostream_webhooks.domain.delivery import Attempt, RetryPolicy
from annostream_webhooks.domain.matching import (
    EVENT_TYPES,
    Readers,
    Subscription,
    interested,
    recipients,
    subject_matches,
    validate_subject_filter,
)
from annostream_webhooks.domain.model import create_command, parse_url, validate_event_types, validate_secret
from annostream_webhooks.domain.targets import AddressPolicy, parse_networks

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        ("", "annostream.annotation.v1.ds.v.f.RoiCreated", True),
        ("annostream.annotation.v1.ds.>", "annostream.annotation.v1.ds.v.f.RoiCreated", True),
        ("annostream.annotation.v1.ds.>", "annostream.annotation.v1.ds", False),
        ("annostream.annotation.v1.*.v.*.RoiCreated", "annostream.annotation.v1.ds.v.f.RoiCreated", True),
        ("annostream.annotation.v1.*.v.*.RoiCreated", "annostream.annotation.v1.ds.v.f.RoiMoved", False),
        ("annostream.*.v1.>", "annostream.tasks.v1.t.TaskCreated", True),
        ("annostream.tasks.v1.t", "annostream.tasks.v1.t.TaskCreated", False),
        (">", "annostream.tasks.v1.t.TaskCreated", True),
    ],
)
def test_subject_filters_follow_nats_wildcards(pattern: str, subject: str, matches: bool) -> None:
    assert subject_matches(pattern, subject) is matches


@pytest.mark.parametrize("pattern", ["annostream..x", "annostream.>.x", "annostream.a*", "other.>", "annostream. x"])
def test_a_malformed_subject_filter_is_refused_naming_the_field(pattern: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        validate_subject_filter(pattern)
    assert err.value.field == "subject_filter"


def _sub(webhook_id: str, team: str, types: tuple[str, ...] = (), pattern: str = "") -> Subscription:
    return Subscription(webhook_id, team, frozenset(types), pattern, T0)


def test_an_event_goes_to_webhooks_of_teams_that_may_read_it_with_matching_filters_made_before_it() -> None:
    subs = [
        _sub("a-all", "A"),
        _sub("a-moves", "A", ("RoiMoved",)),
        _sub("a-other-dataset", "A", (), "annostream.annotation.v1.other.>"),
        _sub("b-all", "B"),
        _sub("c-all", "C"),
        Subscription("a-later", "A", frozenset(), "", T0 + timedelta(hours=1)),
    ]
    subject = "annostream.annotation.v1.ds.v.f.RoiCreated"
    wanted = interested(subs, "RoiCreated", subject, T0 + timedelta(minutes=1))
    assert [s.webhook_id for s in wanted] == ["a-all", "b-all", "c-all"]
    assert recipients(wanted, Readers("A")) == ["a-all"]
    assert recipients(wanted, Readers("A", frozenset({"B"}))) == ["a-all", "b-all"]
    assert recipients(wanted, Readers("")) == []


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.7", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "not globally routable"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("fd00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
    ],
)
def test_the_address_policy_allows_only_public_unicast_addresses(address: str, refused: str | None) -> None:
    why = AddressPolicy().refusal(ipaddress.ip_address(address))
    assert (why is None) if refused is None else (why is not None and f"a {refused} address" in why)


def test_allowed_networks_let_private_addresses_through_and_nothing_else() -> None:
    policy = AddressPolicy(parse_networks("127.0.0.0/8, 10.1.0.0/16"))
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("::ffff:127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("10.1.2.3")) is None
    assert policy.refusal(ipaddress.ip_address("10.2.0.1")) is not None
    assert policy.first_refusal([ipaddress.ip_address("10.1.0.1"), ipaddress.ip_address("::1")]) is not None
    with pytest.raises(ValueError, match="not a network"):
        parse_networks("10.0.0.0/33")


def test_retries_back_off_exponentially_up_to_the_cap_and_dead_letter_after_the_last_attempt() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=1.0, cap_seconds=6.0, jitter=0.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 6.0, 6.0]
    assert policy.delay(1, retry_after=3.0) == 3.0 and policy.delay(1, retry_after=60.0) == 6.0
    assert not policy.exhausted(4) and policy.exhausted(5)
    jittered = RetryPolicy(5, 1.0, 100.0).delay(3, rand=random.Random(7))
    assert 3.2 <= jittered <= 4.8
    assert Attempt(204).succeeded and not Attempt(302).succeeded and not Attempt(0, "refused").succeeded


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "is required"),
        ("ftp://h/x", "http:// or https://"),
        ("http:///x", "must name a host"),
        ("http://u:p@h/x", "credentials"),
        ("http://h/x#frag", "fragment"),
        ("http://h:99999/x", "not a valid URL"),
        ("http://h/a b", "whitespace"),
    ],
)
def test_a_bad_url_is_refused_naming_the_url(url: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as err:
        parse_url(url)
    assert err.value.field == "url"


def test_a_webhook_without_a_secret_gets_a_generated_one_and_fields_are_checked() -> None:
    cmd = create_command("A", "lead", "https://hooks.example.com/x", "", "", ["RoiCreated", "RoiCreated"], "")
    assert cmd.secret.startswith("whsec_") and len(cmd.secret) > 40 and cmd.event_types == ("RoiCreated",)
    with pytest.raises(InvalidArgument) as err:
        validate_secret("has a space in it!!")
    assert err.value.field == "secret"
    with pytest.raises(InvalidArgument) as err:
        validate_event_types(["RoiCreated", "roicreated"])
    assert err.value.field == "event_types[1]"


def test_every_event_payload_type_of_the_protos_is_a_known_webhook_event_type() -> None:
    helpers = {"CopiedFrom", "IterationSpec", "TaskReview", "AnnotatorProgress", "EventEnvelope"}
    modules = [datasets_pb2, tasks_pb2, annotation_pb2, iterator_pb2, review_pb2]
    payloads = {name for m in modules for name in m.DESCRIPTOR.message_types_by_name} - helpers
    assert payloads == set(EVENT_TYPES)


def _envelope() -> envelope_pb2.EventEnvelope:
    payload = annotation_pb2.RoiMoved(roi_id="r1", dx=2.5, dy=0)
    return envelope_pb2.EventEnvelope(
        event_id="0192-abc",
        type="RoiMoved",
        schema_version=1,
        stream_id="frame:v1:f%2E1",
        stream_version=7,
        occurred_at=timestamp_pb2.Timestamp(seconds=1_767_225_600, nanos=5_000_000),
        actor="alice",
        correlation_id="c1",
        producer="annotation",
        payload=any_pb2.Any(
            type_url="type.googleapis.com/annostream.events.v1.RoiMoved", value=payload.SerializeToString()
        ),
    )


def test_an_event_becomes_a_structured_cloudevent_with_its_payload_as_json_data() -> None:
    subject = "annostream.annotation.v1.ds.v1.f%2E1.RoiMoved"
    event = json.loads(render(subject, _envelope()))
    assert event == {
        "specversion": "1.0",
        "id": "0192-abc",
        "source": "/annostream/annotation",
        "type": "annostream.annotation.v1.RoiMoved",
        "subject": "frame:v1:f%2E1",
        "time": "2026-01-01T00:00:00.005Z",
        "datacontenttype": "application/json",
        "streamversion": 7,
        "schemaversion": 1,
        "natssubject": subject,
        "actor": "alice",
        "correlationid": "c1",
        "data": {"roi_id": "r1", "dx": 2.5, "dy": 0.0},
    }


def test_a_payload_of_an_unknown_type_travels_as_base64_protobuf() -> None:
    e = _envelope()
    e.payload.type_url = "type.googleapis.com/annostream.events.v9.Future"
    event = cloud_event("annostream.annotation.v9.ds.v.f.Future", e)
    assert event["datacontenttype"] == "application/protobuf" and "data" not in event and event["data_base64"]


def test_the_signature_is_hmac_sha256_over_the_timestamp_and_the_body() -> None:
    body = b'{"id":"x"}'
    expected = hmac.new(b"secret-value-123456", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("secret-value-123456", 1_700_000_000, body) == f"t=1700000000,v1={expected}"
