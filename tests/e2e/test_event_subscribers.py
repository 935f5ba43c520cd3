"""A late subscriber (the documented example) replays every annotation event, each frame's in order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from annostream_cli.smoke import run_slice
from annostream_cli.stack import LocalStack
from annostream_sdk import Client

pytestmark = pytest.mark.e2e
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "subscribe.py"


def test_the_example_subscriber_replays_a_frames_events_in_order(system: LocalStack, nats_url: str) -> None:
    with httpx.Client(base_url=system.url, headers={"X-Annostream-User": "sub-test"}, timeout=30) as client:
        with Client(system.url, user="sub-test") as sdk:
            result = run_slice(sdk, log=lambda _m: None)
        frame = result["frame"]
        url = f"/api/v1/versions/{frame['version_id']}/frames/{frame['frame_id']}/save"
        version = frame["version"]
        for dx in (1, 2, 3):
            body = {
                "expected_version": version,
                "commands": [{"move_roi": {"roi_id": frame["rois"][0]["roi_id"], "dx": dx, "dy": 0}}],
            }
            version = client.post(url, json=body).json()["frame"]["version"]
    subject = f"annostream.annotation.v1.*.{frame['version_id']}.{frame['frame_id']}.>"
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--nats", nats_url, "--subject", subject, "--idle", "3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # Each write's events, then its FrameSaved (stream version = the frame's version after the write).
    assert [line.split()[1:3] for line in lines] == [
        ["v1", "RoiCreated"],
        ["v1", "FrameSaved"],
        ["v2", "RoiMoved"],
        ["v2", "FrameSaved"],
        ["v3", "RoiMoved"],
        ["v3", "FrameSaved"],
        ["v4", "RoiMoved"],
        ["v4", "FrameSaved"],
    ]
    assert "'kind': 'save'" in lines[3] and "'fromVersion': '1'" in lines[3] and "'toVersion': '2'" in lines[3]
    assert "by sub-test" in lines[0] and "'labels': ['car']" in lines[0]
