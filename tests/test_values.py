"""Kinds of value: their bounds, choices and defaults as the definition uses them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from coreg_audio.format.keys import Key
from coreg_audio.format.model import BUILT_IN, Loc, Text
from coreg_audio.format.values import Choice, CueWords, json_value, real, seconds, whole


def test_json_value_writes_defaults_as_an_author_would() -> None:
    assert json_value(Fraction(5)) == 5 and isinstance(json_value(Fraction(5)), int)
    assert json_value(Fraction(1, 2)) == 0.5
    assert json_value(-20.0) == -20 and isinstance(json_value(-20.0), int)
    assert json_value(0.6) == 0.6
    assert json_value(False) is False
    assert json_value("glide") == "glide"
    with pytest.raises(TypeError):
        json_value(object())


def test_numbers_allow_what_their_range_text_says() -> None:
    pause = seconds(0, 3600, low_open=True)
    assert pause.range_text == "more than 0 and at most 3600"
    assert not pause.allows(0) and pause.allows(Fraction(1, 1000)) and pause.allows(3600)
    assert not pause.allows(3601)
    strikes = whole(1, 20)
    assert strikes.range_text == "from 1 to 20"
    assert strikes.allows(1) and not strikes.allows(Fraction(3, 2)) and not strikes.allows(0)
    inhale = seconds(Fraction(1, 2), 60)
    assert inhale.range_text == "from 0.5 to 60"
    pan = real(0, 1)
    assert pan.cast(Fraction(3, 5)) == 0.6 and isinstance(pan.cast(Fraction(1)), float)


def test_choices_allow_their_words_only() -> None:
    styles = Choice(("glide", "chime", "none"))
    assert styles.allows("chime") and not styles.allows("bells")
    assert styles.choices_text == "glide, chime, none"


def test_cue_words_fill_in_the_languages_defaults_and_keep_silence() -> None:
    words = CueWords(("inhale", "hold", "exhale", "rest"), needed=("inhale", "exhale"))
    written = Text("Breathe in", Loc(3, 5))
    cues = words.with_defaults({"inhale": written, "exhale": None}, "en")
    assert cues == {
        "inhale": written,
        "hold": Text("Hold", BUILT_IN),
        "exhale": None,
        "rest": None,
    }
    assert words.with_defaults({}, "en")["exhale"] == Text("Out", BUILT_IN)
    assert words.with_defaults({}, "de-AT")["exhale"] == Text("Aus", BUILT_IN)
    assert words.with_defaults({"inhale": written}, "cs") == {
        "inhale": written,
        "hold": None,
        "exhale": None,
        "rest": None,
    }


def test_a_key_without_a_default_has_no_fallback() -> None:
    assert Key("lead", seconds(0, 600), "before", default=Fraction(1)).fallback == 1
    with pytest.raises(ValueError, match="'summary' has no default"):
        _ = Key("summary", seconds(0, 1), "one line").fallback
