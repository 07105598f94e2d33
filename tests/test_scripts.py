"""The built-in practices: each one a track a pair can trust.

What can be checked as data is checked here: length, sections, the partners'
names (and plain sentences without them), consent and pausing at the start, a
check-in at the end, calm words without medical claims, each in the
practice's own language, and a rhythm that never stops under the pair inside
a section; a practice in another language keeps the steps and rhythm of the
one it is a version of. Each practice is also rendered and measured.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import subprocess
import sys
import wave
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest

from coreg_audio.format.languages import words_for
from coreg_audio.format.model import Loc, Script, Step, Text
from coreg_audio.format.overrides import Overrides
from coreg_audio.format.steps import Say, Section, walk_steps
from coreg_audio.format.validate import spoken_texts
from coreg_audio.output.captions import lrc, webvtt
from coreg_audio.practice import load, timeline_of
from coreg_audio.timeline.events import (
    BeatEvent,
    BreathPhase,
    CueEvent,
    SpeechOverEvent,
    Timeline,
)
from coreg_audio.units import SAMPLE_RATE_HZ

from .conftest import REPO

SCRIPTS = REPO / "scripts"
NAMES = sorted(path.stem for path in SCRIPTS.glob("*.yaml"))
THE_EIGHT = {
    "breath-sync",
    "breathing-touch",
    "rock-together",
    "walk-together",
    "mirroring",
    "arriving",
    "holding-space",
    "steady-together",
}
SCHEMA_LINE = "# yaml-language-server: $schema=../src/coreg_audio/format/schema.json"
TRANSLATIONS = {"breath-sync-de": "breath-sync"}
"""Built-in practices in another language, and the practice each is a version of."""
MAX_SENTENCE_WORDS = 20
NAMES_GIVEN = {"a": "Sam", "b": "Alex"}


@dataclass(frozen=True)
class Manners:
    """How a practice in one language asks, opens, closes, and what it never says."""

    pause: str
    either: str
    agree: str
    check_in_title: str
    check_in: str
    medical: re.Pattern[str]
    commanding: re.Pattern[str]
    partner_label: re.Pattern[str]
    """A label in place of a name ("Partner one"): a name has words of its own instead."""
    touch: re.Pattern[str]
    """An invitation to touch."""
    asking: re.Pattern[str]
    capitals_are_names: bool
    """Whether a capital inside a sentence can only be a name (not in German: nouns)."""


MANNERS = {
    "en": Manners(
        pause="pause",
        either="either of you",
        agree="agree",
        check_in_title="Checking in",
        check_in="How is this for you",
        medical=re.compile(
            r"\b(heal|cure|treat|therap|diagnos|disorder|symptom|medic|clinic|"
            r"patient|ptsd|vagus|vagal|blood pressure|heart rate|nervous system|"
            r"anxiety|depress|guarantee)",
            re.IGNORECASE,
        ),
        commanding=re.compile(r"\b(must|have to|has to|should|ought)\b", re.IGNORECASE),
        partner_label=re.compile(r"\bpartner (one|two|a|b|1|2)\b", re.IGNORECASE),
        touch=re.compile(r"\b(rest your hands?|link arms|hold hands)\b", re.IGNORECASE),
        asking=re.compile(r"\b(ask|whether|if you both)\b", re.IGNORECASE),
        capitals_are_names=True,
    ),
    "de": Manners(
        pause="pause",
        either="jede und jeder von euch",
        agree="einig",
        check_in_title="Nachspüren",
        check_in="Wie ist das für euch",
        medical=re.compile(
            r"\b(heil|kur|behandl|therap|diagnos|störung|symptom|medizin|klini|"
            r"patient|ptbs|trauma|vagus|blutdruck|herzfrequenz|puls|nervensystem|"
            r"angst|depress|garant)",
            re.IGNORECASE,
        ),
        commanding=re.compile(
            r"\b(muss|musst|müsst|müssen|soll|sollst|sollt|sollen|solltet|solltest)\b",
            re.IGNORECASE,
        ),
        partner_label=re.compile(
            r"\b(person|partner|partnerin) (eins|zwei|a|b|1|2)\b", re.IGNORECASE
        ),
        touch=re.compile(
            r"\b(legt eure hände?|legt die hand|hakt euch unter|nehmt euch an den händen)\b",
            re.IGNORECASE,
        ),
        asking=re.compile(r"\b(fragt|ob|wenn ihr beide)\b", re.IGNORECASE),
        capitals_are_names=False,
    ),
}
"""Each language of the built-in practices; a new language adds its own."""
ANY_PARTNER_LABEL = re.compile(
    "|".join(manners.partner_label.pattern for manners in MANNERS.values()), re.IGNORECASE
)
ONE_SAMPLE = 1
MAX_PACE_CHANGE_S = 1
"""How much one breath may be longer or shorter than the one before: a ramp, not a jump."""


@cache
def script(name: str) -> Script:
    return load(name)


@cache
def timeline(name: str) -> Timeline:
    return timeline_of(script(name))


def sections_with_words(name: str) -> list[tuple[str, list[str]]]:
    """Each section's title with the words said in it, in order."""
    found: list[tuple[str, list[str]]] = []
    for step in walk_steps(script(name).steps):
        if isinstance(step, Section):
            found.append((step.title, []))
        elif isinstance(step, Say) and found:
            found[-1][1].append(step.text.source)
    return found


def spoken(name: str) -> list[str]:
    return [text.source for text, _ in spoken_texts(script(name).steps)]


def manners(name: str) -> Manners:
    return MANNERS[script(name).language.split("-")[0]]


def test_the_library_holds_the_eight_practices() -> None:
    assert set(NAMES) >= THE_EIGHT


@pytest.mark.parametrize("name", NAMES)
def test_the_first_line_names_the_schema(name: str) -> None:
    first = (SCRIPTS / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == SCHEMA_LINE
    assert (SCRIPTS / first.split("=", 1)[1]).resolve().is_file()


@pytest.mark.parametrize("name", NAMES)
def test_it_names_both_partners_only_when_names_are_given(name: str) -> None:
    """``{a|words}``: the name from ``--set``, else words that fit the sentence."""
    assert not {"a", "b"} & set(script(name).params), "a default here would be said instead"
    words = " ".join(spoken(name))
    assert re.search(r"\{a\|[^{}]+\}", words) and re.search(r"\{b\|[^{}]+\}", words)
    assert not re.search(r"\{[ab]\}", words), "every name has words for when it is not given"


def sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.?!])\s+", text.strip()) if part]


def capitals_inside(sentence: str) -> list[str]:
    """Words after the first that start with a capital letter ("I" aside)."""
    words = [word.strip("'\",.?!:;") for word in sentence.split()[1:]]
    return [word for word in words if word[:1].isupper() and word not in ("I", "I'm")]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_without_names_every_caption_reads_as_a_sentence(name: str) -> None:
    compiled = timeline(name)
    its = manners(name)
    captions = lrc(compiled) + webvtt(compiled)
    assert not its.partner_label.search(captions)
    assert not re.search(r"[{}|]", captions.split("\n", 3)[-1])
    for event in compiled.spoken_events():
        assert not its.partner_label.search(event.text), event.text
        for sentence in sentences(event.text):
            if its.capitals_are_names:
                assert not capitals_inside(sentence), f"{name}: {sentence!r}"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_with_names_it_speaks_to_each_partner_by_name(name: str) -> None:
    named = timeline_of(load(name, Overrides(params=NAMES_GIVEN)))
    words = " ".join(event.text for event in named.spoken_events())
    assert "Sam" in words and "Alex" in words
    assert not manners(name).partner_label.search(words)


@pytest.mark.parametrize("name", NAMES)
def test_it_opens_with_consent_and_how_to_pause(name: str) -> None:
    title, words = sections_with_words(name)[0]
    opening = " ".join(words).lower()
    its = manners(name)
    assert isinstance(script(name).steps[0], Section), "the practice starts with a section"
    assert its.pause in opening, f"{title}: say how either partner can pause"
    assert its.either in opening, f"{title}: pausing is open to both partners"
    assert its.agree in opening, f"{title}: ask both to agree before beginning"


def asks_before_touch(texts: list[str], its: Manners) -> bool:
    """Whether the first invitation to touch asks for it, or comes after words that do."""
    first = next((index for index, text in enumerate(texts) if its.touch.search(text)), None)
    return first is None or any(its.asking.search(text) for text in texts[: first + 1])


@pytest.mark.parametrize("name", NAMES)
def test_it_asks_before_any_touch(name: str) -> None:
    assert asks_before_touch(spoken(name), manners(name))
    assert not asks_before_touch(["Rest your hands on each other's shoulders."], MANNERS["en"])
    assert not asks_before_touch(["Legt eure Hände auf die Schultern."], MANNERS["de"])


def test_steady_together_says_once_where_else_to_find_support() -> None:
    support = [line for line in spoken("steady-together") if "someone you trust" in line.lower()]
    assert len(support) == 1 and "professional" in support[0] and "too much" in support[0]


@pytest.mark.parametrize("name", NAMES)
def test_plain_words_in_summaries_and_the_word_to_say_quoted(name: str) -> None:
    assert "rupture" not in (script(name).summary or "").lower()
    for line in spoken(name):
        assert not re.search(r"\bsay pause\b", line, re.IGNORECASE), line


@pytest.mark.parametrize("name", NAMES)
def test_it_closes_with_a_check_in(name: str) -> None:
    title, words = sections_with_words(name)[-1]
    its = manners(name)
    assert title == its.check_in_title
    assert any(its.check_in in line and "?" in line for line in words), words


@pytest.mark.parametrize("name", NAMES)
def test_the_words_are_calm_short_and_make_no_medical_claims(name: str) -> None:
    its = manners(name)
    for line in spoken(name):
        assert not its.medical.search(line), line
        assert not its.commanding.search(line), f"invite, never command: {line}"
        for sentence in re.split(r"(?<=[.?!])\s+", line):
            assert len(sentence.split()) <= MAX_SENTENCE_WORDS, sentence
    rate = script(name).voice.rate_wpm
    assert rate is not None and 120 <= rate <= 140, "a calm pace for the synthetic voice"


def shape(value: object) -> object:
    """What a step does, without its words, titles and places: its kind, timing and rhythm."""
    if isinstance(value, Text):
        return "words" if value.loc.in_file else "the language's word"
    if isinstance(value, Loc):
        return None
    if isinstance(value, Step):
        fields = {f.name: shape(getattr(value, f.name)) for f in dataclasses.fields(value)}
        mine = ("path", "loc", "title")
        return (value.KIND.name, {k: v for k, v in fields.items() if k not in mine})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(shape(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, tuple | list):
        return tuple(shape(item) for item in value)
    return value


@pytest.mark.parametrize(("name", "original"), TRANSLATIONS.items())
def test_a_translation_keeps_its_originals_steps_timing_and_rhythm(
    name: str, original: str
) -> None:
    ours, theirs = script(name), script(original)
    assert ours.language != theirs.language
    assert [shape(step) for step in walk_steps(ours.steps)] == [
        shape(step) for step in walk_steps(theirs.steps)
    ]
    for key in ("voice", "ambience", "tones", "pattern", "lead_s", "tail_s", "gap_s"):
        assert shape(getattr(ours, key)) == shape(getattr(theirs, key)), key
    assert set(ours.params) == set(theirs.params)
    assert not set(spoken(name)) & set(spoken(original)), "every line in its own language"


@pytest.mark.slow
@pytest.mark.parametrize("name", TRANSLATIONS)
def test_a_translation_speaks_its_cues_in_its_language(name: str) -> None:
    words = words_for(script(name).language)
    assert words is not None
    cues = {event.text for event in timeline(name).events if isinstance(event, CueEvent)}
    assert cues == {words.inhale, words.exhale}
    voices = {event.voice for event in timeline(name).spoken_events()}
    assert {(voice.engine, voice.language) for voice in voices} == {
        ("pyttsx3", script(name).language)
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_it_is_valid_three_to_thirty_minutes_with_sections(name: str) -> None:
    compiled = timeline(name)
    assert 3 * 60 <= compiled.duration_s <= 30 * 60
    assert len(compiled.chapters) >= 2
    assert [c.title for c in compiled.chapters] == [t for t, _ in sections_with_words(name)]


def by_section(compiled: Timeline, starts: list[int]) -> dict[int, list[int]]:
    """The indexes of ``starts`` grouped by the chapter each falls in."""
    bounds = [chapter.start_samples for chapter in compiled.chapters[1:]]
    groups: dict[int, list[int]] = defaultdict(list)
    for index, start in enumerate(starts):
        groups[sum(1 for bound in bounds if bound <= start)].append(index)
    return groups


def breath_cycles(compiled: Timeline) -> list[list[BreathPhase]]:
    """The breath phases, one list per breath: each breath begins with its in-breath."""
    cycles: list[list[BreathPhase]] = []
    for phase in compiled.breaths:
        if phase.phase == "inhale" or not cycles:
            cycles.append([])
        cycles[-1].append(phase)
    return cycles


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_inside_a_section_the_breath_never_stops(name: str) -> None:
    """Each in-breath comes one whole breath after the one before, ramps included."""
    compiled = timeline(name)
    cycles = breath_cycles(compiled)
    sections = by_section(compiled, [cycle[0].start_samples for cycle in cycles])
    for indexes in sections.values():
        for one, two in itertools.pairwise(cycles[index] for index in indexes):
            length = one[-1].end_samples - one[0].start_samples
            late_s = (two[0].start_samples - one[0].start_samples - length) / SAMPLE_RATE_HZ
            assert abs(late_s) * SAMPLE_RATE_HZ <= ONE_SAMPLE, (
                f"{name}: {late_s:.1f} s without breath at "
                f"{one[-1].end_samples / SAMPLE_RATE_HZ:.1f} s"
            )
            change = Fraction(two[-1].end_samples - two[0].start_samples - length, SAMPLE_RATE_HZ)
            assert abs(change) <= MAX_PACE_CHANGE_S, f"{name}: the pace jumps by {change} s"
    assert not cycles or any(len(indexes) > 1 for indexes in sections.values())


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_inside_a_section_the_beat_keeps_its_period(name: str) -> None:
    """Each beat of a rock or walk follows the one before by its step's own interval, also
    where one step hands over to the next."""
    compiled = timeline(name)
    beats = [event for event in compiled.events if isinstance(event, BeatEvent)]
    for indexes in by_section(compiled, [beat.start_samples for beat in beats]).values():
        interval: dict[str, int] = {}
        for one, two in itertools.pairwise(beats[index] for index in indexes):
            spacing = two.start_samples - one.start_samples
            expected = interval.setdefault(one.step, spacing)
            assert abs(spacing - expected) <= ONE_SAMPLE, (
                f"{name}: beat at {two.start_samples / SAMPLE_RATE_HZ:.1f} s comes after "
                f"{spacing / SAMPLE_RATE_HZ:.2f} s instead of {expected / SAMPLE_RATE_HZ:.2f} s"
            )


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_words_over_the_breath_end_within_their_out_breath(name: str) -> None:
    compiled = timeline(name)
    for words in (e for e in compiled.events if isinstance(e, SpeechOverEvent)):
        phase = next((p for p in compiled.breaths if p.start_samples == words.start_samples), None)
        if phase is None:
            continue
        assert phase.phase == "exhale", f"{name}: {words.text!r} is spoken over {phase.phase}"
        assert words.end_samples <= phase.end_samples, f"{name}: {words.text!r} runs on"


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ``ffmpeg -af ebur128=peak=true`` reports them."""
    result = subprocess.run(
        [
            "ffmpeg",
            "-nostats",
            "-hide_banner",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = result.stderr[result.stderr.rindex("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
    assert integrated is not None and peak is not None, summary
    return float(integrated[1]), float(peak[1])


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_it_renders_at_the_standard_loudness(name: str, tmp_path: Path) -> None:
    out = tmp_path / f"{name}.wav"
    result = subprocess.run(
        [sys.executable, "-m", "coreg_audio", "render", name, "-o", str(out), "--captions"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    with wave.open(str(out)) as track:
        frames = track.getnframes()
        assert (track.getframerate(), track.getnchannels()) == (44100, 2)
    assert abs(frames - timeline(name).duration_samples) <= 1
    integrated, peak = ebur128(out)
    assert -17.0 <= integrated <= -15.0, integrated
    assert peak <= -1.0, peak
    captions = out.with_suffix(".lrc").read_text() + out.with_suffix(".vtt").read_text()
    assert not ANY_PARTNER_LABEL.search(captions), "without names, it names no 'partner one'"
