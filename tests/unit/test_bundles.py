"""A bundle's body gives back the events it was built from; contiguity is judged by event sequence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annostream_kernel.bundles import Item, contiguous, decode, encode

_text = st.text(max_size=40)
_items = st.lists(
    st.builds(
        Item,
        seq=st.integers(min_value=1, max_value=2**63),
        type=st.one_of(st.none(), _text.filter(bool)),
        subject=_text,
        traceparent=st.one_of(st.none(), _text.filter(bool)),
        data=st.binary(max_size=200),
    ),
    max_size=20,
)


@given(_items)
def test_a_bundle_decodes_to_the_events_it_was_encoded_from(items: list[Item]) -> None:
    assert decode(encode(items)) == items


def test_events_are_contiguous_only_when_each_follows_the_one_before_from_the_position() -> None:
    def at(*seqs: int) -> list[Item]:
        return [Item(s, "RoiCreated", "annostream.annotation.v1.d.v.f.RoiCreated", None, b"") for s in seqs]

    assert contiguous(at(5, 6, 7), 4)
    assert contiguous([], 4)
    assert not contiguous(at(6, 7), 4)  # event 5 came in no bundle
    assert not contiguous(at(5, 7), 4)
    assert not contiguous(at(4, 5), 4)  # a redelivery
