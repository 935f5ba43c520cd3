"""Raw HTTP baseline of the save bench: the floor of an HTTP save on this machine. A minimal ASGI app on uvicorn
with the gateway's server settings (httptools, uvloop through the kernel's `run_async`, no access log), in its own
process, answering every POST with canned bytes (the real answer of the same save shape, set by `POST /canned`):
the bench's client posting the same body to it pays its own encoding and decoding, HTTP/1.1 both ways and one
server wake-up, and nothing of the gateway, gRPC or the annotation service.

`python -m bench.http_raw PORT` serves it until killed."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import httpx

from annostream_cli.embedded import free_port

START_S = 15.0
_answer = [b"{}"]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Read the whole body, answer the canned bytes (`POST /canned` replaces them with its body)."""
    if scope["type"] == "lifespan":  # nothing to set up or tear down
        while (kind := (await receive())["type"]) != "lifespan.shutdown":
            await send({"type": kind + ".complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] == "/canned":
        _answer[0] = body
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(_answer[0])).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _answer[0]})


class RawServer:
    """The raw app in a child process; `url` once started."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.http_raw", str(self.port)])
        deadline = time.monotonic() + START_S
        while True:
            try:
                httpx.post(self.url + "/canned", content=b"{}", timeout=1)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("the raw HTTP server did not start") from None
                time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main(port: int) -> None:
    """Serve the raw app on 127.0.0.1:`port` as the gateway serves its own (app.run_gateway)."""
    import uvicorn

    from annostream_kernel.runtime import run_async

    config = uvicorn.Config(app, host="127.0.0.1", port=port, http="httptools", log_level="warning", access_log=False)
    run_async(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main(int(sys.argv[1]))
