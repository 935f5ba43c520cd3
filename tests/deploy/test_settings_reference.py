"""Every ANNOSTREAM_* setting is documented (docs/deploy.md, deploy/annostream.env.example) with its code default."""

from __future__ import annotations

import re
from pathlib import Path

from .artefacts import GRPC_PORTS, ROOT, by_kind, deploy_k8s

# Every setting of the components (prefix ANNOSTREAM_) and its default.
SETTINGS = {
    "ANNOSTREAM_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
    "ANNOSTREAM_NATS_URL": "nats://127.0.0.1:4222",
    "ANNOSTREAM_LOG_LEVEL": "info",
    "ANNOSTREAM_LOG_FORMAT": "json",
    "ANNOSTREAM_GRPC_HOST": "127.0.0.1",
    "ANNOSTREAM_SHUTDOWN_GRACE_SECONDS": "10",
    "ANNOSTREAM_HEALTH_INTERVAL_SECONDS": "2",
    "ANNOSTREAM_METRICS_HOST": "127.0.0.1",
    "ANNOSTREAM_METRICS_PORT": "0",
    "ANNOSTREAM_METRICS_INTERVAL_SECONDS": "5.0",
    "ANNOSTREAM_METRICS_ON_HTTP": "true",
    "ANNOSTREAM_DB_POOL_MIN": "1",
    "ANNOSTREAM_DB_POOL_MAX": "10",
    "ANNOSTREAM_RELAY_BATCH": "500",
    "ANNOSTREAM_RELAY_POLL_SECONDS": "1.0",
    "ANNOSTREAM_CONSUMER_BATCH": "100",
    "ANNOSTREAM_CONSUMER_MAX_ATTEMPTS": "5",
    "ANNOSTREAM_CONSUMER_LINGER_SECONDS": "0.02",
    "ANNOSTREAM_RELAY_LINGER_SECONDS": "0.002",
    "ANNOSTREAM_CONSUMER_DELAY_SECONDS": "",
    "ANNOSTREAM_STREAM_REPLICAS": "1",
    "ANNOSTREAM_DATASETS_ADDR": "127.0.0.1:50051",
    "ANNOSTREAM_TASKS_ADDR": "127.0.0.1:50052",
    "ANNOSTREAM_ITERATOR_ADDR": "127.0.0.1:50053",
    "ANNOSTREAM_ANNOTATION_ADDR": "127.0.0.1:50054",
    "ANNOSTREAM_WEBHOOKS_ADDR": "127.0.0.1:50055",
    "ANNOSTREAM_PEER_TIMEOUT_SECONDS": "10",
    "ANNOSTREAM_LEASE_TTL_SECONDS": "600",
    "ANNOSTREAM_PROGRESS_INTERVAL_SECONDS": "0.5",
    "ANNOSTREAM_REVIEW_INTERVAL_SECONDS": "0.2",
    "ANNOSTREAM_WEBHOOK_ALLOW_NETWORKS": "",
    "ANNOSTREAM_WEBHOOK_MAX_ATTEMPTS": "12",
    "ANNOSTREAM_WEBHOOK_BACKOFF_BASE_SECONDS": "2.0",
    "ANNOSTREAM_WEBHOOK_BACKOFF_MAX_SECONDS": "1800.0",
    "ANNOSTREAM_WEBHOOK_TIMEOUT_SECONDS": "10.0",
    "ANNOSTREAM_WEBHOOK_CONCURRENCY": "64",
    "ANNOSTREAM_WEBHOOK_RETENTION_DAYS": "14.0",
    "ANNOSTREAM_HTTP_HOST": "127.0.0.1",
    "ANNOSTREAM_HTTP_PORT": "8080",
    "ANNOSTREAM_DEV_AUTH": "true",
    "ANNOSTREAM_WEB_DIR": "",
    "ANNOSTREAM_MEDIA_ROOTS": "",
}


def test_settings_reference_is_complete() -> None:
    docs = (ROOT / "docs" / "deploy.md").read_text()
    example = (ROOT / "deploy" / "annostream.env.example").read_text()
    for name, default in SETTINGS.items():
        assert re.search(rf"^\| `{name}` \| `{re.escape(default)}` \|", docs, re.MULTILINE), name
        assert f"{name}={default}" in example, name


def test_documented_defaults_are_the_code_defaults() -> None:
    from annostream_annotation.config import AnnotationSettings
    from annostream_datasets.config import DatasetsSettings
    from annostream_gateway.config import GatewaySettings
    from annostream_iterator.config import IteratorSettings
    from annostream_tasks.config import TasksSettings
    from annostream_webhooks.config import WebhooksSettings

    fields = {**IteratorSettings.model_fields, **GatewaySettings.model_fields, **WebhooksSettings.model_fields}
    settings = {f"ANNOSTREAM_{name.upper()}" for name in fields} - {"ANNOSTREAM_GRPC_PORT"}
    assert settings == set(SETTINGS), "docs/deploy.md and SETTINGS must list every setting"
    for name, documented in SETTINGS.items():
        default = fields[name.removeprefix("ANNOSTREAM_").lower()].default
        parsed = documented == "true" if isinstance(default, bool) else type(default)(documented)
        assert parsed == default, name
    ports = {
        "datasets": DatasetsSettings,
        "tasks": TasksSettings,
        "iterator": IteratorSettings,
        "annotation": AnnotationSettings,
        "webhooks": WebhooksSettings,
    }
    assert {c: cls.model_fields["grpc_port"].default for c, cls in ports.items()} == GRPC_PORTS


def test_the_documented_proxy_auth_patches_turn_off_dev_auth_and_put_oauth2_proxy_in_front(tmp_path: Path) -> None:
    docs = (ROOT / "docs" / "deploy.md").read_text()
    block = re.search(r"<!-- auth-patches:.*?-->\n```yaml\n(.*?)```", docs, re.DOTALL)
    assert block, "docs/deploy.md lost the Kubernetes patches of its Authentication section"
    overlay = tmp_path / "proxied"
    overlay.mkdir()
    prod = ROOT / "k8s" / "overlays" / "prod"
    (overlay / "kustomization.yaml").write_text(f"resources:\n  - {prod}\npatches:\n{block.group(1)}")
    objects = deploy_k8s.build(overlay)
    assert deploy_k8s.lint(objects) == []
    assert by_kind(objects, "ConfigMap")["annostream-config"]["data"]["ANNOSTREAM_DEV_AUTH"] == "false"
    annotations = by_kind(objects, "Ingress")["annostream-gateway"]["metadata"]["annotations"]
    nginx = {k.removeprefix("nginx.ingress.kubernetes.io/"): v for k, v in annotations.items()}
    assert nginx["auth-response-headers"] == "X-Auth-Request-User,X-Auth-Request-Groups"
    assert nginx["auth-url"].endswith("/oauth2/auth") and nginx["auth-signin"].startswith("https://$host/oauth2/")
    assert nginx["force-ssl-redirect"] == "true"  # the overlay's own patch stays
