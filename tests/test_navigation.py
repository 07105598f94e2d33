"""Where the keys jump to: the start of the step being heard, or of the next section."""

from __future__ import annotations

from coreg_audio.live.navigation import next_section_start, step_runs, step_start
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import SpeechEvent

from .conftest import FakeSpeech, script_from


def test_restart_finds_the_innermost_step_of_each_repeat_pass() -> None:
    script = script_from("""\
        title: Repeats
        lead: 1
        steps:
          - section: One
          - say: First words.
          - pause: 2
          - repeat:
              times: 2
              steps:
                - say: Again.
                - breathe: {cycles: 2, pattern: 2-2}
          - repeat:
              times: 2
              steps:
                - breathe: {cycles: 2, pattern: 1-1, guide: 0, say: [{cycle: 2, text: Go.}]}
          - section: Two
          - bell: 1
        """)
    timeline = compile_timeline(script, FakeSpeech())
    events = [e for e in timeline.events if e.kind != "section"]
    say_again = [e for e in events if isinstance(e, SpeechEvent) and e.text == "Again."]
    tones = [e for e in events if e.kind == "tone"]
    bell = next(e for e in events if e.kind == "bell")
    assert step_runs(timeline) == [
        events[0].start_samples,
        say_again[0].start_samples,
        tones[0].start_samples,
        say_again[1].start_samples,
        tones[4].start_samples,
        tones[8].start_samples,
        tones[12].start_samples,
        bell.start_samples,
    ]
    assert step_start(timeline, 0) == 0
    assert step_start(timeline, events[0].end_samples + 1000) == events[0].start_samples
    assert step_start(timeline, tones[7].start_samples + 10) == tones[4].start_samples
    assert step_start(timeline, tones[14].start_samples) == tones[12].start_samples
    over = [e for e in events if isinstance(e, SpeechEvent) and e.text == "Go."]
    assert len(over) == 2 and step_start(timeline, over[1].end_samples) == tones[12].start_samples
    assert next_section_start(timeline, 0) == timeline.chapters[1].start_samples
    assert next_section_start(timeline, timeline.chapters[1].start_samples) is None
