"""A path parameter holding '/' or '%' survives routing: escaped before it, decoded after it, for any text."""

from __future__ import annotations

from urllib.parse import quote, unquote

from hypothesis import given
from hypothesis import strategies as st

from annostream_gateway.path_ids import escape_path, unescape

ID = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)


def _routed(frame_id: str) -> list[str]:
    raw = f"/api/v1/versions/v1/frames/{quote(frame_id, safe='')}/save"
    scope = {"raw_path": raw.encode("ascii"), "path": unquote(raw)}  # what the server gives the app
    escape_path(scope)
    return str(scope["path"]).split("/")


@given(ID)
def test_any_frame_id_is_one_segment_when_routed_and_reads_back_whole(frame_id: str) -> None:
    segments = _routed(frame_id)
    assert segments[:6] == ["", "api", "v1", "versions", "v1", "frames"] and segments[7:] == ["save"]
    assert unescape(segments[6]) == frame_id


@given(ID.filter(lambda s: "/" not in s and "%" not in s))
def test_a_path_without_an_encoded_slash_or_percent_is_routed_as_the_server_decoded_it(frame_id: str) -> None:
    raw = f"/api/v1/versions/v1/frames/{quote(frame_id, safe='')}"
    scope = {"raw_path": raw.encode("ascii"), "path": unquote(raw)}
    escape_path(scope)
    assert scope["path"] == unquote(raw) and unescape(frame_id) == frame_id


def test_a_literal_percent_sequence_in_an_id_is_kept_not_decoded_twice() -> None:
    assert unescape(_routed("a%2Fb")[6]) == "a%2Fb"
    assert unescape(_routed("100%25")[6]) == "100%25"
    assert unescape(_routed("train/0001")[6]) == "train/0001"
