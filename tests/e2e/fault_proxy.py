"""A real HTTP reverse proxy in front of the gateway that injects faults on request: answer 503 itself, or forward
the request and then drop the connection without answering (an answer lost in transit). It counts what it sees,
so tests can tell how often a client tried."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FaultProxy:
    """Forwards to `target`; `faults[(method, path)]` is a list of faults applied to the next such requests
    ("503" or "drop"), one per request, in order."""

    def __init__(self, target: str, port: int = 0) -> None:
        self.target = httpx.Client(base_url=target, timeout=30)
        self.faults: dict[tuple[str, str], list[str]] = {}
        self.seen: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _next_fault(self, key: tuple[str, str]) -> str | None:
        with self.lock:
            self.seen[key] += 1
            pending = self.faults.get(key) or []
            return pending.pop(0) if pending else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _any(self) -> None:
                path = self.path.split("?", 1)[0]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = proxy._next_fault((self.command, path))
                if fault == "503":
                    payload = b'{"error": "UNAVAILABLE", "message": "injected", "field": null, "details": {}}'
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                resp = proxy.target.request(self.command, self.path, content=body, headers=headers)
                if fault == "drop":  # the gateway did the work; its answer never arrives
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(resp.status_code)
                for k, v in resp.headers.items():
                    if k.lower() not in HOP and k.lower() != "content-encoding":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        return Handler

    def serve(self) -> None:
        """Serve in a background thread."""
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving and close the connection to the gateway."""
        self.server.shutdown()
        self.server.server_close()
        self.target.close()


@contextmanager
def fault_proxy(target: str) -> Iterator[FaultProxy]:
    """A running FaultProxy in front of `target`."""
    proxy = FaultProxy(target)
    proxy.serve()
    try:
        yield proxy
    finally:
        proxy.close()
