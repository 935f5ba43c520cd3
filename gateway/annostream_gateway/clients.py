"""gRPC stubs of every service, opened once per gateway process."""

from __future__ import annotations

from dataclasses import dataclass

from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from annostream_kernel.grpc_client import channel
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc, review_service_pb2_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc
from annostream_protos.webhooks.v1 import webhooks_service_pb2_grpc

from .config import GatewaySettings


@dataclass
class Clients:
    """Stubs and channels to the five services."""

    channels: dict[str, aio.Channel]
    datasets: datasets_service_pb2_grpc.DatasetsServiceStub
    tasks: tasks_service_pb2_grpc.TasksServiceStub
    iterator: iterator_service_pb2_grpc.IteratorServiceStub
    review: review_service_pb2_grpc.ReviewServiceStub  # the iterator's review stage
    annotation: annotation_service_pb2_grpc.AnnotationServiceStub
    webhooks: webhooks_service_pb2_grpc.WebhooksServiceStub
    timeout: float

    @classmethod
    def open(cls, s: GatewaySettings) -> Clients:
        """Open one channel per service."""
        ch = {
            name: channel(addr)
            for name, addr in [
                ("datasets", s.datasets_addr),
                ("tasks", s.tasks_addr),
                ("iterator", s.iterator_addr),
                ("annotation", s.annotation_addr),
                ("webhooks", s.webhooks_addr),
            ]
        }
        return cls(
            channels=ch,
            datasets=datasets_service_pb2_grpc.DatasetsServiceStub(ch["datasets"]),
            tasks=tasks_service_pb2_grpc.TasksServiceStub(ch["tasks"]),
            iterator=iterator_service_pb2_grpc.IteratorServiceStub(ch["iterator"]),
            review=review_service_pb2_grpc.ReviewServiceStub(ch["iterator"]),
            annotation=annotation_service_pb2_grpc.AnnotationServiceStub(ch["annotation"]),
            webhooks=webhooks_service_pb2_grpc.WebhooksServiceStub(ch["webhooks"]),
            timeout=s.peer_timeout_seconds,
        )

    async def health(self) -> dict[str, str]:
        """Each service's grpc.health.v1 status (or the error reaching it)."""
        out: dict[str, str] = {}
        for name, ch in self.channels.items():
            try:
                resp = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=2)
                out[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
            except aio.AioRpcError as err:
                out[name] = f"UNREACHABLE ({err.code().name})"
        return out

    async def close(self) -> None:
        """Close every channel."""
        for ch in self.channels.values():
            await ch.close()
