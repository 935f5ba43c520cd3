"""A second gateway process on the session's services, with settings of its own (e.g. ANNOSTREAM_DEV_AUTH=false)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from annostream_cli.embedded import _set_pdeathsig, free_port
from annostream_cli.stack import LocalStack


@contextmanager
def extra_gateway(system: LocalStack, base: Path, **settings: str) -> Iterator[str]:
    """Start a gateway with `settings` on the system's services; yields its URL once ready, stops it after."""
    port = free_port()
    env = {**system.env, "ANNOSTREAM_HTTP_PORT": str(port), **settings}
    url = f"http://127.0.0.1:{port}"
    with open(base / "gateway.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "annostream_cli.main", "serve", "gateway"],
            env=env,
            stdout=log,
            stderr=log,
            preexec_fn=_set_pdeathsig,
        )
    try:
        _wait_ready(url, proc, base / "gateway.log")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
