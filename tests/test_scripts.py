"""The built-in practices: each one a track a pair can trust.

What can be checked as data is checked here: length, sections, the partners'
names, consent and pausing at the start, a check-in at the end, calm words
without medical claims. Each practice is also rendered and measured.
"""

from __future__ import annotations

import re
import subprocess
import sys
import wave
from functools import cache
from pathlib import Path

import pytest

from coreg_audio.format.model import Script
from coreg_audio.format.steps import Say, Section, walk_steps
from coreg_audio.format.validate import spoken_texts
from coreg_audio.practice import load, timeline_of
from coreg_audio.timeline.events import Timeline

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
MEDICAL = re.compile(
    r"\b(heal|cure|treat|therap|diagnos|disorder|symptom|medic|clinic|"
    r"patient|ptsd|vagus|vagal|blood pressure|heart rate|nervous system|"
    r"anxiety|depress|guarantee)",
    re.IGNORECASE,
)
COMMANDING = re.compile(r"\b(must|have to|has to|should|ought)\b", re.IGNORECASE)
MAX_SENTENCE_WORDS = 20


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


def test_the_library_holds_the_eight_practices() -> None:
    assert set(NAMES) >= THE_EIGHT


@pytest.mark.parametrize("name", NAMES)
def test_the_first_line_names_the_schema(name: str) -> None:
    first = (SCRIPTS / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == SCHEMA_LINE
    assert (SCRIPTS / first.split("=", 1)[1]).resolve().is_file()


@pytest.mark.parametrize("name", NAMES)
def test_it_speaks_to_both_partners_by_name(name: str) -> None:
    assert {"a", "b"} <= set(script(name).params)
    words = " ".join(spoken(name))
    assert "{a}" in words and "{b}" in words


@pytest.mark.parametrize("name", NAMES)
def test_it_opens_with_consent_and_how_to_pause(name: str) -> None:
    title, words = sections_with_words(name)[0]
    opening = " ".join(words).lower()
    assert isinstance(script(name).steps[0], Section), "the practice starts with a section"
    assert "pause" in opening, f"{title}: say how either partner can pause"
    assert "either of you" in opening, f"{title}: pausing is open to both partners"
    assert "agree" in opening, f"{title}: ask both to agree before beginning"


@pytest.mark.parametrize("name", NAMES)
def test_it_closes_with_a_check_in(name: str) -> None:
    title, words = sections_with_words(name)[-1]
    assert title == "Checking in"
    assert any("How is this for you" in line and "?" in line for line in words), words


@pytest.mark.parametrize("name", NAMES)
def test_the_words_are_calm_short_and_make_no_medical_claims(name: str) -> None:
    for line in spoken(name):
        assert not MEDICAL.search(line), line
        assert not COMMANDING.search(line), f"invite, never command: {line}"
        for sentence in re.split(r"(?<=[.?!])\s+", line):
            assert len(sentence.split()) <= MAX_SENTENCE_WORDS, sentence
    rate = script(name).voice.rate_wpm
    assert rate is not None and 120 <= rate <= 140, "a calm pace for the synthetic voice"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_it_is_valid_three_to_thirty_minutes_with_sections(name: str) -> None:
    compiled = timeline(name)
    assert 3 * 60 <= compiled.duration_s <= 30 * 60
    assert len(compiled.chapters) >= 2
    assert [c.title for c in compiled.chapters] == [t for t, _ in sections_with_words(name)]


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
        [sys.executable, "-m", "coreg_audio", "render", name, "-o", str(out)],
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
