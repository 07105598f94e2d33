"""The ``say`` list of breathe, rock and walk: reading, checking, voices and fitting.

Quick tests with the fake voice; ``test_speaking_over.py`` runs the spec's
cases with the real engine, and ``test_render.py`` hears the items in a track.
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest

from coreg_audio.errors import ScriptError
from coreg_audio.format.loader import parse_script_bytes
from coreg_audio.format.model import Script, Voice, VoiceRef
from coreg_audio.format.over import OverItem
from coreg_audio.format.overrides import Overrides
from coreg_audio.format.steps import walk_steps
from coreg_audio.practice import checked_script
from coreg_audio.timeline.compile import compile_timeline, spoken_requests
from coreg_audio.timeline.events import (
    CueEvent,
    SpeechEvent,
    SpeechOverEvent,
    Timeline,
)
from coreg_audio.units import seconds_to_samples

from .conftest import FakeSpeech, script_from


def checked(text: str, overrides: Overrides | None = None) -> Script:
    """Read, override and check ``text`` as ``load`` does."""
    body = textwrap.dedent(text).lstrip("\n").encode()
    return checked_script(parse_script_bytes(body, Path("t.yaml"), "t.yaml"), "t", overrides)


def problems(text: str) -> list[str]:
    with pytest.raises(ScriptError) as caught:
        script = checked(text)
        compile_timeline(script, FakeSpeech())
    return [line.split(": error: ", 1)[1] for line in caught.value.lines()]


def compiled(text: str, overrides: Overrides | None = None) -> Timeline:
    return compile_timeline(checked(text, overrides), FakeSpeech())


def items(timeline: Timeline) -> list[SpeechOverEvent]:
    return [event for event in timeline.events if isinstance(event, SpeechOverEvent)]


def items_of(script: Script) -> tuple[OverItem, ...]:
    found: tuple[OverItem, ...] = ()
    for step in walk_steps(script.steps):
        found += getattr(step, "say", ())
    return found


def at(seconds: float) -> int:
    return seconds_to_samples(seconds)


BREATHE = """
title: T
lead: 1
tail: 1
steps:
  - breathe:
      cycles: 4
      pattern: 4-6
      guide: 1
      say:
        - {cycle: 2, text: Let it go.}
        - {cycle: 3, phase: inhale, text: Again.}
  - say: After.
"""


def test_an_item_starts_at_its_phase_and_the_step_keeps_its_time() -> None:
    timeline = compiled(BREATHE)
    spoken = items(timeline)
    assert [(e.start_samples, e.text, e.phase, e.cycle, e.step) for e in spoken] == [
        (at(1 + 10 + 4), "Let it go.", "exhale", 2, "1"),
        (at(1 + 20), "Again.", "inhale", 3, "1"),
    ]
    after = next(e for e in timeline.events if isinstance(e, SpeechEvent) and e.text == "After.")
    assert after.start_samples == at(41)
    assert not isinstance(after, SpeechOverEvent)


def test_the_default_phase_is_the_exhale_for_breathe_and_left_for_rock() -> None:
    timeline = compiled("""
        title: T
        lead: 0
        steps:
          - breathe: {cycles: 2, pattern: 2-3, guide: 0, say: [{cycle: 2, text: Out.}]}
          - rock: {cycles: 2, period: 4, guide: 0, say: [{cycle: 2, text: Left.}]}
          - walk: {steps: 4, pace: 60, say: [{cycle: 3, text: Step.}, {cycle: 4, text: On.}]}
    """)
    assert [(e.start_samples, e.phase, e.cycle) for e in items(timeline)] == [
        (at(7), "exhale", 2),
        (at(10 + 4), "left", 2),
        (at(18 + 2), "left", 3),
        (at(18 + 3), "right", 4),
    ]


def test_the_list_may_be_written_beside_the_step_word() -> None:
    inside = script_from("""
        title: T
        steps:
          - rock: {cycles: 2, guide: 0, say: [{cycle: 2, phase: right, text: Back.}]}
    """)
    beside = script_from("""
        title: T
        steps:
          - rock: {cycles: 2, guide: 0}
            say:
              - {cycle: 2, phase: right, text: Back.}
    """)
    assert [(i.cycle, i.phase, i.text.source) for i in items_of(inside)] == [(2, "right", "Back.")]
    assert [(i.cycle, i.phase, i.text.source) for i in items_of(beside)] == [(2, "right", "Back.")]


def test_a_say_step_beside_a_breathe_step_is_still_two_steps() -> None:
    assert problems("""
        title: T
        steps:
          - breathe: {cycles: 2}
            say: Hello.
    """) == ["step 1 has both 'breathe' and 'say'; put each in its own step (a new '- ' line)"]


def test_items_are_filled_spoken_in_their_voice_and_asked_for_in_one_batch() -> None:
    text = """
        title: T
        params: {a: Sam}
        voice: {rate: 130}
        voices: {soft: {rate: 110, volume: 0.8}}
        steps:
          - breathe:
              cycles: 3
              pattern: 4-6
              guide: 0
              say:
                - {cycle: 1, text: "{a}, rest."}
                - {cycle: 2, text: "{b|Both of you}, rest.", voice: soft}
                - {cycle: 3, text: Slowly., voice: {rate: 120, pitch: 40}}
    """
    timeline = compiled(text)
    spoken = items(timeline)
    assert [e.text for e in spoken] == ["Sam, rest.", "Both of you, rest.", "Slowly."]
    assert [(e.voice.rate_wpm, e.volume) for e in spoken] == [(130, 1.0), (110, 0.8), (120, 1.0)]
    assert spoken[2].voice.pitch == 40
    asked = {(words, voice.rate_wpm) for words, voice in spoken_requests(checked(text))}
    assert asked == {("Sam, rest.", 130), ("Both of you, rest.", 110), ("Slowly.", 120)}


def test_a_runs_voice_reaches_every_item() -> None:
    text = """
        title: T
        voices: {soft: {rate: 110}}
        steps:
          - walk:
              steps: 40
              say:
                - {cycle: 1, text: One.}
                - {cycle: 10, text: Two., voice: soft}
                - {cycle: 20, text: Three., voice: {pitch: 30}}
    """
    timeline = compiled(text, Overrides(voice="en-gb", rate_wpm=150))
    assert [(e.voice.name, e.voice.rate_wpm) for e in items(timeline)] == [
        ("en-gb", 150),
        ("en-gb", 150),
        ("en-gb", 150),
    ]
    script = checked(text, Overrides(voice="en-gb"))
    own = items_of(script)[2].voice
    assert isinstance(own, Voice) and (own.name, own.pitch) == ("en-gb", 30)
    assert isinstance(items_of(script)[1].voice, VoiceRef)


def test_an_item_is_spoken_faster_to_end_before_the_next_spoken_words() -> None:
    # The fake voice takes 0.15 s + 0.06 s a character at 140 words a minute:
    # 33 characters are 2.13 s, and the next cue comes 2 s later.
    timeline = compiled("""
        title: T
        lead: 0
        steps:
          - breathe:
              cycles: 3
              pattern: 2-2
              guide: 0
              say:
                - {cycle: 1, phase: inhale, text: "Thirty-three characters in here.."}
                - {cycle: 1, text: Out.}
    """)
    first, second = items(timeline)
    assert first.voice.rate_wpm > 140
    assert first.end_samples <= second.start_samples == at(2)


def test_cues_end_before_an_item_that_follows_them() -> None:
    timeline = compiled("""
        title: T
        lead: 0
        steps:
          - breathe:
              cycles: 2
              pattern: 2-2
              guide: 1
              cues: {exhale: ""}
              say: [{cycle: 1, text: Out.}]
    """)
    cue = next(e for e in timeline.events if isinstance(e, CueEvent))
    assert cue.text == "In" and cue.end_samples <= items(timeline)[0].start_samples == at(2)


def test_a_repeated_step_speaks_its_items_in_every_pass() -> None:
    timeline = compiled("""
        title: T
        lead: 0
        steps:
          - repeat:
              times: 3
              steps:
                - breathe: {cycles: 1, pattern: 1-2, guide: 0, say: [{cycle: 1, text: Go.}]}
    """)
    assert [(e.start_samples, e.step) for e in items(timeline)] == [
        (at(1), "1.1"),
        (at(4), "1.1"),
        (at(7), "1.1"),
    ]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "breathe: {cycles: 2, pattern: 2-2, guide: 0, say: [{cycle: 1, text: "
            "A sentence much too long for two seconds.}, {cycle: 2, phase: inhale, text: Hi.}]}",
            "'say' item 1 of step 1 (breathe), cycle 1, exhale: the words 'A sentence much "
            "too long for two seconds.' need 2.61 s (2.09 s spoken 1.25x faster) but have "
            "2.00 s before the step's next spoken words; start them earlier, shorten them or "
            "raise the voice's rate",
        ),
        (
            "rock: {cycles: 1, period: 2, guide: 0, say: [{cycle: 1, phase: right, text: "
            "Too long for the half.}]}",
            "'say' item 1 of step 1 (rock), cycle 1, right: the words 'Too long for the half.' "
            "need 1.47 s (1.18 s spoken 1.25x faster) but have 1.00 s before the step ends; "
            "start them earlier, shorten them or raise the voice's rate",
        ),
        (
            "walk: {steps: 3, pace: 120, say: [{cycle: 3, text: Too long for a step.}]}",
            "'say' item 1 of step 1 (walk), step 3: the words 'Too long for a step.' need "
            "1.35 s (1.08 s spoken 1.25x faster) but have 0.50 s before the step ends; start "
            "them earlier, shorten them or raise the voice's rate",
        ),
    ],
)
def test_an_item_that_cannot_fit_names_what_it_needs_and_has(step: str, message: str) -> None:
    assert problems(f"title: T\nsteps:\n  - {step}\n") == [message]


def test_a_misfit_is_reported_at_the_items_words() -> None:
    script = checked("""
        title: T
        steps:
          - walk:
              steps: 3
              pace: 120
              say:
                - {cycle: 3, text: Too long for a step.}
    """)
    with pytest.raises(ScriptError) as caught:
        compile_timeline(script, FakeSpeech())
    assert caught.value.lines()[0].startswith("t.yaml:7:28: error: 'say' item 1 of step 1")


def test_a_misfit_in_a_repeated_step_is_reported_once() -> None:
    found = problems("""
        title: T
        steps:
          - repeat:
              times: 4
              steps:
                - breathe:
                    cycles: 1
                    pattern: 1-1
                    guide: 0
                    say: [{cycle: 1, text: Far too long for one second.}]
    """)
    assert len(found) == 1 and found[0].startswith("'say' item 1 of step 1.1 (breathe), cycle 1")


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "breathe: {cycles: 2, guide: 0, say: [{cycle: 3, text: Late.}]}",
            "'cycle' 3 of 'say' item 1 of step 1 (breathe) is past the step's 2 cycles; "
            "choose one from 1 to 2",
        ),
        (
            "breathe: {minutes: 0.5, guide: 0, say: [{cycle: 4, text: Late.}]}",
            "'cycle' 4 of 'say' item 1 of step 1 (breathe) is past the step's 3 cycles; "
            "choose one from 1 to 3",
        ),
        (
            "rock: {cycles: 2, guide: 0, say: [{cycle: 3, text: Late.}]}",
            "'cycle' 3 of 'say' item 1 of step 1 (rock) is past the step's 2 sways; "
            "choose one from 1 to 2",
        ),
        (
            "walk: {steps: 2, say: [{cycle: 3, text: Late.}]}",
            "'cycle' 3 of 'say' item 1 of step 1 (walk) is past the step's 2 steps; "
            "choose one from 1 to 2",
        ),
        (
            "breathe: {cycles: 2, guide: 0, say: [{cycle: 1, phase: rest, text: Rest.}]}",
            "'say' item 1 of step 1 (breathe) starts at the rest of cycle 1, which has no rest "
            "(its length is 0); choose another phase",
        ),
        (
            "breathe: {cycles: 2, guide: 0, say: [{cycle: 1, text: A.}, {cycle: 1, text: B.}]}",
            "'say' item 2 of step 1 (breathe) starts together with item 1; give each its own "
            "cycle or phase",
        ),
        (
            "rock: {cycles: 2, guide: 0, say: [{cycle: 1, text: A.}, "
            "{cycle: 1, phase: left, text: B.}]}",
            "'say' item 2 of step 1 (rock) starts together with item 1; give each its own "
            "cycle or phase",
        ),
        (
            "walk: {steps: 4, say: [{cycle: 2, text: A.}, {cycle: 2, text: B.}]}",
            "'say' item 2 of step 1 (walk) starts together with item 1; give each its own "
            "cycle or phase",
        ),
        (
            "breathe: {cycles: 3, guide: 2, say: [{cycle: 2, text: Out.}]}",
            "'say' item 1 of step 1 (breathe) starts together with the cue 'Out' of cycle 2; "
            "choose a cycle after the first 'guide' cycles, or a phase without a cue",
        ),
        (
            "rock: {cycles: 3, cues: {right: Back}, say: [{cycle: 1, phase: right, text: B.}]}",
            "'say' item 1 of step 1 (rock) starts together with the cue 'Back' of cycle 1; "
            "choose a cycle after the first 'guide' cycles, or a phase without a cue",
        ),
    ],
)
def test_an_item_out_of_place_is_refused_before_any_speech(step: str, message: str) -> None:
    with pytest.raises(ScriptError) as caught:
        checked(f"title: T\npattern: 4-6\nsteps:\n  - {step}\n")
    assert [line.split(": error: ", 1)[1] for line in caught.value.lines()] == [message]


def test_a_pace_from_the_command_line_can_take_a_phase_away() -> None:
    text = """
        title: T
        steps:
          - breathe:
              cycles: 2
              pattern: 4-2-6
              guide: 0
              say: [{cycle: 1, phase: hold, text: Hm.}]
    """
    assert items(compiled(text))[0].phase == "hold"
    with pytest.raises(ScriptError) as caught:
        checked(text, Overrides(pace="4-6"))
    assert "starts at the hold of cycle 1, which has no hold" in caught.value.lines()[0]


def test_silent_cues_leave_their_phase_free() -> None:
    timeline = compiled("""
        title: T
        lead: 0
        steps:
          - rock:
              cycles: 2
              period: 4
              cues: {right: ""}
              say: [{cycle: 1, phase: right, text: B.}]
    """)
    assert [(e.start_samples, e.cycle) for e in items(timeline)] == [(at(2), 1)]


def test_an_item_never_overlaps_a_cue_or_count() -> None:
    timeline = compiled("""
        title: T
        steps:
          - breathe:
              cycles: 6
              pattern: 4-1-6
              count: true
              guide: 3
              cues: {hold: ""}
              say:
                - {cycle: 3, phase: hold, text: Not over a cue.}
                - {cycle: 5, phase: inhale, text: Nor over another item.}
                - {cycle: 5, phase: hold, text: Nor over the end.}
    """)
    spoken = sorted(timeline.spoken_events(), key=lambda e: e.start_samples)
    assert any(isinstance(e, SpeechOverEvent) for e in spoken)
    for one, two in itertools.pairwise(spoken):
        assert one.end_samples <= two.start_samples, (one.text, two.text)
    assert timeline.duration_samples == at(1 + 6 * 11 + 3)
