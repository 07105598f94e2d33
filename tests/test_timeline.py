"""The timeline as show prints it: the JSON of practice-format.md and a readable table."""

from __future__ import annotations

import json

from coreg_audio.speech.voice import VoiceSettings
from coreg_audio.timeline.events import (
    BeatEvent,
    BellEvent,
    Chapter,
    CueEvent,
    SectionEvent,
    SpeechEvent,
    SpeechOverEvent,
    Timeline,
    ToneEvent,
)
from coreg_audio.units import SAMPLE_RATE_HZ


def sample_timeline() -> Timeline:
    events = (
        SectionEvent(0, 0, "1", title="Arriving"),
        SpeechEvent(44100, 88200, "2", text="Sit down.", voice=VoiceSettings(), volume=1.0),
        ToneEvent(
            132300,
            308700,
            "3",
            phase="inhale",
            cycle=1,
            style="glide",
            level_db=-12.0,
            pitch_hz=196.0,
        ),
        CueEvent(
            132300,
            145000,
            "3",
            text="In",
            phase="inhale",
            cycle=1,
            voice=VoiceSettings(),
            volume=1.0,
        ),
        BeatEvent(441000, 454230, "4", phase="left", cycle=1, pan=-0.6, accent=None),
        BeatEvent(485100, 498330, "5", phase="right", cycle=2, pan=0.4, accent=False),
        BellEvent(529200, 749700, "6"),
    )
    return Timeline(
        title="Breath",
        author="coreg-audio",
        summary=None,
        duration_samples=882000,
        events=events,
        chapters=(Chapter("Arriving", 0, 882000),),
    )


def test_json_has_exactly_the_documented_fields() -> None:
    data = sample_timeline().to_json()
    assert list(data) == ["title", "sample_rate", "duration", "sections", "events"]
    assert data["sample_rate"] == SAMPLE_RATE_HZ
    assert data["duration"] == 20.0
    assert data["sections"] == [{"title": "Arriving", "start": 0.0, "end": 20.0}]
    events = data["events"]
    assert events[0] == {
        "kind": "section",
        "start": 0.0,
        "end": 0.0,
        "title": "Arriving",
        "step": "1",
    }
    assert events[1] == {
        "kind": "speech",
        "start": 1.0,
        "end": 2.0,
        "text": "Sit down.",
        "step": "2",
    }
    assert events[2] == {
        "kind": "tone",
        "start": 3.0,
        "end": 7.0,
        "phase": "inhale",
        "cycle": 1,
        "style": "glide",
        "step": "3",
    }
    assert events[3]["end"] == 145000 / SAMPLE_RATE_HZ
    assert events[4] == {
        "kind": "beat",
        "start": 10.0,
        "end": 10.3,
        "phase": "left",
        "cycle": 1,
        "pan": -0.6,
        "step": "4",
    }
    assert events[5]["accent"] is False
    assert events[6] == {"kind": "bell", "start": 12.0, "end": 17.0, "step": "6"}
    json.dumps(data)


def test_text_lists_time_section_kind_and_words() -> None:
    lines = sample_timeline().to_text().splitlines()
    assert lines[0] == "Breath  (00:20.0)"
    assert lines[1].split() == ["00:01.0", "Arriving", "speech", "Sit", "down."]
    assert lines[2].split() == ["00:03.0", "Arriving", "tone", "glide", "inhale"]
    assert lines[3].split() == ["00:03.0", "Arriving", "cue", "In"]
    assert lines[6].split() == ["00:12.0", "Arriving", "bell", "bell,", "rings", "5", "s"]


def test_words_over_a_step_are_speech_with_their_cycle_and_phase() -> None:
    words = SpeechOverEvent(
        88200,
        132300,
        "3",
        text="Let it go.",
        phase="exhale",
        cycle=4,
        voice=VoiceSettings(),
        volume=1.0,
    )
    assert words.to_json() == {
        "kind": "speech",
        "start": 2.0,
        "end": 3.0,
        "text": "Let it go.",
        "phase": "exhale",
        "cycle": 4,
        "step": "3",
    }
    assert isinstance(words, SpeechEvent) and words.spoken
    assert words.describe() == "Let it go.  (over exhale, cycle 4)"
