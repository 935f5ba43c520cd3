"""One more component process beside a test system (a second replica, a gateway with other settings)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from annostream_cli.embedded import _set_pdeathsig


@contextmanager
def component(name: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `annostream serve <name>` with `env`, its output appended to `log`; stopped (terminated, then killed
    after 20 s) on exit, and never outliving the test run."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "annostream_cli.main", "serve", name],
            env=env,
            stdout=out,
            stderr=out,
            preexec_fn=_set_pdeathsig,
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
