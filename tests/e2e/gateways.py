"""A second gateway process on the session's services, with settings of its own (e.g. ANNOSTREAM_DEV_AUTH=false)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from annostream_cli.embedded import free_port
from annostream_cli.stack import LocalStack

from ..processes import component


@contextmanager
def extra_gateway(system: LocalStack, base: Path, **settings: str) -> Iterator[str]:
    """Start a gateway with `settings` on the system's services; yields its URL once ready, stops it after."""
    port = free_port()
    env = {**system.env, "ANNOSTREAM_HTTP_PORT": str(port), **settings}
    url = f"http://127.0.0.1:{port}"
    with component("gateway", env, base / "gateway.log") as proc:
        _wait_ready(url, proc, base / "gateway.log")
        yield url


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the extra gateway exited: {log.read_text()[-2000:]}"
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the extra gateway did not become ready: {log.read_text()[-2000:]}")
