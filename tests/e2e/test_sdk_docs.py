"""docs/sdk.md's training-loop example runs as it is, against the real system, and learns."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e
DOC = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"


def test_the_training_loop_of_docs_sdk_md_runs_against_a_real_stack(
    system: LocalStack, tmp_path: Path, unique: str
) -> None:
    section = DOC.read_text().split("## A training loop", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "docs/sdk.md lost its training-loop example"
    script = tmp_path / "train.py"
    script.write_text(code.group(1))
    env = {**os.environ, "ANNOSTREAM_URL": system.url, "ANNOSTREAM_TEAM": f"ml-{unique}"}
    env.pop("VERSION_ID", None)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:5]] == [f"epoch {i}" for i in range(1, 6)]
    accuracy = re.fullmatch(r"accuracy (\d\.\d+) on (\d+) boxes", lines[-1])
    assert accuracy is not None and float(accuracy.group(1)) >= 0.95 and int(accuracy.group(2)) >= 300
    losses = [float(line.rsplit(" ", 1)[1]) for line in lines[:5]]
    assert losses[-1] < losses[0]  # it learned
