"""The gateway serves a local frame source from a media root, and refuses anything outside it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_local_media_are_served_only_from_the_media_roots(system: LocalStack, tmp_path: Path) -> None:
    root = Path(system.env["ANNOSTREAM_MEDIA_ROOTS"])
    (root / "cam").mkdir(exist_ok=True)
    (root / "cam" / "f1.png").write_bytes(b"\x89PNG\r\n\x1a\n fake")
    (tmp_path / "secret.txt").write_text("no")
    with httpx.Client(base_url=system.url, timeout=10) as c:
        ok = c.get("/api/v1/media", params={"uri": f"file://{root}/cam/f1.png"})
        assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"
        assert ok.content.startswith(b"\x89PNG")
        for uri, status in [
            (f"file://{root}/../{tmp_path.name}/secret.txt", 403),
            (f"file://{tmp_path}/secret.txt", 403),
            (f"file://{root}/cam/none.png", 404),
            ("https://example.com/x.png", 400),
        ]:
            r = c.get("/api/v1/media", params={"uri": uri})
            assert r.status_code == status, (uri, r.text)
            assert r.json()["field"] == "uri"
