"""Placeholders: {name} filled, {{ and }} literal, everything else reported with its offset."""

from __future__ import annotations

import pytest

from coreg_audio.format.placeholders import fill, placeholder_problems


def test_fill_replaces_names_and_unescapes_braces() -> None:
    assert fill("{a} and {b}", {"a": "Sam", "b": "Alex"}) == "Sam and Alex"
    assert fill("{{a}} is {a}", {"a": "x"}) == "{a} is x"
    assert fill("no braces", {}) == "no braces"
    assert fill("{a}{a}", {"a": "{b}"}) == "{b}{b}"


@pytest.mark.parametrize(
    ("source", "offset", "words"),
    [
        ("Hi {c}", 3, "the placeholder {c} has no value"),
        ("Hi {", 3, "a lone '{'"),
        ("Hi } there", 3, "a lone '}'"),
        ("Hi {two words}", 3, "is not a placeholder"),
        ("Hi {}", 3, "is not a placeholder"),
        ("ok {{ then {zz}", 11, "{zz} has no value"),
    ],
)
def test_problems_name_the_offset(source: str, offset: int, words: str) -> None:
    found = placeholder_problems(source, {"a": "x"})
    assert len(found) == 1
    assert found[0].offset == offset
    assert words in found[0].message


def test_unknown_name_lists_the_known_ones() -> None:
    message = placeholder_problems("{c}", {"a": "1", "b": "2"})[0].message
    assert "add it under 'params:', pass --set c=..., or write {c|words}" in message
    assert "(params: a, b)" in message


def test_valid_text_has_no_problems() -> None:
    assert placeholder_problems("{a}, {{literal}}, {b_2}", {"a": "", "b_2": ""}) == []


def test_words_after_a_bar_are_said_when_the_name_has_no_value() -> None:
    source = "{a|One of you}, begin. Ask {b | your partner}."
    assert placeholder_problems(source, {}) == []
    assert fill(source, {}) == "One of you, begin. Ask your partner."
    assert fill(source, {"a": "Sam", "b": "Alex"}) == "Sam, begin. Ask Alex."
    assert fill("{a|}", {}) == ""
    assert fill("{{a|x}} {a|x}", {}) == "{a|x} x"


@pytest.mark.parametrize("source", ["{|One of you}", "{two words|x}", "{ | }"])
def test_words_need_a_name_before_the_bar(source: str) -> None:
    found = placeholder_problems(source, {})
    assert [problem.offset for problem in found] == [0]
    assert "is not a placeholder" in found[0].message
