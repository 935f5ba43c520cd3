"""The local production topology's naming and the peer address lists the gRPC channels balance over."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from annostream_cli.topology import TopologySettings, process_names
from annostream_kernel.grpc_client import grpc_target


def test_one_peer_address_is_used_as_given() -> None:
    assert grpc_target("tasks.svc:50052") == "tasks.svc:50052"


def test_a_list_of_peer_addresses_becomes_one_ipv4_target_for_round_robin() -> None:
    assert grpc_target("127.0.0.1:5001, 127.0.0.1:5002") == "ipv4:127.0.0.1:5001,127.0.0.1:5002"


def test_a_list_of_host_names_is_refused_naming_the_item() -> None:
    with pytest.raises(ValueError, match="tasks-0:1"):
        grpc_target("tasks-0:1,tasks-1:1")


def test_two_replicas_name_every_service_process_and_keep_one_gateway() -> None:
    names = process_names(2)
    assert names["annotation"] == names["annotation-2"] == "annotation"
    assert [n for n, c in names.items() if c == "gateway"] == ["gateway"]
    assert len(names) == 11


def test_topology_settings_come_from_the_environment_and_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOSTREAM_NATS_CLUSTER", "3")
    monkeypatch.setenv("ANNOSTREAM_REPLICAS", "2")
    assert (TopologySettings().nats_cluster, TopologySettings().replicas) == (3, 2)
    monkeypatch.setenv("ANNOSTREAM_REPLICAS", "0")
    with pytest.raises(ValidationError):
        TopologySettings()
