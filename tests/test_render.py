"""Rendering with the real speech engine and ffmpeg, measured as players and engineers would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode

from coreg_audio.audio import mix
from coreg_audio.audio.limiter import DEFAULT_CEILING_DBTP
from coreg_audio.audio.loudness import TARGET_LUFS
from coreg_audio.audio.master import Mastering
from coreg_audio.errors import CoregError
from coreg_audio.output.render import (
    AAC_CEILING_DBTP,
    MP3_CEILINGS_DBTP,
    OPUS_CEILING_DBTP,
    OPUS_CEILINGS_DBTP,
    RenderOptions,
    mastering_for,
    render,
)
from coreg_audio.practice import load
from coreg_audio.timeline.events import SpeechOverEvent, ToneEvent
from coreg_audio.units import SAMPLE_RATE_HZ, ms_to_samples

ONSET_TOLERANCE_MS = 15.0
AUDIBLE_DBFS = -40.0

SPOKEN = """\
title: Spoken onsets
voice: {engine: ENGINE}
lead: 0.7
tail: 1
tones: none
params: {a: Sam}
steps:
  - section: Words
  - say: Hello {a}. Let us begin.
  - say: Sit comfortably, and notice your breath.
    after: 0.4
  - section: Counting
  - breathe: {cycles: 2, pattern: 4-6, count: true}
  - breathe: {cycles: 1, pattern: 3-2-4, to: 3-2-4, count: true, cues: {hold: Hold gently}}
  - rock: {cycles: 2, period: 3}
  - say: Thank you.
"""


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as file:
        assert (file.getframerate(), file.getnchannels(), file.getsampwidth()) == (
            SAMPLE_RATE_HZ,
            2,
            2,
        )
        frames = file.readframes(file.getnframes())
    return np.frombuffer(frames, dtype="<i2").reshape(-1, 2).astype(np.float64) / 32768.0


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak as ffmpeg measures them."""
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
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


@pytest.fixture(scope="module", params=["piper", "pyttsx3"])
def spoken_render(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> tuple[Path, dict[str, object]]:
    """The same script spoken by the natural voice and by espeak-ng."""
    folder = tmp_path_factory.mktemp("spoken")
    script = folder / "spoken.yaml"
    script.write_text(SPOKEN.replace("ENGINE", request.param))
    out = folder / "spoken.wav"
    render(load(str(script)), out)
    shown = subprocess.run(
        [sys.executable, "-m", "coreg_audio", "show", str(script), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out, json.loads(shown.stdout)


@pytest.mark.slow
def test_every_spoken_item_is_audible_within_15_ms_of_its_start(
    spoken_render: tuple[Path, dict[str, object]],
) -> None:
    path, timeline = spoken_render
    track = np.max(np.abs(read_wav(path)), axis=1)
    threshold = 10 ** (AUDIBLE_DBFS / 20)
    tolerance = ms_to_samples(ONSET_TOLERANCE_MS)
    spoken = [
        e
        for e in timeline["events"]  # type: ignore[attr-defined]
        if e["kind"] in ("speech", "cue", "count")
    ]
    assert len(spoken) == 4 + 2 * (1 + 3 + 1 + 5) + (1 + 2 + 1 + 1 + 3) + 4
    previous_end = 0
    for event in spoken:
        start = round(event["start"] * SAMPLE_RATE_HZ)
        region = track[previous_end : start + tolerance + 1]
        loud = np.flatnonzero(region > threshold)
        assert loud.size, f"nothing audible within 15 ms of {event}"
        onset = previous_end + int(loud[0])
        assert abs(onset - start) <= tolerance, (event, (onset - start) / SAMPLE_RATE_HZ)
        previous_end = round(event["end"] * SAMPLE_RATE_HZ)


SPOKEN_OVER = """\
title: Spoken over
voice: {engine: ENGINE}
lead: 0.7
tail: 1
tones: none
steps:
  - breathe:
      cycles: 3
      pattern: 3-4
      guide: 0
      say:
        - {cycle: 1, text: Breathe out slowly.}
        - {cycle: 2, phase: inhale, text: And in.}
        - {cycle: 3, text: Let it go.}
  - rock:
      cycles: 3
      period: 5
      guide: 0
      pan: 1
      say:
        - {cycle: 1, text: Sway to the left.}
        - {cycle: 3, phase: right, text: And back.}
  - walk:
      pace: 60
      steps: 8
      pan: 1
      say:
        - {cycle: 2, text: Step.}
        - {cycle: 5, text: And on.}
"""


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["piper", "pyttsx3"])
def test_words_over_a_step_are_audible_within_15_ms_of_their_start(
    tmp_path: Path, engine: str
) -> None:
    """Each item's onset in the WAV, in the channel its beat leaves silent (the beats are
    panned hard to one side, the voice sounds in the middle)."""
    script = tmp_path / "over.yaml"
    script.write_text(SPOKEN_OVER.replace("ENGINE", engine))
    timeline = render(load(str(script)), tmp_path / "over.wav")
    track = np.abs(read_wav(tmp_path / "over.wav"))
    threshold = 10 ** (AUDIBLE_DBFS / 20)
    tolerance = ms_to_samples(ONSET_TOLERANCE_MS)
    over = [e for e in timeline.events if isinstance(e, SpeechOverEvent)]
    assert [(e.phase, e.cycle) for e in over] == [
        ("exhale", 1),
        ("inhale", 2),
        ("exhale", 3),
        ("left", 1),
        ("right", 3),
        ("right", 2),
        ("left", 5),
    ]
    previous_end = 0
    for event in over:
        channel = {"left": 1, "right": 0}.get(event.phase, 0)
        start = event.start_samples
        region = track[
            max(previous_end, start - SAMPLE_RATE_HZ // 2) : start + tolerance + 1, channel
        ]
        loud = np.flatnonzero(region > threshold)
        assert loud.size, f"nothing audible within 15 ms of {event.text!r}"
        onset = start + tolerance + 1 - region.shape[0] + int(loud[0])
        assert abs(onset - start) <= tolerance, (event.text, (onset - start) / SAMPLE_RATE_HZ)
        previous_end = event.end_samples


UNDER_WORDS = """\
title: Under the words
lead: 1
tail: 1
ambience: {sound: pink-noise, level: -20, duck: 8}
steps:
  - say: Welcome. Sit comfortably, and let your shoulders soften.
  - say: In a moment, the tone will rise as you breathe in, and fall as you breathe out.
  - breathe:
      cycles: 4
      pattern: 4-6
      guide: 0
      say:
        - {cycle: 3, text: "Let your breath be slow, and easy, and long."}
  - say: Thank you. Notice how you feel now.
"""


def rms_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-30))


def high_band(samples: np.ndarray) -> np.ndarray:
    """12 to 18 kHz, where only the ambience sounds: speech is made at 22.05 kHz, so it
    stops at 11 kHz, and the breath tone is a low glide."""
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(samples.shape[0], 1 / SAMPLE_RATE_HZ)
    spectrum[(freqs < 12_000) | (freqs > 18_000)] = 0
    return np.fft.irfft(spectrum, samples.shape[0])


@pytest.mark.slow
def test_under_words_over_the_breath_the_ambience_ducks_and_the_tone_does_not(
    tmp_path: Path,
) -> None:
    """Measured in the rendered WAV, while the words sound and over the same stretch of the
    out-breath before: the tone's level (the track projected on the tone itself) and the
    ambience's (where only it sounds). The limiter takes a little off everything under the
    voice's peaks; beyond that, the ambience ducks by its 8 dB and the tone not at all."""
    from coreg_audio.audio import sounds
    from coreg_audio.units import db_to_gain

    script = tmp_path / "under.yaml"
    script.write_text(UNDER_WORDS)
    timeline = render(load(str(script)), tmp_path / "under.wav")
    left = read_wav(tmp_path / "under.wav")[:, 0]
    words = next(e for e in timeline.events if isinstance(e, SpeechOverEvent))
    tones = {
        e.cycle: e for e in timeline.events if isinstance(e, ToneEvent) and e.phase == "exhale"
    }
    under, before = tones[3], tones[2]
    assert under.start_samples == words.start_samples
    assert words.length_samples > 2 * SAMPLE_RATE_HZ
    shape = sounds.glide_tone(under.length_samples, "exhale", under.pitch_hz).astype(np.float64)
    shape = shape[: words.length_samples] * db_to_gain(under.level_db)

    def levels(start: int) -> tuple[float, float]:
        """(tone, ambience) in dB over the words' length from ``start``."""
        heard = left[start : start + words.length_samples]
        tone = float(np.dot(heard, shape) / np.dot(shape, shape))
        return 20 * float(np.log10(tone)), rms_db(high_band(heard))

    tone_under, ambience_under = levels(under.start_samples)
    tone_before, ambience_before = levels(before.start_samples)
    limited_db = tone_before - tone_under
    assert 0 <= limited_db < 1.5, "the tone stays as it is, but for the limiter"
    assert ambience_before - ambience_under - limited_db == pytest.approx(8, abs=1.0)


@pytest.mark.slow
def test_wav_is_mastered_and_as_long_as_the_timeline(
    spoken_render: tuple[Path, dict[str, object]],
) -> None:
    path, timeline = spoken_render
    samples = read_wav(path)
    assert samples.shape[0] == round(timeline["duration"] * SAMPLE_RATE_HZ)  # type: ignore[operator]
    integrated, peak = ebur128(path)
    assert -17.0 <= integrated <= -15.0
    assert peak <= -1.0


@pytest.mark.slow
def test_a_render_repeats_exactly(tmp_path: Path) -> None:
    script = tmp_path / "again.yaml"
    script.write_text(
        "title: Again\nambience: rain\nsteps:\n  - say: Once more.\n"
        "  - breathe: {cycles: 1, pattern: 2-3}\n  - bell: {ring: 2}\n"
    )
    render(load(str(script)), tmp_path / "one.wav")
    render(load(str(script)), tmp_path / "two.wav")
    render(load(str(script)), tmp_path / "three.wav", RenderOptions(seed=7))
    one = (tmp_path / "one.wav").read_bytes()
    assert one == (tmp_path / "two.wav").read_bytes()
    assert one != (tmp_path / "three.wav").read_bytes()


@pytest.mark.slow
def test_breath_sync_mp3_is_phone_ready(tmp_path: Path) -> None:
    """The acceptance check, through the command a user types."""
    out = tmp_path / "breath-sync.mp3"
    result = subprocess.run(
        [sys.executable, "-m", "coreg_audio", "render", "breath-sync", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(
        subprocess.run(
            [sys.executable, "-m", "coreg_audio", "show", "breath-sync", "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )

    probe = json.loads(
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-show_format",
                "-show_streams",
                "-show_chapters",
                "-of",
                "json",
                str(out),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    chapters = probe["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [s["title"] for s in shown["sections"]]
    starts = [float(c["start_time"]) for c in chapters]
    assert starts == sorted(starts) and starts[0] == 0.0
    for chapter, section in zip(chapters, shown["sections"], strict=True):
        assert float(chapter["start_time"]) == pytest.approx(section["start"], abs=0.001)
        assert float(chapter["end_time"]) == pytest.approx(section["end"], abs=0.001)
    tags = probe["format"]["tags"]
    assert tags["title"] == "Breath Synchronization"
    assert tags["artist"] == "coreg-audio"
    assert tags["album"] == "coreg-audio practices"
    assert "Breathing together" in tags["comment"] and "shared, slow pace" in tags["comment"]
    stream = probe["streams"][0]
    assert (stream["codec_name"], int(stream["sample_rate"]), stream["channels"]) == (
        "mp3",
        44100,
        2,
    )
    assert float(probe["format"]["duration"]) == pytest.approx(shown["duration"], abs=0.05)

    info = MP3(out).info
    assert info is not None
    assert info.bitrate_mode in (BitrateMode.CBR, BitrateMode.UNKNOWN)
    assert info.bitrate == 128_000
    assert ID3(out).version == (2, 3, 0)

    checked = subprocess.run(["mp3val", str(out)], capture_output=True, text=True, check=True)
    assert not re.search(r"WARNING|ERROR", checked.stdout), checked.stdout

    integrated, peak = ebur128(out)
    assert -17.0 <= integrated <= -15.0, integrated
    assert peak <= -1.0, peak


def test_a_failed_render_leaves_no_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "x.yaml"
    script.write_text("title: X\nsteps:\n  - breathe: {cycles: 3, guide: 0}\n")
    target = tmp_path / "x.wav"
    target.write_bytes(b"old")
    calls = {"n": 0}
    real_block = mix.Mixer.block

    def failing_block(self: mix.Mixer, start: int, length: int) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] > 12:
            raise OSError(28, "No space left on device")
        return real_block(self, start, length)

    monkeypatch.setattr(mix.Mixer, "block", failing_block)
    with pytest.raises((OSError, CoregError)):
        render(load(str(script)), target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.wav", "x.yaml"]


def test_each_format_is_aimed_below_its_encoders_overshoot() -> None:
    assert mastering_for(Path("t.wav"), 128) == Mastering()
    assert mastering_for(Path("t.MP3"), 128) == Mastering(TARGET_LUFS + 0.4, DEFAULT_CEILING_DBTP)
    assert mastering_for(Path("t.mp3"), 192) == Mastering(TARGET_LUFS + 0.3, DEFAULT_CEILING_DBTP)
    assert mastering_for(Path("t.mp3"), 320) == Mastering(TARGET_LUFS, DEFAULT_CEILING_DBTP)
    assert mastering_for(Path("t.mp3"), 64).ceiling_dbtp == MP3_CEILINGS_DBTP[64]
    assert mastering_for(Path("t.m4a"), 128) == Mastering(ceiling_dbtp=AAC_CEILING_DBTP)
    assert mastering_for(Path("t.opus"), 32) == Mastering(ceiling_dbtp=OPUS_CEILINGS_DBTP[32])
    assert mastering_for(Path("t.opus"), 96) == Mastering(ceiling_dbtp=OPUS_CEILING_DBTP)


PEAKY = """\
title: Peaky
lead: 0.5
ambience: {sound: ocean, level: -20}
steps:
  - bell: 2
  - say: Breathe in, and out. Plosives pop, bells ring, the ocean rolls.
  - breathe: {cycles: 3, pattern: 3-4, count: true}
  - bell: {strikes: 3, every: 2, ring: 4}
  - say: Thank you. Take care, both of you.
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "bitrate_kbps"), [("t.m4a", 128), ("t.m4a", 192), ("t.opus", 64), ("t.opus", 128)]
)
def test_m4a_and_opus_are_as_loud_as_mp3_and_stay_under_the_ceiling(
    tmp_path: Path, name: str, bitrate_kbps: int
) -> None:
    script = tmp_path / "peaky.yaml"
    script.write_text(PEAKY)
    render(load(str(script)), tmp_path / name, RenderOptions(bitrate_kbps=bitrate_kbps))
    integrated, peak = ebur128(tmp_path / name)
    assert -17.0 <= integrated <= -15.0, integrated
    assert peak <= -1.0, peak
