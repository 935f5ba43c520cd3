"""The bench's save clients (issue 18): the save shapes, their HTTP and gRPC commands, and one saver per transport."""

from __future__ import annotations

import math
import os
from typing import Any

import aiohttp
import httpx

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc
from annostream_protos.types.v1 import frames_pb2 as t

HEADERS = {"X-Annostream-User": "tester", "X-Annostream-Team": "default", "X-Annostream-Role": "admin"}
COMPACT = os.environ.get("BENCH_SAVE_COMPACT", "1") == "1"  # HTTP saves ask for the compact answer (the editor does)
# The bench's HTTP client: aiohttp, or httpx (the client before 2026-12-04: ≈ 1.2 CPU-ms more per request in the client,
# in the latency of every HTTP save; bench/README.md, "The cost of a save").
HTTP_CLIENT = os.environ.get("BENCH_SAVE_HTTP_CLIENT", "aiohttp")


def rect(i: int) -> dict[str, Any]:
    """A rectangle as the HTTP API takes it."""
    x, y = 10 + 7 * i, 10 + 3 * i
    return {"roi_id": f"r{i}", "type": "rectangle", "points": [[x, y], [x + 40, y + 30]], "labels": ["car"]}


def polygon(i: int) -> dict[str, Any]:
    """An 8-point polygon as the HTTP API takes it."""
    cx, cy = 300 + 5 * i, 300 + 4 * i
    angles = [k * math.pi / 4 for k in range(8)]
    pts = [[round(cx + 30 * math.cos(a), 2), round(cy + 30 * math.sin(a), 2)] for a in angles]
    return {"roi_id": f"p{i}", "type": "polygon", "points": pts, "labels": ["person"]}


def shapes(kind: str) -> list[dict[str, Any]]:
    """The created objects of a save shape."""
    if kind == "rect10":
        return [rect(i) for i in range(10)]
    return [rect(i) for i in range(25)] + [polygon(i) for i in range(25)]


def http_commands(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """create_roi commands as JSON."""
    return [{"create_roi": {"roi": o}} for o in objs]


def grpc_commands(objs: list[dict[str, Any]]) -> list[ann.Command]:
    """The same commands as protobuf (what a gRPC client builds)."""
    kinds = {"rectangle": t.ROI_TYPE_RECTANGLE, "polygon": t.ROI_TYPE_POLYGON}
    return [
        ann.Command(
            create_roi=ann.CreateRoi(
                roi=t.Roi(
                    roi_id=o["roi_id"],
                    type=kinds[o["type"]],
                    labels=o["labels"],
                    points=[t.Point(x=x, y=y) for x, y in o["points"]],
                )
            )
        )
        for o in objs
    ]


class Poster:
    """The bench's HTTP client: aiohttp (default) or httpx (`BENCH_SAVE_HTTP_CLIENT`), each as a user would call it
    (`json=` body, the answer's `.json()`: both through the stdlib json), one keep-alive connection per client."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.httpx = httpx.AsyncClient(headers=HEADERS, timeout=30) if kind == "httpx" else None
        timeout = aiohttp.ClientTimeout(30)
        self.aiohttp = aiohttp.ClientSession(headers=HEADERS, timeout=timeout) if self.httpx is None else None

    async def post(self, url: str, params: dict[str, str] | None, body: Any) -> tuple[Any, bytes]:
        """POST `body` as JSON; the answer's JSON and bytes (RuntimeError unless it is 200)."""
        if self.httpx is not None:
            r = await self.httpx.post(url, params=params, json=body)
            if r.status_code != 200:
                raise RuntimeError(f"save answered {r.status_code}: {r.text[:300]}")
            return r.json(), r.content
        assert self.aiohttp is not None
        async with self.aiohttp.post(url, params=params, json=body) as resp:
            if resp.status != 200:
                raise RuntimeError(f"save answered {resp.status}: {(await resp.text())[:300]}")
            content = await resp.read()
            return await resp.json(), content

    async def close(self) -> None:
        if self.httpx is not None:
            await self.httpx.aclose()
        if self.aiohttp is not None:
            await self.aiohttp.close()


class Saver:
    """Saves through one transport: `save(frame, version, kind)` returns the frame's version after it; `raw` (HTTP
    only) posts the same body to the raw HTTP server instead (`raw_url`), which answers what the gateway answered
    last for that shape."""

    def __init__(self, transport: str, stack: LocalStack, version_id: str) -> None:
        self.transport, self.version_id, self.url, self.raw_url = transport, version_id, stack.url, ""
        self.http = httpx.AsyncClient(base_url=stack.url, headers=HEADERS, timeout=30)  # setup reads
        self.poster = Poster(HTTP_CLIENT)
        self.ch = channel(stack.env["ANNOSTREAM_ANNOTATION_ADDR"])
        self.stub = IdentityStub(ann_grpc.AnnotationServiceStub(self.ch))
        self.bodies = {k: http_commands(shapes(k)) for k in ("rect10", "mixed50")}
        self.protos = {k: grpc_commands(shapes(k)) for k in ("rect10", "mixed50")}
        self.answers: dict[str, bytes] = {}  # the gateway's last answer of each shape (the raw server's canned one)

    async def close(self) -> None:
        await self.http.aclose()
        await self.poster.close()
        await self.ch.close()

    async def save(self, frame_id: str, version: int, kind: str, raw: bool = False) -> int:
        """One save: create the shape's objects, or move `r0` (kind "move")."""
        if self.transport == "http":
            cmds = self.bodies[kind] if kind != "move" else [{"move_roi": {"roi_id": "r0", "dx": 1, "dy": 1}}]
            path = f"/api/v1/versions/{self.version_id}/frames/{frame_id}/save"
            body = {"expected_version": version, "commands": cmds}
            params = {"answer": "compact"} if COMPACT else None
            doc, content = await self.poster.post((self.raw_url if raw else self.url) + path, params, body)
            if not raw:
                self.answers[kind] = content
            return version + 1 if raw else int(doc["version"])
        ref = t.FrameRef(version_id=self.version_id, frame_id=frame_id)
        commands = self.protos[kind] if kind != "move" else [ann.Command(move_roi=ann.MoveRoi(roi_id="r0", dx=1, dy=1))]
        resp = await self.stub.SaveFrame(ann.SaveFrameRequest(frame=ref, expected_version=version, commands=commands))
        return int(resp.version)

    async def canned(self, kind: str) -> None:
        """Make the raw server answer what the gateway answered last for `kind`."""
        await self.http.post(self.raw_url + "/canned", content=self.answers[kind])
