"""Subject tokens: any id becomes one valid NATS token and decodes back."""

from hypothesis import given
from hypothesis import strategies as st

from annostream_kernel.events import decode_subject_token, subject, subject_token


def test_safe_ids_are_kept_as_they_are() -> None:
    assert subject_token("frame-01_a") == "frame-01_a"


def test_dots_spaces_and_wildcards_are_escaped() -> None:
    token = subject_token("a.b c*>")
    assert "." not in token and " " not in token and "*" not in token and ">" not in token
    assert decode_subject_token(token) == "a.b c*>"


def test_a_trailing_newline_is_escaped_never_kept_in_a_subject() -> None:
    assert subject_token("0\n") == "0%0A"  # a newline in a subject would end the NATS protocol line
    assert decode_subject_token("0%0A") == "0\n"


def test_subject_joins_prefix_and_encoded_tokens() -> None:
    assert (
        subject("annostream.annotation.v1", "ds", "v.1", "RoiCreated") == "annostream.annotation.v1.ds.v%2E1.RoiCreated"
    )


@given(st.text(max_size=40))
def test_every_string_round_trips_through_one_token(value: str) -> None:
    token = subject_token(value)
    assert token and all(c not in token for c in ". *>\t\r\n")
    assert decode_subject_token(token) == value
