"""Timing rules as plain data: where every event lands, exactly."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import pytest

from coreg_audio.errors import ScriptError, VoiceNotFound
from coreg_audio.format.breathe import phase_lengths_s
from coreg_audio.format.model import Loc, Pattern
from coreg_audio.speech.choice import concrete
from coreg_audio.speech.voice import VoiceSettings
from coreg_audio.timeline.compile import compile_timeline, spoken_requests
from coreg_audio.timeline.events import (
    BeatEvent,
    BellEvent,
    CountEvent,
    CueEvent,
    Event,
    SectionEvent,
    SpeechEvent,
    Timeline,
    ToneEvent,
)
from coreg_audio.units import SAMPLE_RATE_HZ, seconds_to_samples

from .conftest import FakeSpeech, NoVoiceNamedNobody, script_from

E = TypeVar("E", bound=Event)


def compiled(text: str, speech: FakeSpeech | None = None) -> Timeline:
    return compile_timeline(script_from(text), speech or FakeSpeech())


def at(seconds: float | Fraction | str) -> int:
    return seconds_to_samples(Fraction(seconds))


def kinds(timeline: Timeline, kind: type[E]) -> list[E]:
    return [event for event in timeline.events if isinstance(event, kind)]


def cued(timeline: Timeline) -> list[CueEvent | CountEvent]:
    """The cues and counts, in time order."""
    return [event for event in timeline.events if isinstance(event, CueEvent | CountEvent)]


def test_say_lasts_its_speech_then_the_gap() -> None:
    speech = FakeSpeech()
    timeline = compiled(
        """
        title: T
        lead: 1.5
        tail: 2
        gap: 0.5
        steps:
          - say: Hello there
          - say: Again
            after: 3
          - pause: 2
          - section: End
    """,
        speech,
    )
    hello, again = kinds(timeline, SpeechEvent)
    hello_samples = speech.length_samples("Hello there", VoiceSettings())
    assert hello.start_samples == at(1.5)
    assert hello.end_samples == hello.start_samples + hello_samples
    assert again.start_samples == hello.end_samples + at(0.5)
    section = kinds(timeline, SectionEvent)[0]
    assert section.start_samples == again.end_samples + at(3) + at(2)
    assert timeline.duration_samples == section.start_samples + at(2)
    assert hello.text == "Hello there" and hello.step == "1"


def test_placeholders_are_filled_and_braces_kept() -> None:
    timeline = compiled("""
        title: T
        params: {a: Sam, b: Alex}
        steps:
          - say: "{a} and {b}, {{together}}."
    """)
    assert kinds(timeline, SpeechEvent)[0].text == "Sam and Alex, {together}."


def test_breathe_counts_in_four_out_six() -> None:
    timeline = compiled("""
        title: T
        lead: 0
        tail: 0
        steps:
          - breathe: {cycles: 2, count: true}
    """)
    spoken = [(e.kind, e.text, e.start_samples) for e in timeline.spoken_events()]
    expected = []
    for cycle_start in (0, 10):
        expected += [("cue", "In", at(cycle_start))]
        expected += [("count", str(k), at(cycle_start + k - 1)) for k in (2, 3, 4)]
        expected += [("cue", "Out", at(cycle_start + 4))]
        expected += [("count", str(k), at(cycle_start + 4 + k - 1)) for k in (2, 3, 4, 5, 6)]
    assert spoken == expected
    tones = kinds(timeline, ToneEvent)
    assert [(t.phase, t.start_samples, t.end_samples) for t in tones] == [
        ("inhale", 0, at(4)),
        ("exhale", at(4), at(10)),
        ("inhale", at(10), at(14)),
        ("exhale", at(14), at(20)),
    ]
    assert timeline.duration_samples == at(20)


def test_counts_only_in_phases_with_a_cue_and_within_guide() -> None:
    timeline = compiled("""
        title: T
        lead: 0
        tail: 0
        steps:
          - breathe: {cycles: 3, pattern: 4-2-5, count: true, guide: 2, cues: {hold: null}}
    """)
    spoken = cued(timeline)
    assert {e.phase for e in spoken} == {"inhale", "exhale"}
    assert {e.cycle for e in spoken} == {1, 2}
    assert len(kinds(timeline, ToneEvent)) == 9


def test_guide_zero_is_silent_but_tones_go_on() -> None:
    timeline = compiled("""
        title: T
        steps:
          - breathe: {cycles: 5, guide: 0, count: true}
    """)
    assert not timeline.spoken_events()
    assert len(kinds(timeline, ToneEvent)) == 10


def test_rest_has_no_cue_unless_given_and_no_tone() -> None:
    plain = compiled("title: T\nsteps:\n  - breathe: {cycles: 1, pattern: 4-4-4-4}\n")
    assert [e.phase for e in cued(plain)] == ["inhale", "hold", "exhale"]
    assert [e.phase for e in kinds(plain, ToneEvent)] == ["inhale", "hold", "exhale"]
    rest = compiled(
        "title: T\nsteps:\n  - breathe: {cycles: 1, pattern: 4-4-4-4, cues: {rest: Rest}}\n"
    )
    assert [e.phase for e in cued(rest)] == ["inhale", "hold", "exhale", "rest"]


def test_zero_length_phases_are_skipped() -> None:
    timeline = compiled("title: T\nlead: 0\nsteps:\n  - breathe: {cycles: 1, pattern: 4-0-6-0}\n")
    assert [e.phase for e in kinds(timeline, ToneEvent)] == ["inhale", "exhale"]


def test_ramp_moves_every_phase_linearly() -> None:
    first = Pattern(Fraction(3), Fraction(0), Fraction(3), Fraction(0), Loc(1, 1))
    last = Pattern(Fraction(4), Fraction(1), Fraction(6), Fraction(2), Loc(1, 1))
    lengths = [phase_lengths_s(first, last, i, 5) for i in range(5)]
    assert [x["inhale"] for x in lengths] == [
        3,
        Fraction(13, 4),
        Fraction(7, 2),
        Fraction(15, 4),
        4,
    ]
    assert [x["exhale"] for x in lengths] == [
        3,
        Fraction(15, 4),
        Fraction(9, 2),
        Fraction(21, 4),
        6,
    ]
    assert [x["rest"] for x in lengths] == [0, Fraction(1, 2), 1, Fraction(3, 2), 2]
    assert phase_lengths_s(first, last, 0, 1)["inhale"] == 3


def test_chime_tones_are_short_and_none_makes_no_tones() -> None:
    chime = compiled("title: T\ntones: chime\nsteps:\n  - breathe: {cycles: 1, pattern: 1-6}\n")
    lengths = [e.length_samples for e in kinds(chime, ToneEvent)]
    assert lengths == [at(1), at(2)]
    assert all(e.style == "chime" for e in kinds(chime, ToneEvent))
    none = compiled("title: T\nsteps:\n  - breathe: {cycles: 1, tone: none}\n")
    assert not kinds(none, ToneEvent)


def test_tone_level_and_pitch_come_from_tones() -> None:
    timeline = compiled(
        "title: T\ntones: {style: glide, level: -6, pitch: 220}\nsteps:\n  - breathe: {cycles: 1}\n"
    )
    tone = kinds(timeline, ToneEvent)[0]
    assert (tone.level_db, tone.pitch_hz) == (-6.0, 220.0)


def test_minutes_gives_rounded_cycles() -> None:
    timeline = compiled("title: T\nsteps:\n  - breathe: {minutes: 1.05, pattern: 4-6}\n")
    assert max(e.cycle for e in kinds(timeline, ToneEvent)) == 6
    short = compiled("title: T\nsteps:\n  - breathe: {minutes: 0.01}\n")
    assert max(e.cycle for e in kinds(short, ToneEvent)) == 1


def test_rock_beats_pan_and_guide() -> None:
    timeline = compiled("""
        title: T
        lead: 0
        steps:
          - rock: {period: 6, cycles: 3, pan: 0.5}
    """)
    beats = kinds(timeline, BeatEvent)
    assert [(b.phase, b.start_samples, b.pan, b.cycle) for b in beats] == [
        ("left", 0, -0.5, 1),
        ("right", at(3), 0.5, 1),
        ("left", at(6), -0.5, 2),
        ("right", at(9), 0.5, 2),
        ("left", at(12), -0.5, 3),
        ("right", at(15), 0.5, 3),
    ]
    assert all(b.length_samples == at(0.3) for b in beats)
    cues = kinds(timeline, CueEvent)
    assert [(c.text, c.cycle) for c in cues] == [
        ("Left", 1),
        ("Right", 1),
        ("Left", 2),
        ("Right", 2),
    ]


def test_walk_alternates_and_accents() -> None:
    timeline = compiled("title: T\nlead: 0\nsteps:\n  - walk: {pace: 120, steps: 9, accent: 3}\n")
    beats = kinds(timeline, BeatEvent)
    assert [b.start_samples for b in beats] == [at(Fraction(j, 2)) for j in range(9)]
    assert [b.phase for b in beats[:3]] == ["left", "right", "left"]
    assert [b.accent for b in beats] == [True, False, False] * 3
    assert [b.cycle for b in beats] == list(range(1, 10))
    assert timeline.duration_samples == at(Fraction(9, 2) + 3)


def test_bell_strikes_every_and_ring() -> None:
    timeline = compiled(
        "title: T\nlead: 0\ntail: 0\nsteps:\n  - bell: {strikes: 3, every: 2.5, ring: 7}\n"
    )
    bells = kinds(timeline, BellEvent)
    assert [(b.start_samples, b.end_samples) for b in bells] == [
        (0, at(7)),
        (at(2.5), at(9.5)),
        (at(5), at(12)),
    ]
    assert timeline.duration_samples == at(12)


def test_repeat_paths_and_times() -> None:
    timeline = compiled("""
        title: T
        lead: 0
        tail: 0
        steps:
          - repeat:
              times: 3
              steps:
                - bell: {ring: 2}
                - repeat: {times: 2, steps: [{pause: 1}, {section: S}]}
    """)
    sections = kinds(timeline, SectionEvent)
    assert [s.step for s in sections] == ["1.2.2"] * 6
    assert [s.start_samples for s in sections] == [at(t) for t in (3, 4, 7, 8, 11, 12)]
    assert timeline.duration_samples == at(12)


def test_no_drift_over_a_thousand_cycles() -> None:
    timeline = compiled(
        "title: T\nlead: 0\ntail: 0\nsteps:\n"
        "  - breathe: {cycles: 1000, pattern: 0.7071-0.9137, guide: 0}\n"
    )
    last = kinds(timeline, ToneEvent)[-1]
    assert last.start_samples == at("1619.8863")
    assert timeline.duration_samples == at("1620.8")
    naive = 1000 * (at("0.7071") + at("0.9137"))
    assert naive != timeline.duration_samples


def test_every_time_is_a_whole_sample_and_events_are_sorted() -> None:
    timeline = compiled("""
        title: T
        lead: 0.123457
        steps:
          - breathe: {cycles: 7, pattern: 3.3-1.1-4.4, to: 3.7-1.0-5.1, count: true}
          - walk: {pace: 77, steps: 30}
    """)
    starts = [e.start_samples for e in timeline.events]
    assert starts == sorted(starts)
    data = timeline.to_json()
    for event in data["events"]:
        assert (event["start"] * SAMPLE_RATE_HZ) == pytest.approx(
            round(event["start"] * SAMPLE_RATE_HZ), abs=1e-6
        )


def test_spoken_items_never_overlap() -> None:
    timeline = compiled("""
        title: T
        steps:
          - say: Begin
          - breathe: {cycles: 4, pattern: 3-2-5-1, count: true, cues: {rest: Rest}}
          - rock: {cycles: 3, period: 3}
          - say: End
    """)
    spoken = [e for e in timeline.events if e.spoken]
    for before, after in itertools.pairwise(spoken):
        assert before.end_samples <= after.start_samples, (before, after)


class SlowSpeech(FakeSpeech):
    """'Seven' is long at the normal rate, fits when spoken faster."""

    def length_samples(self, text: str, voice: VoiceSettings) -> int:
        self.calls.append((text, voice))
        seconds = {"7": 1.1, "8": 2.0}.get(text, 0.3) * 140 / voice.rate_wpm
        return round(seconds * SAMPLE_RATE_HZ)


def test_a_count_that_does_not_fit_is_spoken_faster() -> None:
    speech = SlowSpeech()
    timeline = compiled(
        "title: T\nsteps:\n  - breathe: {cycles: 1, pattern: 7-2, count: true}\n", speech
    )
    seven = next(e for e in timeline.spoken_events() if e.text == "7")
    assert 140 < seven.voice.rate_wpm <= 175
    assert seven.length_samples <= at(1)
    six = next(e for e in timeline.spoken_events() if e.text == "6")
    assert six.voice.rate_wpm == 140


def test_every_breath_phase_is_on_the_timeline_whatever_sounds_it() -> None:
    for tones in ("glide", "chime", "none"):
        timeline = compiled(f"""
            title: T
            lead: 1
            tones: {tones}
            steps:
              - breathe: {{cycles: 3, pattern: 2-0-4-2, to: 4-1-8-2, guide: 1}}
              - say: Done.
        """)
        assert [
            (
                b.phase,
                b.start_samples / SAMPLE_RATE_HZ,
                b.end_samples / SAMPLE_RATE_HZ,
                b.step,
                b.cycle,
            )
            for b in timeline.breaths
        ] == [
            ("inhale", 1, 3, "1", 1),
            ("exhale", 3, 7, "1", 1),
            ("rest", 7, 9, "1", 1),
            ("inhale", 9, 12, "1", 2),
            ("hold", 12, 12.5, "1", 2),
            ("exhale", 12.5, 18.5, "1", 2),
            ("rest", 18.5, 20.5, "1", 2),
            ("inhale", 20.5, 24.5, "1", 3),
            ("hold", 24.5, 25.5, "1", 3),
            ("exhale", 25.5, 33.5, "1", 3),
            ("rest", 33.5, 35.5, "1", 3),
        ], tones
        assert "breaths" not in timeline.to_json()


def test_a_count_that_cannot_fit_is_an_error_naming_step_cycle_phase_and_times() -> None:
    with pytest.raises(ScriptError) as caught:
        compiled(
            "title: T\nsteps:\n  - say: Hi\n  - breathe: {cycles: 3, pattern: 9-2, count: true}\n",
            SlowSpeech(),
        )
    lines = caught.value.lines()
    assert len(lines) == 1, lines
    assert lines[0] == (
        "test.yaml:4:5: error: step 2 (breathe), cycle 1, inhale: the count '8' needs 2.00 s "
        "(1.60 s spoken 1.25x faster) but has 1.00 s before the next count, which "
        "'count: true' speaks on each whole second; set 'count: false', lengthen the inhale "
        "phase (the step's 'pattern') or raise the voice's rate (and the same in 2 more cycles)"
    )


def test_a_cue_that_cannot_fit_points_at_the_cue() -> None:
    with pytest.raises(ScriptError) as caught:
        compiled(
            "title: T\nsteps:\n  - breathe:\n      cycles: 1\n      pattern: 1-1\n"
            "      cues: {inhale: Breathe in slowly and deeply through the nose}\n"
        )
    first = caught.value.lines()[0]
    assert first.startswith(
        "test.yaml:6:22: error: step 1 (breathe), cycle 1, inhale: the cue 'Breathe in"
    )
    assert "but has 1.00 s before its phase ends; lengthen the inhale phase (the step's" in first


def test_an_unknown_voice_is_reported_where_it_is_named() -> None:
    with pytest.raises(ScriptError) as caught:
        compiled(
            "title: T\nsteps:\n  - say: {text: Hi, voice: {name: nobody}}\n  - say: Ok\n",
            NoVoiceNamedNobody(),
        )
    assert caught.value.lines() == ["test.yaml:3:28: error: no pyttsx3 voice 'nobody'"]


def test_an_unknown_voice_used_many_times_is_reported_once() -> None:
    with pytest.raises(ScriptError) as caught:
        compiled(
            "title: T\nvoices:\n  low: {name: nobody}\nsteps:\n"
            "  - say: {text: A, voice: low}\n  - say: {text: B, voice: low}\n  - say: C\n",
            NoVoiceNamedNobody(),
        )
    assert caught.value.lines() == ["test.yaml:3:8: error: no pyttsx3 voice 'nobody'"]


def test_a_language_no_voice_speaks_is_reported_at_language() -> None:
    class NoSuchLanguage(FakeSpeech):
        def length_samples(self, text: str, voice: VoiceSettings) -> int:
            if voice.language == "xx":
                raise VoiceNotFound("no pyttsx3 voice speaks language 'xx'")
            return super().length_samples(text, voice)

    with pytest.raises(ScriptError) as caught:
        compiled("title: T\nlanguage: xx\nsteps:\n  - say: A\n  - say: B\n", NoSuchLanguage())
    assert caught.value.lines() == ["test.yaml:2:11: error: no pyttsx3 voice speaks language 'xx'"]


def test_the_four_hour_cap_counts_speech() -> None:
    class Long(FakeSpeech):
        def length_samples(self, text: str, voice: VoiceSettings) -> int:
            return 3 * 3600 * SAMPLE_RATE_HZ

    with pytest.raises(ScriptError) as caught:
        compiled("title: T\nsteps:\n  - say: One\n  - say: Two\n", Long())
    assert "at most 4:00:00" in caught.value.lines()[0]


def test_voices_merge_over_the_script_voice() -> None:
    timeline = compiled("""
        title: T
        language: de
        voice: {engine: espeak, rate: 120, pitch: 30, volume: 0.5}
        voices:
          low: {pitch: 10}
        steps:
          - say: Eins
          - say: {text: Zwei, voice: low}
          - say: {text: Drei, voice: {rate: 150, volume: 1}}
    """)
    one, two, three = kinds(timeline, SpeechEvent)
    assert one.voice == VoiceSettings(engine="espeak", language="de", rate_wpm=120, pitch=30)
    assert one.volume == 0.5
    assert two.voice == VoiceSettings(engine="espeak", language="de", rate_wpm=120, pitch=10)
    assert three.voice == VoiceSettings(engine="espeak", language="de", rate_wpm=150, pitch=30)
    assert three.volume == 1.0


def test_spoken_requests_cover_every_spoken_item() -> None:
    script = script_from("""
        title: T
        params: {a: Sam}
        steps:
          - say: "Hi {a}"
          - breathe: {cycles: 3, pattern: 3-2, to: 5-2, count: true, cues: {exhale: Out now}}
          - rock: {cycles: 2}
          - repeat: {times: 2, steps: [{say: Again}]}
    """)
    speech = FakeSpeech()
    timeline = compile_timeline(script, speech)
    needed = {(e.text, e.voice) for e in timeline.spoken_events()}
    assert needed <= spoken_requests(script)
    assert ("Hi Sam", concrete(VoiceSettings())) in spoken_requests(script)


def chapter_list(timeline: Timeline) -> list[tuple[str, int, int]]:
    return [(c.title, c.start_samples, c.end_samples) for c in timeline.chapters]


def test_a_section_at_the_end_of_lead_starts_at_zero() -> None:
    timeline = compiled(
        "title: T\nlead: 2\ntail: 1\nsteps:\n  - section: A\n  - pause: 5\n"
        "  - section: B\n  - pause: 3\n"
    )
    assert chapter_list(timeline) == [("A", 0, at(7)), ("B", at(7), at(11))]


def test_what_precedes_the_first_section_is_a_chapter_named_after_the_title() -> None:
    timeline = compiled(
        "title: Whole\nlead: 2\ntail: 1\nsteps:\n  - pause: 4\n  - section: A\n  - pause: 3\n"
    )
    assert chapter_list(timeline) == [("Whole", 0, at(6)), ("A", at(6), at(10))]


def test_no_section_makes_one_chapter() -> None:
    timeline = compiled("title: Whole\nsteps:\n  - pause: 4\n")
    assert chapter_list(timeline) == [("Whole", 0, timeline.duration_samples)]


def test_ambience_fades_default_to_lead_and_tail() -> None:
    timeline = compiled("title: T\nlead: 2\ntail: 5\nambience: rain\nsteps:\n  - pause: 4\n")
    assert timeline.ambience is not None
    assert (timeline.ambience.sound, timeline.ambience.level_db, timeline.ambience.duck_db) == (
        "rain",
        -20.0,
        6.0,
    )
    assert (timeline.ambience.fade_in_samples, timeline.ambience.fade_out_samples) == (at(2), at(5))
    faded = compiled(
        "title: T\nambience: {sound: ocean, fade: 1.5, duck: 9}\nsteps:\n  - pause: 4\n"
    )
    assert faded.ambience is not None and faded.ambience.fade_in_samples == at(1.5)
    assert faded.ambience.duck_db == 9
    assert compiled("title: T\nambience: none\nsteps:\n  - pause: 1\n").ambience is None


@pytest.mark.slow
def test_piper_cues_are_sped_up_to_fit_and_a_warm_cache_starts_no_worker(tmp_path: Path) -> None:
    """The real natural voice: a cue too long for its phase is spoken up to 1.25x faster."""
    from coreg_audio.practice import build_timeline
    from coreg_audio.speech import Speaker
    from coreg_audio.speech.piper_engine import PiperEngine

    voice = concrete(VoiceSettings(rate_wpm=120))
    assert voice.engine == "piper"
    cue = "Breathe in gently"
    with Speaker(tmp_path) as speaker:
        needs = speaker.clip(cue, voice).size
    inhale_s = round(needs * 0.9 / SAMPLE_RATE_HZ, 2)
    text = f"""\
        title: Fit
        voice: {{rate: 120}}
        steps:
          - breathe:
              cycles: 2
              pattern: {{inhale: {inhale_s}, exhale: 3}}
              cues: {{inhale: {cue}}}
    """
    made: list[PiperEngine] = []

    def recording(name: str) -> PiperEngine:
        assert name == "piper"
        made.append(PiperEngine())
        return made[-1]

    timelines = []
    for _ in range(2):
        with Speaker(tmp_path, engine_factory=recording) as speaker:
            timelines.append(build_timeline(script_from(text), speaker))
            started = [engine.worker_pid is not None for engine in made]
        if not timelines[1:]:
            assert any(started), "the cold run speaks the faster cue"
            made.clear()
    assert not any(engine.worker_pid for engine in made), "the warm run speaks nothing"
    for timeline in timelines:
        cues = [event for event in kinds(timeline, CueEvent) if event.text == cue]
        assert len(cues) == 2
        for event in cues:
            assert event.voice is not None and event.voice.engine == "piper"
            assert 120 < event.voice.rate_wpm <= 150, "sped up, by at most 1.25x"
            assert event.end_samples - event.start_samples <= at(inhale_s)
    assert kinds(timelines[0], CueEvent) == kinds(timelines[1], CueEvent)
