"""The script's language: its default cue words, its counts and its voice, with the real engines."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.errors import ScriptError
from coreg_audio.format.breathe import Breathe
from coreg_audio.format.languages import LANGUAGE_WORDS, WORD_PARTS, WORDED, words_for
from coreg_audio.format.model import BUILT_IN, Text
from coreg_audio.format.movement import Rock
from coreg_audio.format.toplevel import TOP_LEVEL_KEYS
from coreg_audio.output.render import render
from coreg_audio.practice import load, timeline_of
from coreg_audio.speech import Speaker
from coreg_audio.speech.choice import forget_choices
from coreg_audio.speech.engine import VoiceInfo, resolve_voice
from coreg_audio.speech.piper_voices import VOICES_ENV, clear_found_voices, find_voice
from coreg_audio.speech.voice import VoiceSettings
from coreg_audio.timeline.events import (
    CountEvent,
    CueEvent,
    SpeechEvent,
    SpokenEvent,
    Timeline,
)
from coreg_audio.units import SAMPLE_RATE_HZ, ms_to_samples

from .conftest import REPO, script_from

REQUIRED = ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "pl")
COUNTED = {
    "en": ("3", "three"),
    "de": ("3", "drei"),
    "fr": ("3", "trois"),
    "es": ("3", "tres"),
    "it": ("3", "tre"),
    "pt": ("3", "três"),
    "nl": ("3", "drie"),
    "sv": ("3", "tre"),
    "da": ("5", "fem"),  # espeak-ng gives the number 3 a stød the word "tre" lacks
    "nb": ("3", "tre"),
    "fi": ("3", "kolme"),
    "pl": ("3", "trzy"),
}
"""A count in each language of the table, and the number written out, as it must sound."""
NUMBERS = {
    "de": "zwei drei vier fünf sechs sieben acht neun",
    "fr": "deux trois quatre cinq six sept huit neuf",
    "es": "dos tres cuatro cinco seis siete ocho nueve",
}
"""2 to 9, written out."""
CALM_RATE_WPM = 120
"""Slower than every built-in practice: a default word that fits here fits there."""


def test_the_table_has_words_for_at_least_ten_languages() -> None:
    assert set(REQUIRED) <= set(WORDED) and len(WORDED) >= 10
    assert WORDED[0] == "en"
    assert set(COUNTED) == set(WORDED), "each language's counts are checked below"
    for code, words in LANGUAGE_WORDS.items():
        assert len(code) == 2 and code.islower()
        for part in WORD_PARTS:
            word = words.word(part)
            assert word and word == word.strip() and len(word.split()) <= 2, (code, part)
            assert word[0].isupper() and word[-1].isalpha(), (code, part, word)
        assert words.word("rest") is None


def test_the_writing_guide_shows_every_languages_words() -> None:
    guide = (REPO / "docs" / "writing-practices.md").read_text(encoding="utf-8")
    for code, words in LANGUAGE_WORDS.items():
        row = [f"`{code}`", words.name, *(words.word(part) for part in WORD_PARTS)]
        assert "| " + " | ".join(str(cell) for cell in row) + " |" in guide, code


@pytest.mark.parametrize(
    ("code", "exhale"),
    [
        ("de", "Aus"),
        ("DE", "Aus"),
        ("de-AT", "Aus"),
        ("de_CH", "Aus"),
        ("pt-br", "Expire"),
        ("en-gb", "Out"),
        ("no", "Ut"),
        ("nb-NO", "Ut"),
    ],
)
def test_a_region_or_another_spelling_takes_its_languages_words(code: str, exhale: str) -> None:
    words = words_for(code)
    assert words is not None and words.exhale == exhale


@pytest.mark.parametrize("code", ["cs", "ja", "tlh", "x-klingon"])
def test_a_language_without_words_has_none(code: str) -> None:
    assert words_for(code) is None


def test_the_language_is_read_before_the_steps_that_speak_in_it() -> None:
    assert TOP_LEVEL_KEYS.index("language") < TOP_LEVEL_KEYS.index("steps")


def test_a_german_script_says_german_cue_words_unless_it_sets_its_own() -> None:
    script = script_from("""
        title: Atmen
        language: de
        steps:
          - breathe: {cycles: 1}
          - breathe: {cycles: 1, cues: {inhale: Einatmen, hold: ""}}
          - rock: {cycles: 1, cues: {right: und zurück}}
    """)
    first, second, rock = script.steps
    assert isinstance(first, Breathe) and isinstance(second, Breathe) and isinstance(rock, Rock)
    assert first.cues.inhale == Text("Ein", BUILT_IN)
    assert first.cues.hold == Text("Halten", BUILT_IN)
    assert first.cues.exhale == Text("Aus", BUILT_IN)
    assert first.cues.rest is None
    assert second.cues.inhale is not None and second.cues.inhale.source == "Einatmen"
    assert second.cues.hold is None, "'' stays silent"
    assert second.cues.exhale == Text("Aus", BUILT_IN)
    assert rock.left == Text("Links", BUILT_IN)
    assert rock.right is not None and rock.right.source == "und zurück"


def test_a_wrong_language_keeps_english_words_while_its_problem_is_reported() -> None:
    with pytest.raises(ScriptError) as caught:
        script_from("title: T\nlanguage: deutsch\nsteps:\n  - breathe: {cycles: 1}\n")
    assert [p.message for p in caught.value.problems] == [
        "'language' must be a language code such as en, de or en-us, not 'deutsch'"
    ]


def problems_of(text: str) -> list[str]:
    with pytest.raises(ScriptError) as caught:
        script_from(text)
    return [f"{p.line}:{p.column}: {p.message}" for p in caught.value.problems]


def test_in_a_language_without_words_a_step_that_speaks_cues_gives_its_own() -> None:
    found = problems_of("""
        title: Dýchání
        language: cs
        steps:
          - breathe: {cycles: 1}
          - breathe: {cycles: 1, cues: {inhale: Nádech}}
          - rock: {cycles: 1}
    """)
    languages = ", ".join(WORDED)
    assert found == [
        f"4:5: step 1 (breathe) speaks cue words, but coreg-audio has no default words in "
        f"language 'cs' (only in {languages}); give the step its own inhale and exhale cues, "
        "e.g. 'cues: {inhale: ..., exhale: ...}', or 'guide: 0' for none",
        f"5:26: step 2 (breathe) speaks cue words, but coreg-audio has no default words in "
        f"language 'cs' (only in {languages}); give the step its own exhale cue, "
        "e.g. 'cues: {inhale: ..., exhale: ...}', or 'guide: 0' for none",
        f"6:5: step 3 (rock) speaks cue words, but coreg-audio has no default words in "
        f"language 'cs' (only in {languages}); give the step its own left and right cues, "
        "e.g. 'cues: {left: ..., right: ...}', or 'guide: 0' for none",
    ]


def test_in_a_language_without_words_silent_steps_and_given_words_are_fine() -> None:
    script = script_from("""
        title: Dýchání
        language: cs
        pattern: 4-2-6
        steps:
          - breathe: {cycles: 1, cues: {inhale: Nádech, exhale: Výdech}, count: true}
          - breathe: {cycles: 1, guide: 0}
          - rock: {cycles: 1, guide: 0}
          - rock: {cycles: 1, cues: {left: Vlevo, right: Vpravo}}
    """)
    spoken, silent, _, rock = script.steps
    assert isinstance(spoken, Breathe) and isinstance(silent, Breathe)
    assert spoken.cues.hold is None, "a hold without a word of its own is silent"
    assert silent.cues.inhale is None
    assert isinstance(rock, Rock) and rock.left is not None and rock.left.source == "Vlevo"


@cache
def engine_voices(engine: str) -> list[VoiceInfo]:
    from coreg_audio.speech.speaker import voices

    return voices(engine)


def espeak_ipa(voice_id: str, text: str) -> str:
    """What espeak-ng says for ``text`` with the voice, in IPA."""
    result = subprocess.run(
        ["espeak-ng", "-q", "--ipa", "-v", voice_id, text],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout.strip()


@cache
def words_timeline(code: str, engine: str, folder: Path) -> Timeline:
    """Every default word of ``code`` and the counts 2 to 6, at a calm rate, compiled for real."""
    path = folder / f"words-{code}-{engine}.yaml"
    path.write_text(
        f"title: Words\nlanguage: {code}\nvoice: {{engine: {engine}, rate: {CALM_RATE_WPM}}}\n"
        "pattern: 4-4-6\nsteps:\n  - breathe: {cycles: 1, count: true}\n  - rock: {cycles: 1}\n",
        encoding="utf-8",
    )
    return timeline_of(load(str(path)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("languages")


def spoken(timeline: Timeline, kind: type[SpokenEvent]) -> list[SpokenEvent]:
    return [event for event in timeline.spoken_events() if isinstance(event, kind)]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["auto", "espeak"])
@pytest.mark.parametrize("code", WORDED)
def test_each_languages_words_are_spoken_and_fit_a_count_at_a_calm_rate(
    code: str, engine: str, folder: Path
) -> None:
    timeline = words_timeline(code, engine, folder)
    words = LANGUAGE_WORDS[code]
    cues = spoken(timeline, CueEvent)
    assert [cue.text for cue in cues] == [
        words.inhale,
        words.hold,
        words.exhale,
        words.left,
        words.right,
    ]
    counts = spoken(timeline, CountEvent)
    assert [count.text for count in counts] == ["2", "3", "4"] * 2 + ["2", "3", "4", "5", "6"]
    second = SAMPLE_RATE_HZ
    for event in cues[:3] + counts:
        assert event.voice.rate_wpm == CALM_RATE_WPM, f"{event.text!r} needed speeding up"
        assert event.length_samples < second, f"{event.text!r} leaves no room before a count"
    for event in cues[3:]:
        assert event.voice.rate_wpm == CALM_RATE_WPM
    voice = cues[0].voice
    assert voice.language == code
    if engine == "auto" and code == "en":
        natural = find_voice(voice.name or "")
        assert voice.engine == "piper" and natural is not None and natural.speaks("en")
        return
    assert voice.engine == ("pyttsx3" if engine == "auto" else "espeak")
    resolved = resolve_voice(engine_voices(voice.engine), voice)
    chosen = next(v for v in engine_voices(voice.engine) if v.id == resolved)
    assert any(lang.split("-")[0] in (code, "no") for lang in chosen.languages), chosen


def test_auto_speaks_a_german_script_with_espeak_ngs_german_voice(folder: Path) -> None:
    path = folder / "auto-de.yaml"
    path.write_text("title: T\nlanguage: de-AT\nsteps:\n  - say: Willkommen.\n", encoding="utf-8")
    (event,) = timeline_of(load(str(path))).spoken_events()
    voice = event.voice
    assert (voice.engine, voice.name, voice.language) == ("pyttsx3", None, "de-AT")
    assert resolve_voice(engine_voices("pyttsx3"), voice) == "gmw/de"


@pytest.mark.parametrize("code", WORDED)
def test_a_count_is_the_number_in_the_languages_own_voice(code: str) -> None:
    """espeak-ng (the library pyttsx3 drives, and the program) reads the digits as the word."""
    voice_id = resolve_voice(engine_voices("espeak"), VoiceSettings(engine="espeak", language=code))
    digits, word = COUNTED[code]
    assert espeak_ipa(voice_id, digits) == espeak_ipa(voice_id, word)
    if code != "en":
        english = resolve_voice(engine_voices("espeak"), VoiceSettings(engine="espeak"))
        assert espeak_ipa(english, digits) != espeak_ipa(voice_id, word)


@pytest.fixture(scope="module")
def speaker(folder: Path) -> Iterator[Speaker]:
    with Speaker(folder / "cache") as made:
        yield made


def count_timeline(code: str, engine: str, folder: Path) -> Timeline:
    path = folder / f"counts-{code}-{engine}.yaml"
    path.write_text(
        f"title: Counts\nlanguage: {code}\nvoice: {{engine: {engine}, rate: 130}}\n"
        "steps:\n  - breathe: {cycles: 1, pattern: 4-9, count: true}\n",
        encoding="utf-8",
    )
    return timeline_of(load(str(path)))


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["pyttsx3", "espeak"])
@pytest.mark.parametrize("code", sorted(NUMBERS))
def test_counts_are_spoken_as_the_languages_numbers(
    code: str, engine: str, folder: Path, speaker: Speaker
) -> None:
    counts = [e for e in count_timeline(code, engine, folder).events if isinstance(e, CountEvent)]
    exhale = [count for count in counts if count.phase == "exhale"]
    assert [count.text for count in exhale] == [str(k) for k in range(2, 10)]
    voice = exhale[0].voice
    assert voice.engine == engine and voice.language == code
    voice_id = resolve_voice(engine_voices(engine), voice)
    for count, word in zip(exhale, NUMBERS[code].split(), strict=True):
        assert espeak_ipa(voice_id, count.text) == espeak_ipa(voice_id, word), word
        heard = speaker.clip(count.text, count.voice)
        assert len(heard) == count.length_samples
        said = speaker.clip(word, count.voice)
        if code != "es":  # espeak-ng times some Spanish numbers a little longer than the words
            assert np.array_equal(heard, said), f"{count.text} is not {word!r}"
        assert abs(len(heard) - len(said)) < 0.1 * len(said), word


def test_piper_reads_digits_as_numbers_in_its_voices_language() -> None:
    """Piper speaks what espeak-ng's phonemizer makes of the text in the voice's language."""
    from piper.phonemize_espeak import EspeakPhonemizer

    phonemizer = EspeakPhonemizer()
    for code, numbers in NUMBERS.items():
        for k, word in enumerate(numbers.split(), start=2):
            assert phonemizer.phonemize(code, str(k)) == phonemizer.phonemize(code, word)
    assert phonemizer.phonemize("en-us", "3") != phonemizer.phonemize("de", "3")


@pytest.mark.slow
def test_the_natural_english_voice_says_a_count_as_the_word(speaker: Speaker) -> None:
    from coreg_audio.speech.choice import concrete

    voice = concrete(VoiceSettings(language="en"))
    assert voice.engine == "piper"
    assert np.array_equal(speaker.clip("3", voice), speaker.clip("three", voice))


def run_show(path: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "coreg_audio", "show", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    shown: dict[str, object] = json.loads(result.stdout)
    return shown


def test_show_json_of_a_german_script_carries_german_cue_words(
    write_script: Callable[..., Path],
) -> None:
    path = write_script("""
        title: Gemeinsam
        language: de
        pattern: 4-2-6
        steps:
          - breathe: {cycles: 2, count: true, guide: 1}
          - rock: {cycles: 2, guide: 1}
    """)
    events = run_show(path)["events"]
    assert isinstance(events, list)
    cues = [(e["text"], e["phase"], e["cycle"]) for e in events if e["kind"] == "cue"]
    assert cues == [
        ("Ein", "inhale", 1),
        ("Halten", "hold", 1),
        ("Aus", "exhale", 1),
        ("Links", "left", 1),
        ("Rechts", "right", 1),
    ]
    counts = [e["text"] for e in events if e["kind"] == "count"]
    assert counts == ["2", "3", "4", "2", "2", "3", "4", "5", "6"]


GERMAN = """\
title: Gemeinsam atmen
language: de
lead: 0.7
tail: 1
tones: none
steps:
  - say: Willkommen. Setzt euch bequem hin.
  - breathe: {cycles: 2, pattern: 4-2-6, count: true}
  - rock: {cycles: 2, period: 3}
  - say: Danke.
"""
ONSET_TOLERANCE_MS = 15.0
AUDIBLE_DBFS = -40.0


def loudest_channel(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as file:
        assert file.getframerate() == SAMPLE_RATE_HZ and file.getnchannels() == 2
        frames = file.readframes(file.getnframes())
    track = np.frombuffer(frames, dtype="<i2").reshape(-1, 2).astype(np.float64) / 32768.0
    loudest: np.ndarray = np.max(np.abs(track), axis=1)
    return loudest


@pytest.mark.slow
def test_a_german_track_says_its_german_words_with_the_german_voice_on_the_beat(
    write_script: Callable[..., Path],
) -> None:
    """Rendered for real with ``auto``: espeak-ng's German voice, each item audible on time."""
    out = write_script(GERMAN).with_suffix(".wav")
    timeline = render(load(str(out.with_suffix(".yaml"))), out)
    said = timeline.spoken_events()
    cues = ["Ein", "Halten", "Aus", "Ein", "Halten", "Aus", "Links", "Rechts", "Links", "Rechts"]
    assert [e.text for e in said if isinstance(e, CueEvent)] == cues
    one_cycle = ["2", "3", "4", "2", "2", "3", "4", "5", "6"]
    assert [e.text for e in said if isinstance(e, CountEvent)] == one_cycle * 2
    assert {(e.voice.engine, e.voice.language) for e in said} == {("pyttsx3", "de")}
    assert resolve_voice(engine_voices("pyttsx3"), said[0].voice) == "gmw/de"
    track = loudest_channel(out)
    threshold = 10 ** (AUDIBLE_DBFS / 20)
    tolerance = ms_to_samples(ONSET_TOLERANCE_MS)
    previous_end = 0
    for event in said:
        region = track[previous_end : event.start_samples + tolerance + 1]
        loud = np.flatnonzero(region > threshold)
        assert loud.size, f"nothing audible within 15 ms of {event.text!r}"
        onset = previous_end + int(loud[0])
        assert abs(onset - event.start_samples) <= tolerance, (
            event.text,
            (onset - event.start_samples) / SAMPLE_RATE_HZ,
        )
        previous_end = event.end_samples
    assert sum(isinstance(e, SpeechEvent) for e in said) == 2


def german_piper_voice(folder: Path) -> Path:
    """A Piper voice that says it speaks German: the packaged model, phonemized as German."""
    joe = find_voice("en_US-joe-medium")
    assert joe is not None, "the voice package is installed by make test"
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "de_DE-test-medium.onnx"
    model.symlink_to(joe.model)
    config = json.loads(joe.config.read_text(encoding="utf-8"))
    config["language"]["code"] = "de_DE"
    config["espeak"]["voice"] = "de"
    config["dataset"] = "test"
    (folder / "de_DE-test-medium.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return model


@pytest.fixture
def german_voices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "voices"
    german_piper_voice(folder)
    monkeypatch.setenv(VOICES_ENV, str(folder))
    clear_found_voices()
    forget_choices()
    yield folder
    clear_found_voices()
    forget_choices()


@pytest.mark.slow
def test_auto_speaks_with_a_natural_voice_of_the_language_once_one_is_installed(
    german_voices: Path, tmp_path: Path
) -> None:
    """With a German Piper voice installed, a German script's cues and counts are Piper's German."""
    path = tmp_path / "de.yaml"
    path.write_text(
        "title: T\nlanguage: de-AT\nsteps:\n  - breathe: {cycles: 1, pattern: 4-4, count: true}\n",
        encoding="utf-8",
    )
    said = timeline_of(load(str(path))).spoken_events()
    assert [e.text for e in said] == ["Ein", "2", "3", "4", "Aus", "2", "3", "4"]
    assert {(e.voice.engine, e.voice.name) for e in said} == {("piper", "de_DE-test-medium")}
    german = said[0].voice
    english = VoiceSettings(engine="piper", name="en_US-joe-medium")
    with Speaker(tmp_path / "cache") as speaker:
        three = speaker.clip("3", german)
        assert np.array_equal(three, speaker.clip("drei", german)), "3 is said as 'drei'"
        assert not np.array_equal(three, speaker.clip("3", english))
        assert np.array_equal(speaker.clip("3", english), speaker.clip("three", english))


def test_facing_partners_hear_sway_and_back_in_english_and_their_own_words_elsewhere() -> None:
    english = script_from("""
        title: Swaying
        language: en-GB
        steps:
          - rock: {cycles: 1, facing: true}
    """)
    rock = english.steps[0]
    assert isinstance(rock, Rock) and rock.left is not None and rock.right is not None
    assert (rock.left.source, rock.right.source) == ("Sway", "Back")
    found = problems_of("""
        title: Wiegen
        language: de
        steps:
          - rock: {cycles: 1, facing: true}
          - rock: {cycles: 1, facing: true, guide: 0}
          - rock: {cycles: 1, facing: true, cues: {left: Hin, right: und zurück}}
    """)
    assert found == [
        "4:5: step 1 (rock) has partners facing each other and speaks cue words, but "
        "coreg-audio has words for facing partners ('Sway', 'Back') only in English; give the "
        "step its own left and right cues, e.g. 'cues: {left: ..., right: ...}', or 'guide: 0' "
        "for none"
    ]
