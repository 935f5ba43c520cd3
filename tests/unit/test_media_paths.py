"""Local media are served only from configured roots: no traversal, no symlink escapes, no other schemes."""

from __future__ import annotations

from pathlib import Path

import pytest

from annostream_gateway.routes.media import resolve_media
from annostream_kernel.errors import InvalidArgument, NotFound, PermissionDenied


@pytest.fixture
def root(tmp_path: Path) -> Path:
    media = tmp_path / "media"
    (media / "cam").mkdir(parents=True)
    (media / "cam" / "a b.jpg").write_bytes(b"jpg")
    (tmp_path / "secret.txt").write_text("no")
    (media / "escape.jpg").symlink_to(tmp_path / "secret.txt")
    return media.resolve()


def test_a_file_inside_a_root_is_served_also_with_percent_escapes(root: Path) -> None:
    assert resolve_media(f"file://{root}/cam/a%20b.jpg", [root]) == root / "cam" / "a b.jpg"
    assert resolve_media(f"{root}/cam/a b.jpg", [root]) == root / "cam" / "a b.jpg"


@pytest.mark.parametrize(
    ("uri", "error"),
    [
        ("file://{root}/../secret.txt", PermissionDenied),
        ("file://{root}/escape.jpg", PermissionDenied),
        ("file:///etc/passwd", PermissionDenied),
        ("file://{root}/cam/missing.jpg", NotFound),
        ("https://example.com/a.jpg", InvalidArgument),
        ("cam/a b.jpg", InvalidArgument),
    ],
)
def test_everything_else_is_refused_naming_the_uri(root: Path, uri: str, error: type[Exception]) -> None:
    with pytest.raises(error) as err:
        resolve_media(uri.format(root=root), [root])
    assert err.value.field == "uri"  # type: ignore[attr-defined]


def test_nothing_is_served_without_roots(root: Path) -> None:
    with pytest.raises(PermissionDenied):
        resolve_media(f"file://{root}/cam/a b.jpg", [])
