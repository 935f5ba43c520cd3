"""A service starting while JetStream does not answer (electing a leader after a NATS node died) asks again for a
while instead of exiting: here a real nats-server without JetStream, whose API never answers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator

import nats
import pytest
from structlog.testing import capture_logs

from annostream_cli.embedded import _set_pdeathsig, free_port, nats_server_binary
from annostream_kernel.streams import UNANSWERED, StreamDef, ensure_stream


@pytest.fixture
def without_jetstream() -> Iterator[str]:
    """The URL of a nats-server of its own that has no JetStream."""
    port = free_port()
    proc = subprocess.Popen(
        [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_set_pdeathsig,
    )
    try:
        for _ in range(200):  # listening once it accepts a connection
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
            time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


async def test_a_starting_service_asks_jetstream_again_until_its_wait_runs_out(without_jetstream: str) -> None:
    # Was: the first unanswered request ended the process (a replica restarted during a NATS election exited with 1).
    nc = await nats.connect(without_jetstream)
    try:
        with capture_logs() as logs, pytest.raises(UNANSWERED):
            await ensure_stream(nc.jetstream(timeout=0.2), StreamDef("PROBE", "probe.v1"), wait=1.5)
    finally:
        await nc.close()
    retries = [e for e in logs if e["event"] == "jetstream_unanswered_retrying"]
    assert len(retries) >= 2 and all(e["stream"] == "PROBE" for e in retries), logs
