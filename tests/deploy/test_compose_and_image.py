"""docker-compose.yml, deploy/compose.env and deploy/Dockerfile say what docs/deploy.md says."""

from __future__ import annotations

import re
from typing import Any

from .artefacts import COMPONENTS, GRPC_PORTS, ROOT


def test_compose_runs_every_component_from_one_image(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "nats", *COMPONENTS} == set(services)
    assert {services[c]["image"] for c in COMPONENTS} == {"annostream:0.1.0"}
    for component in COMPONENTS:
        service = services[component]
        assert service["command"] == ["annostream", "serve", component]
        assert service["healthcheck"]["test"] == ["CMD", "annostream-healthcheck", component]
        assert service["env_file"] == ["deploy/compose.env"]
        assert service["stop_grace_period"] == "30s"
        for dependency, condition in service["depends_on"].items():
            assert condition == {"condition": "service_healthy"}, (component, dependency)
            assert "healthcheck" in services[dependency]
    for component in GRPC_PORTS:
        assert set(services[component]["depends_on"]) == {"postgres", "nats"}
    assert set(services["gateway"]["depends_on"]) == set(GRPC_PORTS)


def test_compose_publishes_only_the_gateway_on_8080(compose: dict[str, Any]) -> None:
    published = {name: s["ports"] for name, s in compose["services"].items() if "ports" in s}
    assert published == {"gateway": ["8080:8080"]}
    assert compose["networks"]["backend"] == {"internal": True}


def test_compose_nats_and_postgres_persist_data(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]
    assert "--jetstream" in nats["command"]
    assert nats["command"][nats["command"].index("--store_dir") + 1] == "/data"
    assert "natsdata:/data" in nats["volumes"]
    assert "pgdata:/var/lib/postgresql" in compose["services"]["postgres"]["volumes"]
    env = dict(
        line.split("=", 1)
        for line in (ROOT / "deploy" / "compose.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["ANNOSTREAM_NATS_URL"] == "nats://nats:4222"
    assert env["ANNOSTREAM_DATABASE_URL"].endswith("@postgres:5432/annostream")
    assert env["ANNOSTREAM_GRPC_HOST"] == env["ANNOSTREAM_HTTP_HOST"] == "0.0.0.0"
    assert "--cluster" not in " ".join(nats["command"])  # one NATS server: one replica per stream
    assert env["ANNOSTREAM_STREAM_REPLICAS"] == "1"


def test_dockerfile_is_pinned_non_root_with_healthcheck() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    images = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert images
    assert all(re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", image) for image in images), images
    assert re.search(r"^USER 10001:10001$", text, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*annostream-healthcheck", text, re.MULTILINE)
    assert 'CMD ["annostream", "serve", "gateway"]' in text
    assert "scripts/gen_protos.py" in text


def test_compose_gives_a_route_outside_only_to_the_gateway_and_the_webhooks_service(compose: dict[str, Any]) -> None:
    internal = {name for name, net in compose["networks"].items() if (net or {}).get("internal")}
    outside = {name for name, s in compose["services"].items() if set(s.get("networks", [])) - internal}
    assert outside == {"gateway", "webhooks"}
