"""Whole-script checks, all before any audio is made."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import pytest

from coreg_audio.errors import ScriptError
from coreg_audio.format.breathe import Breathe
from coreg_audio.format.validate import (
    expanded_step_count,
    minimum_duration_s,
    validate,
)

from .conftest import script_from


def problems(text: str, folder: Path | None = None) -> list[str]:
    with pytest.raises(ScriptError) as caught:
        validate(script_from(text, folder=folder))
    return caught.value.lines()


def test_unknown_placeholder_points_at_it() -> None:
    assert problems('title: T\nsteps:\n  - say: "Hello {a}, and {c}"\n') == [
        "test.yaml:3:17: error: in the text of step 1: the placeholder {a} has no value; add it "
        "under 'params:', pass --set a=..., or write {a|words} to say words when no value is "
        "given (params: none are defined)",
        "test.yaml:3:26: error: in the text of step 1: the placeholder {c} has no value; add it "
        "under 'params:', pass --set c=..., or write {c|words} to say words when no value is "
        "given (params: none are defined)",
    ]


def test_placeholder_in_a_folded_text_points_at_the_text() -> None:
    lines = problems("title: T\nparams: {a: x}\nsteps:\n  - say: >\n      Hello\n      {b}\n")
    assert lines[0].startswith(
        "test.yaml:4:10: error: in the text of step 1: the placeholder {b} has no value"
    )


def test_placeholders_in_cues_are_checked() -> None:
    lines = problems("title: T\nsteps:\n  - breathe: {cycles: 1, cues: {inhale: 'In {x}'}}\n")
    assert lines[0].startswith("test.yaml:3:45: error: in the inhale cue of step 1:")


def test_text_empty_after_filling() -> None:
    lines = problems('title: T\nparams: {a: "..."}\nsteps:\n  - say: "{a}"\n')
    assert lines == [
        "test.yaml:4:11: error: the text of step 1 has nothing to speak once its "
        "placeholders are filled ('...')"
    ]


def test_unknown_voice_name_suggests() -> None:
    lines = problems(
        "title: T\nvoices: {soft: {rate: 100}}\nsteps:\n  - say: {text: Hi, voice: sfot}\n"
    )
    assert lines == [
        "test.yaml:4:28: error: step 1 uses voice 'sfot', which is not defined; "
        "did you mean 'soft'? (voices: soft)"
    ]


def test_ambience_file_must_exist(tmp_path: Path) -> None:
    lines = problems("title: T\nambience: oceans\nsteps: [{pause: 1}]\n", folder=tmp_path)
    assert lines[0].startswith("test.yaml:2:11: error: 'oceans' is neither a built-in ambience")
    assert lines[0].endswith("did you mean 'ocean'?")
    (tmp_path / "waves.ogg").write_bytes(b"x")
    validate(script_from("title: T\nambience: waves.ogg\nsteps: [{pause: 1}]\n", folder=tmp_path))


UNUSABLE_NAMES = {
    "too long": ("x" * 300 + ".wav", "cannot be a file: the name is too long for this computer's"),
    "NUL": ('"rain\\0.wav"', "'sound' holds a control character (#x0000), which cannot be"),
    "unknown home": (
        "~no-such-user-here/rain.wav",
        "cannot be a file: '~no-such-user-here' names a home folder",
    ),
}


@pytest.mark.parametrize("case", UNUSABLE_NAMES)
def test_an_ambience_name_the_system_refuses_is_a_located_error(tmp_path: Path, case: str) -> None:
    name, reason = UNUSABLE_NAMES[case]
    lines = problems(f"title: T\nambience: {{sound: {name}}}\nsteps: [{{pause: 1}}]\n", tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith("test.yaml:2:19: error: ambience '")
    assert reason in lines[0]


def test_an_ambience_folder_is_named_so(tmp_path: Path) -> None:
    (tmp_path / "sounds").mkdir()
    lines = problems("title: T\nambience: sounds\nsteps: [{pause: 1}]\n", tmp_path)
    assert lines == [
        f"test.yaml:2:11: error: ambience 'sounds' is a folder ({tmp_path / 'sounds'}); "
        "give an audio file"
    ]


def test_four_hour_cap_is_found_in_milliseconds() -> None:
    began = time.perf_counter()
    lines = problems("""
        title: T
        steps:
          - repeat:
              times: 100
              steps:
                - repeat: {times: 100, steps: [{breathe: {cycles: 1000}}]}
    """)
    assert time.perf_counter() - began < 2
    assert lines == [
        "test.yaml:2:1: error: the practice would last at least 27777:46:44; at "
        "most 4:00:00 is allowed"
    ]


def test_expanded_steps_are_capped() -> None:
    lines = problems("""
        title: T
        steps:
          - repeat: {times: 1000, steps: [{repeat: {times: 1000, steps: [section: S]}}]}
    """)
    assert lines == [
        "test.yaml:2:1: error: the steps expand to 1,000,000 steps once repeated; at most 200,000"
    ]


def test_just_under_four_hours_is_fine() -> None:
    validate(
        script_from(
            "title: T\nlead: 0\ntail: 0\nsteps:\n  - repeat: {times: 4, steps: [{pause: 3600}]}\n"
        )
    )
    assert problems(
        "title: T\nlead: 0\ntail: 0.001\nsteps:\n  - repeat: {times: 4, steps: [{pause: 3600}]}\n"
    )


def test_durations_without_speech() -> None:
    script = script_from("""
        title: T
        gap: 2
        steps:
          - say: Hi
          - say: {text: Hi, after: 0.5}
          - bell: {strikes: 2, every: 3, ring: 4}
          - breathe: {cycles: 3, pattern: 2-4, to: 4-8}
          - rock: {cycles: 2, period: 5}
          - walk: {steps: 10, pace: 120}
          - repeat: {times: 3, steps: [{pause: 1}]}
    """)
    expected = 2 + Fraction(1, 2) + 7 + 3 * (6 + 12) / 2 + 10 + 5 + 3
    assert minimum_duration_s(script, script.steps) == expected
    assert expanded_step_count(script.steps) == 9
    breathe = script.steps[3]
    assert isinstance(breathe, Breathe) and breathe.duration_s(script) == 27
