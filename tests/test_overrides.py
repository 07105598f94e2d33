"""Command-line overrides change a script for one run, and refuse bad values plainly."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from coreg_audio.errors import OptionError, ScriptError, UsageError
from coreg_audio.format.breathe import Breathe
from coreg_audio.format.model import Pattern, Voice
from coreg_audio.format.overrides import Overrides
from coreg_audio.format.steps import Repeat, Say
from coreg_audio.timeline.compile import compile_timeline

from .conftest import FakeSpeech, NoVoiceNamedNobody, script_from

SCRIPT = """
title: T
params: {a: Sam}
voice: {rate: 120}
voices: {low: {pitch: 10}}
tones: chime
ambience: {sound: rain, level: -30}
steps:
  - say: "Hi {a}"
  - say: {text: Low, voice: low}
  - say: {text: Own, voice: {rate: 100}}
  - breathe: {cycles: 2, pattern: 3-3, to: 4-6}
  - repeat: {times: 2, steps: [{breathe: {cycles: 1, tone: glide}}]}
"""


def test_no_overrides_change_nothing() -> None:
    script = script_from(SCRIPT)
    assert Overrides().apply(script) == script


def test_pace_replaces_every_starting_pattern_and_keeps_to() -> None:
    script = Overrides(pace="5-5").apply(script_from(SCRIPT))
    ramp = script.steps[3]
    assert isinstance(ramp, Breathe) and isinstance(ramp.pattern, Pattern)
    assert (ramp.pattern.inhale_s, ramp.pattern.exhale_s) == (Fraction(5), Fraction(5))
    assert ramp.to is not None and ramp.to.exhale_s == 6
    repeat = script.steps[4]
    assert isinstance(repeat, Repeat)
    nested = repeat.steps[0]
    assert isinstance(nested, Breathe) and isinstance(nested.pattern, Pattern)
    assert nested.pattern.inhale_s == 5
    assert script.pattern.inhale_s == 5


def test_set_fills_params() -> None:
    script = Overrides(params={"a": "Alex", "b": "Kim"}).apply(script_from(SCRIPT))
    assert script.params == {"a": "Alex", "b": "Kim"}
    timeline = compile_timeline(script, FakeSpeech())
    assert timeline.spoken_events()[0].text == "Hi Alex"


def test_voice_flags_replace_every_voice() -> None:
    script = Overrides(engine="espeak", voice="en-gb", rate_wpm=150).apply(script_from(SCRIPT))
    timeline = compile_timeline(script, FakeSpeech())
    voices = {e.voice for e in timeline.spoken_events()}
    assert {(v.engine, v.name, v.rate_wpm) for v in voices if v} == {("espeak", "en-gb", 150)}
    assert {v.pitch for v in voices if v} == {None, 10}
    own = script.steps[2]
    assert isinstance(own, Say) and isinstance(own.voice, Voice) and own.voice.rate_wpm == 150


def test_an_unknown_voice_option_is_an_option_error_named_as_the_caller_names_it() -> None:
    script = Overrides(voice="nobody", names={"voice": "--voice"}).apply(script_from(SCRIPT))
    with pytest.raises(OptionError, match=r"^--voice nobody: no pyttsx3 voice 'nobody'$") as caught:
        compile_timeline(script, NoVoiceNamedNobody())
    assert (caught.value.option, caught.value.value) == ("--voice", "nobody")
    assert caught.value.exit_code == UsageError.exit_code
    plain = Overrides(voice="nobody").apply(script_from(SCRIPT))
    with pytest.raises(OptionError, match=r"^voice nobody: no pyttsx3 voice 'nobody'$"):
        compile_timeline(plain, NoVoiceNamedNobody())


def test_a_rate_flag_leaves_an_unknown_voice_at_its_line() -> None:
    written = SCRIPT.replace("voices: {low: {pitch: 10}}", "voices: {low: {name: nobody}}")
    script = Overrides(rate_wpm=150).apply(script_from(written))
    with pytest.raises(ScriptError) as caught:
        compile_timeline(script, NoVoiceNamedNobody())
    assert [(p.line, p.column) for p in caught.value.problems] == [(4, 15)]


def test_tones_replace_every_breathe_style() -> None:
    script = Overrides(tones="none").apply(script_from(SCRIPT))
    timeline = compile_timeline(script, FakeSpeech())
    assert not [e for e in timeline.events if e.kind == "tone"]


def test_ambience_by_name_path_or_none(tmp_path: Path) -> None:
    script = Overrides(ambience="ocean").apply(script_from(SCRIPT))
    assert script.ambience is not None and script.ambience.sound == "ocean"
    assert script.ambience.level_db == -30
    sound = tmp_path / "sea.flac"
    sound.write_bytes(b"x")
    script = Overrides(ambience=str(sound)).apply(script_from(SCRIPT))
    assert script.ambience is not None and script.ambience.sound == str(sound.resolve())
    script = Overrides(ambience="none").apply(script_from(SCRIPT))
    assert script.ambience is not None and script.ambience.is_none
    plain = Overrides(ambience="rain").apply(script_from("title: T\nsteps: [{pause: 1}]\n"))
    assert plain.ambience is not None and plain.ambience.level_db == -20


FLAGS = {"pace": "--pace", "tones": "--tones", "engine": "--engine", "rate_wpm": "--rate"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (Overrides(pace="4"), "--pace 4: not a pattern"),
        (Overrides(pace="4-99"), "--pace 4-99: exhale must be from 0.5 to 60 seconds, not 99"),
        (Overrides(tones="bells"), "--tones must be one of glide, chime, none, not 'bells'"),
        (
            Overrides(engine="say"),
            "--engine must be one of auto, piper, pyttsx3, espeak, not 'say'",
        ),
        (Overrides(rate_wpm=20), "--rate must be from 80 to 300 words a minute, not 20"),
        (Overrides(ambience="/no/such.ogg"), "ambience /no/such.ogg: not a built-in sound"),
    ],
)
def test_bad_values_are_option_errors(overrides: Overrides, message: str) -> None:
    named = replace(overrides, names=FLAGS)
    with pytest.raises(OptionError) as caught:
        named.apply(script_from(SCRIPT))
    assert str(caught.value).startswith(message)
    with pytest.raises(OptionError) as checked:
        named.check()
    assert str(checked.value) == str(caught.value)
