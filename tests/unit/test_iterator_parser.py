"""The filter language parser: ASTs, errors with field + position + expected token, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annostream_iterator.domain.ast import And, Compare, Label, Not, Op, Or
from annostream_iterator.domain.parser import parse_labels, parse_query
from annostream_kernel.errors import InvalidArgument

TOKENS = [
    "meta.city",
    "meta.speed",
    'meta."a b"',
    "meta.",
    "meta",
    "source.id",
    "source.width",
    "source.uri",
    "source.x",
    ":",
    '"bremen"',
    '"',
    "\\",
    "[",
    "]",
    "{",
    "}",
    "TO",
    "to",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    "*",
    "b*",
    ">",
    ">=",
    "<",
    "<=",
    "=",
    "10",
    "-2.5",
    "1e999",
    "nan",
    "true",
    "null",
    "car",
    '"parked car"',
    "\x00",
    "é",
    ".",
    "  ",
]
query_like = st.lists(st.sampled_from(TOKENS), max_size=12).map(
    lambda ts: "".join(t + (" " if i % 2 else "") for i, t in enumerate(ts))
)


def test_label_expressions_parse_with_precedence_not_and_or() -> None:
    node = parse_labels('car AND NOT "parked car" OR veh*', "f")
    assert node == Or((And((Label("car"), Not(Label("parked car")))), Label("veh*", glob=True)))


def test_queries_parse_ranges_comparisons_exists_and_nested_keys() -> None:
    node = parse_query('meta.a."b c":[1 TO *} AND meta.n >= 3 AND NOT meta.x:*', "f", "meta")
    assert node == And(
        (
            Compare(("meta", "a", "b c"), Op.RANGE, lo=1, hi=None, hi_inclusive=False),
            Compare(("meta", "n"), Op.GE, 3),
            Not(Compare(("meta", "x"), Op.EXISTS)),
        )
    )
    assert parse_query('source.uri:"s3://*.jpg"', "f", "source") == Compare(("source", "uri"), Op.GLOB, "s3://*.jpg")


def test_bare_numbers_are_json_numbers_and_anything_else_a_word() -> None:
    # Python's int()/float() read '1_0' as 10 (and '+5', '.5', other scripts' digits as numbers); the language's
    # bare numbers are JSON's, so those are words, compared as strings like any other word.
    for word in ("1_0", "+5", ".5", "5.", "\u0661\u0662", "1e", "0x10", "Infinity"):
        assert parse_query(f"meta.big>{word}", "f", "meta") == Compare(("meta", "big"), Op.GT, word), word
    numbers = {"10": 10, "-0": 0, "007": 7, "2.5": 2.5, "1e3": 1000.0, "-1E-3": -0.001, "1" + "0" * 30: 10**30}
    for raw, value in numbers.items():
        assert parse_query(f"meta.n:{raw}", "f", "meta") == Compare(("meta", "n"), Op.EQ, value), raw
    assert parse_query("source.id:1e400", "f", "source") == Compare(("source", "id"), Op.EQ, "1e400")  # an id


@pytest.mark.parametrize(
    ("text", "root", "position", "expected"),
    [
        ("meta.city:", "meta", 10, "a value"),
        ("city:bremen", "meta", 0, "a field such as meta.city"),
        ("meta.a:1 meta.b:2", "meta", 9, "AND, OR or end of query"),
        ("(meta.a:1", "meta", 9, "AND, OR or ')'"),
        ("meta.a:[1 2]", "meta", 10, "TO"),
        ("meta.a > true", "meta", 9, "a number or a string without '*'"),
        ("source.depth:1", "source", 0, "one of source.id"),
        ("source.width:wide", "source", 13, "a number"),
        ("source.width > 1_0", "source", 15, "a number"),  # int() read '1_0' as 10
        ("meta.f:[-1e400 TO 1e400]", "meta", 8, "a number between"),  # was infinity, matching nothing
        ("meta.f > 1e400", "meta", 9, "a number between"),
        ("source.height < -1" + "0" * 400, "source", 16, "a number between"),  # float() of it raised
        ('meta."":*', "meta", 5, "a field name"),  # metadata refuses the empty key on write
        ("car AND", "labels", 7, "a label, a quoted label or '('"),
        ('"abc', "labels", 4, 'a closing "'),
    ],
)
def test_malformed_queries_name_the_field_position_and_expected_token(
    text: str, root: str, position: int, expected: str
) -> None:
    field = "selection.filters[0]." + ("roi_rules[0].label_expression" if root == "labels" else "frame_query")
    with pytest.raises(InvalidArgument) as exc:
        parse_labels(text, field) if root == "labels" else parse_query(text, field, root)
    err = exc.value
    assert err.field and err.field.startswith("selection.filters[0].")
    assert err.details["position"] == position
    assert err.details["expected"].startswith(expected)
    assert f"position {position}" in err.message


@settings(max_examples=400, deadline=None)
@given(st.one_of(query_like, st.text(max_size=40)), st.sampled_from(["meta", "source", "labels"]))
def test_any_input_either_parses_or_is_an_invalid_argument_with_a_position(text: str, root: str) -> None:
    position = 0
    try:
        parse_labels(text, "f") if root == "labels" else parse_query(text, "f", root)
    except InvalidArgument as err:
        position = err.details["position"]
    assert 0 <= position <= len(text)
