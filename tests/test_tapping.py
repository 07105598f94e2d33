"""Taking a partner's pace while a practice plays: the taps and what each one changes."""

from __future__ import annotations

from fractions import Fraction

from coreg_audio.live.tapping import Tapping
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import Timeline
from coreg_audio.timeline.placer import TapResult
from coreg_audio.units import SAMPLE_RATE_HZ, seconds_to_samples

from .conftest import FakeSpeech, script_from

S = SAMPLE_RATE_HZ

SCRIPT = """\
title: Tapping
lead: 1
tones: none
meet: 2-3
steps:
  - tap: {breaths: 3, whose: "{b}"}
  - breathe: {cycles: 2, pattern: met, guide: 0}
params: {b: Alex}
"""


def live(results: dict[int, TapResult] | None = None) -> Timeline:
    return compile_timeline(script_from(SCRIPT), FakeSpeech(), results, live=True)


def started() -> tuple[Tapping, Timeline, int]:
    timeline = live()
    tapping = Tapping()
    start = timeline.tap_events()[0].start_samples
    tapping.follow(timeline, start + 10)
    return tapping, timeline, start


def test_a_tap_step_is_taken_once_the_play_reaches_it() -> None:
    timeline = live()
    tapping = Tapping()
    tapping.follow(timeline, 10)
    assert not tapping.taking and not tapping.tap(20)
    start = timeline.tap_events()[0].start_samples
    tapping.follow(timeline, start)
    assert tapping.taking
    shown = tapping.shown(start)
    assert shown is not None and (shown.whose, shown.taps_left, shown.next_breath) == (
        "Alex",
        4,
        "in",
    )


def test_each_tap_moves_the_end_two_cycles_of_meet_on_then_the_last_is_expected() -> None:
    tapping, _, start = started()
    wait = seconds_to_samples(10)
    first = start + S
    assert tapping.tap(first)
    assert tapping.results == {0: TapResult(first + wait, None)}
    assert tapping.tap(first + 4 * S)
    assert tapping.results[0] == TapResult(first + 4 * S + wait, None)
    version = tapping.version
    assert tapping.tap(first + 8 * S)
    expected = tapping.results[0]
    assert expected.end_samples == first + 12 * S, "where the last tap is expected"
    assert expected.met is not None and expected.met.cycle_s == 4
    assert tapping.version == version + 1
    assert tapping.shown(first + 9 * S).taps_left == 1  # type: ignore[union-attr]


def test_the_last_tap_ends_the_step_where_it_came_with_the_taps_median() -> None:
    tapping, _, start = started()
    taps = [start + S, start + 4 * S, start + 8 * S, start + 13 * S]
    for tap in taps:
        tapping.tap(tap)
    result = tapping.results[0]
    assert result.end_samples == taps[-1]
    assert result.met is not None and result.met.cycle_s == 4
    assert result.met.inhale_s == Fraction(8, 5) and result.met.exhale_s == Fraction(12, 5)
    assert not tapping.taking
    shown = tapping.shown(taps[-1] + S)
    assert shown is not None and shown.tapped and shown.met == result.met
    assert tapping.shown(taps[-1] + 9 * S) is None, "said for a while, then gone"


def test_without_taps_for_two_cycles_it_goes_on_with_meet() -> None:
    tapping, timeline, start = started()
    tapping.follow(timeline, start + seconds_to_samples(9))
    assert tapping.taking
    tapping.follow(timeline, start + seconds_to_samples(10))
    assert not tapping.taking
    assert tapping.results == {0: TapResult(start + seconds_to_samples(10), None)}
    shown = tapping.shown(start + seconds_to_samples(11))
    assert shown is not None and not shown.tapped and shown.met is not None
    assert shown.met.cycle_s == 5
    assert not tapping.tap(start + seconds_to_samples(12)), "a step once done is not taken again"


def test_a_tap_before_the_step_or_twice_at_once_counts_once() -> None:
    tapping, _, start = started()
    assert not tapping.tap(start - 5)
    assert tapping.tap(start + S) and tapping.tap(start + S)
    assert tapping.shown(start + S).taps_left == 3  # type: ignore[union-attr]


def test_jumping_back_before_the_step_forgets_its_taps() -> None:
    tapping, timeline, start = started()
    tapping.tap(start + S)
    version = tapping.version
    tapping.follow(timeline, start - S)
    assert not tapping.taking and tapping.results == {} and tapping.version == version + 1


def test_with_both_the_taps_take_turns_in_and_out() -> None:
    timeline = compile_timeline(
        script_from(SCRIPT.replace("breaths: 3,", "breaths: 2, phases: both,")),
        FakeSpeech(),
        live=True,
    )
    tapping = Tapping()
    start = timeline.tap_events()[0].start_samples
    tapping.follow(timeline, start)
    nexts = []
    for k, at_s in enumerate((1, 2.5, 5, 6.5, 9)):
        nexts.append(tapping.shown(start).next_breath)  # type: ignore[union-attr]
        tapping.tap(start + seconds_to_samples(Fraction(at_s)))
        assert tapping.taking == (k < 4)
    assert nexts == ["in", "out", "in", "out", "in"]
    met = tapping.results[0].met
    assert met is not None and (met.inhale_s, met.exhale_s) == (Fraction(3, 2), Fraction(5, 2))
