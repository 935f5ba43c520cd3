"""A real HTTP webhook receiver on loopback for the tests (stdlib http.server in a thread), and a signature check
written from docs/webhooks.md, independently of the service's code."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from annostream_cli.embedded import free_port


@dataclass(frozen=True)
class Received:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        """The CloudEvent in the body."""
        return dict(json.loads(self.body))


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: float = 300.0) -> bool:
    """Check `Annostream-Signature: t=<ts>,v1=<hex>`: HMAC-SHA256 keyed with the secret over "<ts>." + body, the
    timestamp within `tolerance` seconds of now (what a receiver does, per docs/webhooks.md)."""
    header = headers.get("annostream-signature", "")
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k == "t"]
    signatures = [v for k, v in parts if k == "v1"]
    if len(timestamps) != 1 or not signatures:
        return False
    if abs(time.time() - int(timestamps[0])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)


class Receiver:
    """Collects POSTs; `status` decides the answer; stop()/start() take it off the network and back on the same
    port (connections are refused meanwhile)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.status = 204
        self.answer: Callable[[Received], int] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Where webhooks should POST."""
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        """Listen (again) on the receiver's port."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                got = Received({k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                status = owner.answer(got) if owner.answer else owner.status
                with owner._lock:
                    owner.received.append(got)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening (later connections are refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[dict[str, Any]]:
        """Every CloudEvent received so far (duplicates included), in arrival order."""
        with self._lock:
            return [r.event for r in self.received]

    def wait_for(self, check: Callable[[list[Received]], bool], timeout: float = 30.0) -> list[Received]:
        """Poll until `check(received)` holds; the received POSTs, or AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                got = list(self.received)
            if check(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: condition not met after {timeout}s ({len(got)} POSTs received)")
            time.sleep(0.05)
