"""One "did you mean" for every mistyped word, and close matches to list."""

from __future__ import annotations

from coreg_audio.suggest import close_matches, suggestion


def test_suggestion_only_when_close() -> None:
    assert suggestion("inhail", ["inhale", "exhale"]) == "; did you mean 'inhale'?"
    assert suggestion("zzz", ["inhale", "exhale"]) == ""
    assert suggestion("rian", iter(("ocean", "rain"))) == "; did you mean 'rain'?"


def test_close_matches_list_the_closest_first() -> None:
    assert close_matches("en-uk", ["de", "en-gb", "en-us", "fr"]) == ["en-us", "en-gb"]
    assert close_matches("xx", ["en", "de"]) == []
    assert close_matches("breath", ["breathe", "breadth", "bread"], limit=2) == [
        "breathe",
        "breadth",
    ]


def test_close_matches_can_ignore_case_and_keep_the_spelling() -> None:
    assert close_matches("EN-US", ["en-us", "de"]) == []
    assert close_matches("EN-US", ["en-us", "de"], ignore_case=True) == ["en-us"]
    assert close_matches("english", ["English_RP", "german"], ignore_case=True) == ["English_RP"]
