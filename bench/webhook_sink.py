"""A minimal HTTP/1.1 webhook receiver for the webhooks bench, run as its own process:
`python -m bench.webhook_sink PORT`.

It answers every POST with 204 at once (keep-alive) and remembers, per delivery path (`X-Bench-Path` header, "hooks"
when absent) and event id (`Annostream-Event-Id`), when the first copy arrived (CLOCK_MONOTONIC, comparable with the
bench process on the same host) and how many copies came. `GET /stats` answers that as JSON, `GET /count/<path>`
how many distinct events came on a path.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

first: dict[str, dict[str, float]] = {}
copies = {"total": 0}


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            now = time.monotonic()
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            length = int(headers.get("content-length", "0"))
            if length:
                await reader.readexactly(length)
            if method == "GET" and path.startswith("/count/"):
                body = str(len(first.get(path.removeprefix("/count/"), {}))).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
                writer.write(body)
            elif method == "GET" and path == "/stats":
                body = json.dumps({"first": first, "copies": copies["total"]}).encode()
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                writer.write(head % len(body))
                writer.write(body)
            else:
                if method == "POST":
                    seen = first.setdefault(headers.get("x-bench-path", "hooks"), {})
                    seen.setdefault(headers.get("annostream-event-id", ""), now)
                    copies["total"] += 1
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    """Serve on 127.0.0.1:`port` until killed."""
    server = await asyncio.start_server(_handle, "127.0.0.1", port, backlog=1024)
    print("sink ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1])))
