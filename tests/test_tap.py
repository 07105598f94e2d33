"""The tap step and ``pattern: met``, case by case as practice-format.md states them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from coreg_audio.errors import OptionError, ScriptError
from coreg_audio.format.model import BUILT_IN
from coreg_audio.format.overrides import Overrides
from coreg_audio.format.patterns import parse_pattern_text
from coreg_audio.format.tap import met_pace, taps_needed
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import Timeline
from coreg_audio.timeline.placer import TapResult
from coreg_audio.units import SAMPLE_RATE_HZ, seconds_to_samples

from .conftest import FakeSpeech, script_from

F = Fraction


def pattern(text: str) -> tuple[Fraction, ...]:
    found = parse_pattern_text(text, BUILT_IN)
    return (found.inhale_s, found.hold_s, found.exhale_s, found.rest_s)


def phases_of(found: object) -> tuple[Fraction, ...]:
    return (found.inhale_s, found.hold_s, found.exhale_s, found.rest_s)  # type: ignore[attr-defined]


# (what the spec says, meet, phases, tap times, the pace met)
MET_CASES = [
    (
        "the median cycle of the tapped breaths, split as meet is",
        "4-6",
        "inhale",
        [F(0), F(3), F(6), F(9), F(12)],
        (F(6, 5), F(0), F(9, 5), F(0)),
    ),
    (
        "the median, so one stray breath does not count",
        "3-4",
        "inhale",
        [F(0), F(5), F(10), F(30), F(35)],
        (F(15, 7), F(0), F(20, 7), F(0)),
    ),
    (
        "an even count of breaths: the mean of the middle two",
        "2-3",
        "inhale",
        [F(0), F(4), F(9), F(15), F(20)],
        (F(2), F(0), F(3), F(0)),
    ),
    (
        "hold and rest keep their share of meet",
        "4-2-6-2",
        "inhale",
        [F(0), F(7), F(14)],
        (F(2), F(1), F(3), F(1)),
    ),
    (
        "with both, the median measured split",
        "4-6",
        "both",
        [F(0), F(2), F(5), F(7), F(10)],
        (F(2), F(0), F(3), F(0)),
    ),
    (
        "every phase kept within its range: a quick pace",
        "4-6",
        "inhale",
        [F(0), F(1, 2), F(1), F(3, 2)],
        (F(1, 2), F(0), F(1, 2), F(0)),
    ),
    (
        "every phase kept within its range: a slow pace",
        "1-1",
        "inhale",
        [F(0), F(200), F(400)],
        (F(60), F(0), F(60), F(0)),
    ),
]


@pytest.mark.parametrize(("said", "meet", "phases", "taps", "met"), MET_CASES)
def test_the_pace_met(
    said: str, meet: str, phases: str, taps: list[Fraction], met: tuple[Fraction, ...]
) -> None:
    found = met_pace(taps, parse_pattern_text(meet, BUILT_IN), phases, BUILT_IN)
    assert phases_of(found) == met, said


@pytest.mark.parametrize(("breaths", "phases", "taps"), [(4, "inhale", 5), (2, "both", 5)])
def test_taps_span_whole_breaths(breaths: int, phases: str, taps: int) -> None:
    assert taps_needed(breaths, phases) == taps


TAPPING = """\
title: Meeting
lead: 1
gap: 0
tones: none
meet: 3-4
pattern: 4-6
steps:
  - tap: 4
  - breathe: {cycles: 2, pattern: met, to: 4-6, guide: 0}
  - breathe: {cycles: 1, guide: 0}
"""


def timed(text: str, **options: object) -> Timeline:
    script = script_from(text)
    if "met" in options:
        script = Overrides(met=str(options.pop("met"))).apply(script)
    return compile_timeline(script, FakeSpeech(), **options)  # type: ignore[arg-type]


def phase_starts(timeline: Timeline) -> list[tuple[str, float]]:
    return [(span.phase, span.start_samples / SAMPLE_RATE_HZ) for span in timeline.breaths]


def test_on_the_timeline_a_tap_lasts_breaths_cycles_of_meet_and_meets_meet() -> None:
    timeline = timed(TAPPING)
    (tap,) = timeline.tap_events()
    assert (tap.start_samples, tap.end_samples) == (seconds_to_samples(1), seconds_to_samples(29))
    assert tap.to_json() == {
        "kind": "tap",
        "start": 1.0,
        "end": 29.0,
        "breaths": 4,
        "phases": "inhale",
        "met": {"inhale": 3.0, "hold": 0.0, "exhale": 4.0, "rest": 0.0},
        "step": "1",
    }
    assert phase_starts(timeline) == [
        ("inhale", 29.0),
        ("exhale", 32.0),
        ("inhale", 36.0),
        ("exhale", 40.0),
        ("inhale", 46.0),
        ("exhale", 50.0),
    ], "met, then to leads from it; a step without 'pattern' keeps the script's"


def test_met_given_for_the_run_times_the_met_steps_but_not_the_tap() -> None:
    timeline = timed(TAPPING, met="2-2")
    (tap,) = timeline.tap_events()
    assert tap.end_samples == seconds_to_samples(29), "the tap still lasts breaths cycles of meet"
    assert phase_starts(timeline)[:3] == [("inhale", 29.0), ("exhale", 31.0), ("inhale", 33.0)]


def test_met_without_a_tap_is_meet_and_meet_defaults_to_pattern() -> None:
    timeline = timed("""\
        title: No tap
        lead: 0
        tones: none
        pattern: 2-3
        steps:
          - breathe: {cycles: 1, pattern: met, guide: 0}
        """)
    assert phase_starts(timeline) == [("inhale", 0.0), ("exhale", 2.0)]


def test_a_live_play_waits_two_cycles_of_meet_then_times_from_the_last_tap() -> None:
    waiting = timed(TAPPING, live=True)
    assert waiting.tap_events()[0].end_samples == seconds_to_samples(15)
    last_tap = seconds_to_samples(F(2213, 100))
    met = parse_pattern_text("1.2-1.8", BUILT_IN)
    tapped = timed(TAPPING, live=True, taps={0: TapResult(last_tap, met)})
    assert tapped.tap_events()[0].end_samples == last_tap
    assert tapped.breaths[0].start_samples == last_tap
    assert tapped.breaths[1].start_samples == last_tap + seconds_to_samples(F(6, 5))
    assert tapped.tap_events()[0].start_samples == waiting.tap_events()[0].start_samples
    assert tapped.tap_events()[0].met == met


def test_pace_leaves_met_steps_alone() -> None:
    script = Overrides(pace="5-5").apply(script_from(TAPPING))
    timeline = compile_timeline(script, FakeSpeech())
    assert phase_starts(timeline)[:2] == [("inhale", 29.0), ("exhale", 32.0)]
    assert phase_starts(timeline)[-2:] == [("inhale", 46.0), ("exhale", 51.0)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  - tap: 1", "test.yaml:3:10: error: the breaths of step 1 (tap) must be from 2 to 12"),
        (
            "  - tap: {phases: out}",
            "test.yaml:3:19: error: 'phases' in step 1 (tap) must be one of inhale, both",
        ),
        (
            "  - breathe: {cycles: 2, pattern: mett}",
            "test.yaml:3:35: error: 'pattern' in step 1 (breathe) 'mett' is neither a pattern "
            "nor 'met'; did you mean 'met'?",
        ),
        (
            "  - rock: {cycles: 2, facing: maybe}",
            "test.yaml:3:31: error: 'facing' in step 1 (rock) must be true or false",
        ),
    ],
)
def test_mistakes_are_located(text: str, message: str) -> None:
    with pytest.raises(ScriptError) as raised:
        script_from(f"title: T\nsteps:\n{text}\n")
    assert any(line.startswith(message) for line in raised.value.lines()), raised.value.lines()


def test_a_bad_met_option_names_the_option() -> None:
    with pytest.raises(OptionError) as raised:
        Overrides(met="3", names={"met": "--met"}).check()
    assert "--met" in str(raised.value)
