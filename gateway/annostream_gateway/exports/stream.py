"""An export as an HTTP body: pages of ExportFrames in, zip (or ndjson) bytes out, as the client reads them.

The first page is read before the response starts, so an unknown version, a refused caller or a bad filter is a
4xx; a failure after that can only cut the body short (the zip then lacks its directory and its report; the ndjson
body ends with an {"error": ...} line).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Protocol

from grpc import aio

from annostream_kernel.errors import DomainError
from annostream_kernel.grpc_client import outgoing_metadata, to_domain_error
from annostream_kernel.logs import get_logger
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc

from .archive import ZipStream
from .coco import CocoWriter
from .jsonl import line
from .model import Frame, Report
from .voc import VocWriter
from .yolo import TASKS, YoloWriter

FORMATS = ("coco", "voc", "yolo", "yolo-segment", "yolo-pose", "jsonl")
REPORT = "export_report.json"
YIELD_EVERY = 100  # frames (≈ 12 ms of writing) between turns of the event loop
log = get_logger(__name__)
Pages = AsyncIterator[ann.ExportFramesResponse]


class Writer(Protocol):
    """A format writer: frames in, archive entries out."""

    def frame(self, f: Frame) -> None: ...
    def close(self, z: ZipStream) -> None: ...


def writer(fmt: str, z: ZipStream, report: Report) -> Writer:
    """The writer of a zip format."""
    if fmt == "coco":
        return CocoWriter(z, report)
    if fmt == "voc":
        return VocWriter(z, report)
    return YoloWriter(z, report, TASKS[fmt])


async def open_pages(stub: ann_grpc.AnnotationServiceStub, req: ann.ExportFramesRequest) -> Pages:
    """Start ExportFrames and read its first page (errors become DomainErrors, before any byte is sent)."""
    call = stub.ExportFrames(req, metadata=outgoing_metadata())
    it = call.__aiter__()
    try:
        first = await it.__anext__()
    except StopAsyncIteration:
        first = None
    except aio.AioRpcError as err:
        raise to_domain_error(err) from err

    async def pages() -> Pages:
        try:
            if first is not None:
                yield first
                async for page in it:
                    yield page
        except aio.AioRpcError as err:
            raise to_domain_error(err) from err
        finally:
            call.cancel()

    return pages()


def _frames(page: ann.ExportFramesResponse, report: Report) -> list[Frame]:
    out = [Frame.parse(x.frame_id, x.base_json, x.annotations_json) for x in page.frames]
    report.frames += len(out)
    report.rois += sum(len(f.rois) for f in out)
    return out


async def zip_body(fmt: str, pages: Pages) -> AsyncIterator[bytes]:
    """The archive of a zip format, chunk by chunk; export_report.json is its last entry."""
    z, report = ZipStream(), Report(fmt)
    w = writer(fmt, z, report)
    async for page in pages:
        for i, f in enumerate(_frames(page, report), start=1):
            w.frame(f)
            if i % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # other requests of the gateway go on between slices of a page
        if chunk := z.take():
            yield chunk
    w.close(z)
    z.add(REPORT, report.as_json())
    yield z.close()
    log.info("export_done", format=fmt, frames=report.frames, rois=report.rois, skipped=sum(report.skipped.values()))


async def ndjson_body(pages: Pages) -> AsyncIterator[bytes]:
    """JSON lines, a page at a time; an error after the start is the last line ({"error", "message", "field"})."""
    report = Report("jsonl")
    try:
        async for page in pages:
            yield b"".join(line(f, report) for f in _frames(page, report))
    except DomainError as err:
        log.warning("export_failed", error=err.message)
        yield json.dumps({"error": err.code_name, "message": err.message, "field": err.field}).encode() + b"\n"
