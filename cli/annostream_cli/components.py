"""The six runnable components and how `serve` starts each."""

from __future__ import annotations

from collections.abc import Callable

COMPONENTS = ("datasets", "tasks", "iterator", "annotation", "webhooks", "gateway")


def serve(component: str) -> None:
    """Run one component in the foreground with settings from the environment."""
    runners: dict[str, Callable[[], None]] = {
        "datasets": _datasets,
        "tasks": _tasks,
        "iterator": _iterator,
        "annotation": _annotation,
        "webhooks": _webhooks,
        "gateway": _gateway,
    }
    runners[component]()


def _datasets() -> None:
    from annostream_datasets.bootstrap import definition
    from annostream_datasets.config import DatasetsSettings
    from annostream_kernel.runtime import run_service

    run_service(definition(), DatasetsSettings())


def _tasks() -> None:
    from annostream_kernel.runtime import run_service
    from annostream_tasks.bootstrap import definition
    from annostream_tasks.config import TasksSettings

    run_service(definition(), TasksSettings())


def _iterator() -> None:
    from annostream_iterator.bootstrap import definition
    from annostream_iterator.config import IteratorSettings
    from annostream_kernel.runtime import run_service

    run_service(definition(), IteratorSettings())


def _annotation() -> None:
    from annostream_annotation.bootstrap import definition
    from annostream_annotation.config import AnnotationSettings
    from annostream_kernel.runtime import run_service

    run_service(definition(), AnnotationSettings())


def _webhooks() -> None:
    from annostream_kernel.runtime import run_service
    from annostream_webhooks.bootstrap import definition
    from annostream_webhooks.config import WebhooksSettings

    run_service(definition(), WebhooksSettings())


def _gateway() -> None:
    from annostream_gateway.app import run_gateway
    from annostream_gateway.config import GatewaySettings

    run_gateway(GatewaySettings())
