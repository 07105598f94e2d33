"""What the screen says at a sample, as plain data: the breath, the words, the side."""

from __future__ import annotations

import pytest

from coreg_audio.live.screen_state import LINGER_S, Breath, ScreenIndex, fullness, state_at
from coreg_audio.units import SAMPLE_RATE_HZ, seconds_to_samples

from .test_screen import GLIDE, timeline

S = SAMPLE_RATE_HZ


def test_with_chimes_the_pacer_still_shows_the_rest_and_a_ramps_last_breath() -> None:
    index = ScreenIndex(
        timeline("""\
        title: Chimes
        lead: 0
        tones: chime
        steps:
          - breathe: {cycles: 2, pattern: 2-0-4-2, to: 4-0-8-2}
        """)
    )
    assert index.state_at(7 * S).breath == Breath("rest", 0.0, 1.0)
    last_exhale = index.state_at(14 * S).breath
    assert last_exhale is not None and last_exhale.phase == "exhale"
    assert last_exhale.left_s == 6.0 and last_exhale.word == "Out"
    assert index.state_at(21 * S).breath == Breath("rest", 0.0, 1.0)


def test_with_neither_tones_nor_cues_the_pacer_still_follows_the_breath() -> None:
    index = ScreenIndex(
        timeline("""\
        title: Quiet
        lead: 0
        tones: none
        steps:
          - breathe: {cycles: 4, pattern: 4-6, guide: 1}
        """)
    )
    assert index.state_at(31 * S).breath == Breath("inhale", 0.25, 3.0, "In")


@pytest.mark.parametrize(
    ("phase", "progress", "size"),
    [
        ("inhale", 0.0, 0.0),
        ("inhale", 0.25, 0.25),
        ("inhale", 1.0, 1.0),
        ("hold", 0.5, 1.0),
        ("exhale", 0.0, 1.0),
        ("exhale", 0.75, 0.25),
        ("rest", 0.5, 0.0),
        ("inhale", 1.5, 1.0),
    ],
)
def test_the_pacer_grows_in_holds_and_shrinks_out(phase: str, progress: float, size: float) -> None:
    assert fullness(phase, progress) == size


def test_state_through_a_breath() -> None:
    index = ScreenIndex(timeline(GLIDE))
    one_in = index.state_at(2 * S)
    assert one_in.section == "Breathing" and one_in.title == "Glide"
    assert one_in.breath == Breath("inhale", 0.25, 3.0, "In")
    assert one_in.breath.seconds_left == 3
    assert one_in.words is None
    assert index.state_at(6 * S).breath == Breath("hold", 1.0, 1.0, "Hold")
    exhale = index.state_at(8 * S + S // 2).breath
    assert exhale is not None and exhale.phase == "exhale" and exhale.fullness == 0.75
    assert exhale.left_s == 4.5 and exhale.seconds_left == 5
    assert index.state_at(14 * S).breath == Breath("rest", 0.0, 1.0)
    assert index.state_at(0).breath is None and index.state_at(0).section == "Breathing"


def test_state_shows_the_words_being_spoken_and_the_time() -> None:
    line = timeline(GLIDE)
    said = next(event for event in line.events if event.kind == "speech")
    during = state_at(line, said.start_samples + 10)
    assert during.words == "Done." and during.breath is None
    assert state_at(line, said.end_samples + S).words == "Done.", "read to the end"
    assert state_at(line, said.end_samples + 2 * S).words is None
    assert during.elapsed_samples == said.start_samples + 10
    assert during.total_samples == line.duration_samples
    assert state_at(line, line.duration_samples + 999).elapsed_samples == line.duration_samples
    cue = state_at(line, seconds_to_samples(1) + 10)
    assert cue.words is None and cue.breath is not None and cue.breath.word == "In", (
        "a cue is the phase word, not words that come and go"
    )


def test_the_pacer_goes_on_while_words_are_spoken_over_the_breath() -> None:
    line = timeline("""\
        title: Over
        lead: 1
        steps:
          - breathe:
              cycles: 3
              pattern: 4-6
              guide: 0
              say: [{cycle: 2, text: "Let the out-breath be long and slow."}]
          - rock: {cycles: 2, period: 4, guide: 0, say: [{cycle: 2, text: Sway together.}]}
        """)
    over = [event for event in line.events if event.kind == "speech"]
    assert len(over) == 2
    for at_s in (0.1, 1.0, 2.0):
        state = state_at(line, over[0].start_samples + round(at_s * S))
        assert state.words == "Let the out-breath be long and slow."
        assert state.breath is not None and state.breath.phase == "exhale"
        assert state.breath.left_s == pytest.approx(6 - at_s)
    kept = state_at(line, over[0].end_samples + S)
    assert kept.words == "Let the out-breath be long and slow.", "kept a moment to be read"
    after = state_at(line, over[0].end_samples + round((LINGER_S + 0.1) * S))
    assert after.words is None and after.breath is not None
    sway = state_at(line, over[1].start_samples + S // 2)
    assert (sway.words, sway.side) == ("Sway together.", "left")


def test_rock_and_walk_show_the_side() -> None:
    line = timeline("""\
        title: Moving
        lead: 1
        steps:
          - section: Sway
          - rock: {cycles: 2, period: 4, guide: 0}
          - section: Walk
          - walk: {pace: 60, steps: 3}
          - pause: 5
        """)
    sides = [state_at(line, round(t * S)).side for t in (0.5, 1, 2.9, 3, 4.9, 5, 7, 8.99)]
    assert sides == [None, "left", "left", "right", "right", "left", "right", "right"]
    walk = [state_at(line, round(t * S)) for t in (9, 10.5, 11.2, 12.5)]
    assert [state.side for state in walk] == ["left", "right", "left", None]
    assert walk[0].section == "Walk"
