"""Live frame updates for the editor: a WebSocket per open frame, fed by the frame's annotation events on NATS."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import nats
from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from annostream_kernel.events import subject_token
from annostream_kernel.grpc_client import call
from annostream_kernel.logs import get_logger
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import annotation_pb2, envelope_pb2, tasks_pb2
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk

from ..clients import Clients
from ..config import GatewaySettings

log = get_logger(__name__)
router = APIRouter(tags=["live"])
QUEUE_MAX = 1000  # events buffered per socket; a client this far behind is told to reload instead


class LiveHub:
    """One core-NATS connection per gateway process, opened on first use (JetStream publishes reach plain
    subscribers too, so the editor sees events as the relay publishes them)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.nc: NatsClient | None = None
        self.lock = asyncio.Lock()

    async def client(self) -> NatsClient:
        async with self.lock:
            if self.nc is None or self.nc.is_closed:
                self.nc = await nats.connect(servers=self.url.split(","), name="annostream-gateway-live")
            return self.nc

    async def close(self) -> None:
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), 5)


def hub(app: FastAPI) -> LiveHub:
    """The app's hub (created on first use from the gateway settings)."""
    h: LiveHub | None = getattr(app.state, "live", None)
    if h is None:
        settings: GatewaySettings = getattr(app.state, "settings", None) or GatewaySettings()
        h = app.state.live = LiveHub(settings.nats_url)
    return h


async def close(app: FastAPI) -> None:
    """Close the hub's NATS connection (gateway shutdown)."""
    h: LiveHub | None = getattr(app.state, "live", None)
    if h is not None:
        await h.close()


def frame_subject(version_id: str, frame_id: str) -> str:
    """The frame's FrameSaved subject: one message per committed write, after all of its events."""
    return f"annostream.annotation.v1.*.{subject_token(version_id)}.{subject_token(frame_id)}.FrameSaved"


def label_color_subject(task_id: str) -> str:
    return f"annostream.tasks.v1.{subject_token(task_id)}.LabelColorSet"


@router.websocket("/api/v1/live/versions/{version_id}/frames/{frame_id}")
async def live_frame(ws: WebSocket, version_id: str, frame_id: str, task_id: str = "") -> None:
    """Sends `{"type": "subscribed"}`, then one JSON message per committed write of the frame (its
    FrameSaved, published after the write's events): `{"type": "event", "event_type": "FrameSaved", "actor",
    "stream_version" (the frame's version after the write), "event_id", "task_id", "kind", "roi_ids"}`;
    `{"type": "overflow"}` when the client fell too far behind (reload the frame). With `?task_id=`, also
    `{"type": "label_color", "label", "color", "actor"}` whenever someone sets a label color of that task.

    The upgrade is refused like the HTTP routes refuse: 404 for a version (or task) the caller cannot read."""
    await authorize_live(ws.app.state.clients, version_id, task_id)
    await ws.accept()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_MAX)

    def put(item: dict[str, Any]) -> None:
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
            queue.put_nowait({"type": "overflow"})

    async def on_color(msg: Msg) -> None:
        with contextlib.suppress(Exception):  # an undecodable payload (another schema) is skipped
            env = envelope_pb2.EventEnvelope.FromString(msg.data)
            ev = tasks_pb2.LabelColorSet()
            if env.payload.Unpack(ev):
                put({"type": "label_color", "label": ev.label, "color": ev.color, "actor": env.actor})

    async def on_msg(msg: Msg) -> None:
        try:
            env = envelope_pb2.EventEnvelope.FromString(msg.data)
        except Exception:  # an undecodable payload: still tell the editor that the frame changed
            kind = (msg.header or {}).get("Annostream-Event-Type", "")
            item: dict[str, Any] = {"type": "event", "event_type": kind}
        else:
            saved = annotation_pb2.FrameSaved()
            env.payload.Unpack(saved)
            item = {
                "type": "event",
                "event_type": env.type,
                "actor": env.actor,
                "stream_version": env.stream_version,
                "event_id": env.event_id,
                "task_id": env.task_id or None,
                "kind": saved.kind,
                "roi_ids": list(saved.roi_ids),
            }
        put(item)

    subs: list[Subscription] = []
    try:
        nc = await hub(ws.app).client()
        subs.append(await nc.subscribe(frame_subject(version_id, frame_id), cb=on_msg))
        if task_id:
            subs.append(await nc.subscribe(label_color_subject(task_id), cb=on_color))
    except Exception as err:
        log.warning("live_subscribe_failed", error=repr(err))
        await _unsubscribe(subs)
        await ws.close(code=1011, reason="live updates unavailable")
        return
    receiver = asyncio.create_task(_drain_client(ws))
    try:
        await ws.send_json({"type": "subscribed", "version_id": version_id, "frame_id": frame_id})
        while not receiver.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                await ws.send_json(getter.result())
            else:
                getter.cancel()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        receiver.cancel()
        await _unsubscribe(subs)


async def authorize_live(c: Clients, version_id: str, task_id: str) -> None:
    """Raise the service's NotFound / PermissionDenied unless the caller may read the version (and the task)."""
    await call(c.datasets.GetVersion, ds.GetVersionRequest(version_id=version_id), timeout=c.timeout)
    if task_id:
        await call(c.tasks.GetTask, tk.GetTaskRequest(task_id=task_id), timeout=c.timeout)


async def _unsubscribe(subs: list[Subscription]) -> None:
    """Drop the socket's NATS subscriptions (errors of a closing connection are ignored)."""
    for sub in subs:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


async def _drain_client(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends until it disconnects."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
