"""LRC and WebVTT captions: exact times and escaping, and read back by ffmpeg's own parsers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from coreg_audio.output.captions import (
    caption_paths,
    lrc,
    webvtt,
    write_captions,
)
from coreg_audio.speech.voice import VoiceSettings
from coreg_audio.time_text import hh_mm_ss_mmm, lrc_time
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import (
    Chapter,
    CueEvent,
    Event,
    SpeechEvent,
    Timeline,
    ToneEvent,
)
from coreg_audio.units import SAMPLE_RATE_HZ

from .conftest import FakeSpeech, script_from

SR = SAMPLE_RATE_HZ
VOICE = VoiceSettings()
COUNTING = """\
title: Counting <together> & slowly
author: Sam --> Alex
lead: 0.5
steps:
  - say: "Hello.\\n  Sit   down."
  - breathe: {cycles: 2, pattern: 4-6, count: true}
  - breathe: {cycles: 1, pattern: 4-6, guide: 0}
  - say: "A < B & C --> D"
"""


def timeline_of(events: tuple[Event, ...], duration_samples: int = 60 * SR) -> Timeline:
    return Timeline(
        title="T",
        author="",
        summary=None,
        duration_samples=duration_samples,
        events=events,
        chapters=(Chapter("All", 0, duration_samples),),
    )


def counting_timeline() -> Timeline:
    return compile_timeline(script_from(COUNTING), FakeSpeech())


def srt_of(path: Path) -> list[tuple[float, float, str]]:
    """Cues as ffmpeg's own LRC or WebVTT reader parses them: (start_s, end_s, text)."""
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "srt", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    cues = []
    for match in re.finditer(r"^\d+\n(\S+ --> \S+)\n(.*?)\n\n", result.stdout + "\n", re.M | re.S):
        times, text = match.group(1), match.group(2).splitlines()
        start, end = (
            sum(
                float(part) * 60 ** (2 - i)
                for i, part in enumerate(stamp.replace(",", ".").split(":"))
            )
            for stamp in times.split(" --> ")
        )
        cues.append((start, end, "\n".join(text)))
    return cues


def test_lrc_has_a_line_per_spoken_item_at_its_start_and_a_clearing_one_at_its_end() -> None:
    timeline = counting_timeline()
    lines = lrc(timeline).splitlines()
    assert lines[:3] == [
        "[ti:Counting <together> & slowly]",
        "[ar:Sam --> Alex]",
        f"[length:00:{round(timeline.duration_s):02d}]",
    ]
    spoken = timeline.spoken_events()
    assert [event.kind for event in spoken].count("count") == 2 * (3 + 5)
    assert lines[3:] == [
        line
        for e in spoken
        for line in (
            f"{lrc_time(e.start_samples)}{' '.join(e.text.split())}",
            lrc_time(e.end_samples),
        )
    ]
    assert lines[3:5] == ["[00:00.50]Hello. Sit down.", lrc_time(spoken[0].end_samples)]
    assert lines[-2].endswith("]A < B & C --> D")
    assert re.fullmatch(r"\[\d\d:\d\d\.\d\d\]", lines[-1])


def test_lrc_clears_only_when_silence_follows() -> None:
    """Words that end where the next begin (to the hundredth) need no empty line between."""
    touching = timeline_of(
        (
            SpeechEvent(SR, 2 * SR, "1", text="One", voice=VoiceSettings(), volume=1.0),
            SpeechEvent(2 * SR + 100, 3 * SR, "2", text="two", voice=VoiceSettings(), volume=1.0),
            CueEvent(
                5 * SR,
                6 * SR,
                "3",
                text="Out",
                phase="exhale",
                cycle=1,
                voice=VoiceSettings(),
                volume=1.0,
            ),
        )
    )
    assert lrc(touching).splitlines()[2:] == [
        "[00:01.00]One",
        "[00:02.00]two",
        "[00:03.00]",
        "[00:05.00]Out",
        "[00:06.00]",
    ]


def test_webvtt_cues_run_from_start_to_end_and_are_escaped() -> None:
    timeline = counting_timeline()
    text = webvtt(timeline)
    assert text.startswith("WEBVTT\n\n1\n00:00:00.500 --> ")
    blocks = text.strip().split("\n\n")[1:]
    spoken = timeline.spoken_events()
    assert len(blocks) == len(spoken)
    for number, (block, event) in enumerate(zip(blocks, spoken, strict=True), start=1):
        cue_id, times, words = block.split("\n")
        assert cue_id == str(number)
        assert times == f"{hh_mm_ss_mmm(event.start_samples)} --> {hh_mm_ss_mmm(event.end_samples)}"
        assert "<" not in words and ">" not in words
    assert blocks[-1].endswith("\nA &lt; B &amp; C --&gt; D")
    assert text.count("-->") == len(spoken)


def test_words_spoken_over_a_step_are_captions_in_their_place() -> None:
    timeline = compile_timeline(
        script_from("""\
        title: Over
        lead: 0
        steps:
          - breathe:
              cycles: 3
              pattern: 4-6
              guide: 1
              say: [{cycle: 2, text: "{a|Both of you}, let it go."}]
        """),
        FakeSpeech(),
    )
    assert [line for line in lrc(timeline).splitlines() if "]" in line and line[-1] != "]"][
        -3:
    ] == ["[00:00.00]In", "[00:04.00]Out", "[00:14.00]Both of you, let it go."]
    assert webvtt(timeline).splitlines()[-3:] == [
        "3",
        f"00:00:14.000 --> {hh_mm_ss_mmm(round((14 + 0.15 + 0.06 * 23) * SR))}",
        "Both of you, let it go.",
    ]


def test_a_timeline_with_nothing_spoken_has_headers_only() -> None:
    tone = ToneEvent(0, SR, "1", phase="inhale", cycle=1, style="glide", level_db=-12, pitch_hz=196)
    silent = timeline_of((tone,))
    assert lrc(silent) == "[ti:T]\n[length:01:00]\n"
    assert webvtt(silent) == "WEBVTT\n"


def test_write_captions_puts_both_files_beside_the_track(tmp_path: Path) -> None:
    track = tmp_path / "practice.mp3"
    (tmp_path / "practice.lrc").write_text("old")
    timeline = counting_timeline()
    assert (
        write_captions(timeline, track)
        == caption_paths(track)
        == (tmp_path / "practice.lrc", tmp_path / "practice.vtt")
    )
    assert (tmp_path / "practice.lrc").read_text(encoding="utf-8") == lrc(timeline)
    assert (tmp_path / "practice.vtt").read_text(encoding="utf-8") == webvtt(timeline)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["practice.lrc", "practice.vtt"]


def test_ffmpeg_reads_the_captions_as_written(tmp_path: Path) -> None:
    timeline = counting_timeline()
    lrc_path, vtt_path = write_captions(timeline, tmp_path / "c.mp3")
    spoken = timeline.spoken_events()
    from_vtt = srt_of(vtt_path)
    assert [text for _, _, text in from_vtt] == [" ".join(e.text.split()) for e in spoken]
    for (start_s, end_s, _), event in zip(from_vtt, spoken, strict=True):
        assert start_s == pytest.approx(event.start_samples / SR, abs=0.0006)
        assert end_s == pytest.approx(event.end_samples / SR, abs=0.0006)
    from_lrc = [cue for cue in srt_of(lrc_path) if cue[2]]
    assert [text for _, _, text in from_lrc] == [text for _, _, text in from_vtt]
    for (start_s, end_s, _), event in zip(from_lrc, spoken, strict=True):
        assert start_s == pytest.approx(event.start_samples / SR, abs=0.0051)
        assert end_s == pytest.approx(event.end_samples / SR, abs=0.0051), "no word lingers"
