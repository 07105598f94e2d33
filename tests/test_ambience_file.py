"""Ambience from an audio file: any format ffmpeg reads, made into a seamless loop as loud as
speech; every unusable file explained in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.audio.ambience import from_file
from coreg_audio.audio.loudness import SPEECH_REFERENCE_LUFS
from coreg_audio.errors import MissingComponent, UsageError
from coreg_audio.units import ms_to_samples, seconds_to_samples

from .ambience_support import (
    SR,
    assert_seamless,
    dominant_hz,
    energy_outside_db,
    integrated_lufs,
    rms_db,
    whole_loop,
)
from .conftest import REPO


def ffmpeg(path: Path, *arguments: str) -> Path:
    """Make a test file with the real ffmpeg (a missing ffmpeg fails the test)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", *arguments, str(path)], check=True)
    return path


def sine_file(path: Path, *codec: str, seconds: float = 3.0, rate: int = 22050) -> Path:
    """A mono 440 Hz tone at 0.8 of full scale, so even 8-bit samples carry it cleanly."""
    source = f"aevalsrc=0.8*sin(2*PI*440*t):s={rate}:d={seconds}"
    return ffmpeg(path, "-f", "lavfi", "-i", source, *codec)


FORMATS: dict[str, tuple[str, list[str]]] = {
    "mp3": ("tone.mp3", []),
    "ogg": ("tone.ogg", ["-c:a", "libvorbis"]),
    "flac": ("tone.flac", []),
    "wav-16": ("tone.wav", []),
    "wav-float": ("tone.wav", ["-c:a", "pcm_f32le"]),
    "wav-8": ("tone.wav", ["-c:a", "pcm_u8"]),
    "wav-24": ("tone.wav", ["-c:a", "pcm_s24le"]),
}


@pytest.mark.parametrize("kind", FORMATS)
def test_a_22k_mono_file_becomes_a_clean_44k_stereo_loop(kind: str, tmp_path: Path) -> None:
    name, codec = FORMATS[kind]
    source = from_file(sine_file(tmp_path / name, *codec))
    loop = whole_loop(source)
    assert loop.dtype == np.float32 and loop.shape[1] == 2
    assert np.array_equal(loop[:, 0], loop[:, 1])
    crossfade_s = 3.0 / 4
    assert loop.shape[0] / SR == pytest.approx(3.0 - crossfade_s, abs=0.03)
    assert dominant_hz(loop[:, 0]) == pytest.approx(440.0, abs=1.0)
    assert energy_outside_db(loop[:, 0], 440.0, 30.0) < -35.0
    assert integrated_lufs(loop) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)


@pytest.mark.parametrize("quarter", [0, 1, 2, 3])
def test_a_tonal_file_loops_without_a_dip_or_click(quarter: int, tmp_path: Path) -> None:
    """Four hums a quarter cycle apart over the file: one of them meets its head out of phase
    wherever the loop ends, and would cancel there under a plain crossfade."""
    frequency_hz = 220.0 + quarter * 0.25 / 3.7
    path = ffmpeg(tmp_path / "hum.flac", "-f", "lavfi", "-i", f"sine={frequency_hz}:duration=5")
    source = from_file(path)
    assert_seamless(source)
    around = source.block(-SR, source.loop_samples + 2 * SR)[:, 0].astype(np.float64)
    window = ms_to_samples(20)
    levels = [rms_db(around[i : i + window]) for i in range(0, len(around) - window, window)]
    assert max(levels) - min(levels) < 1.0


def test_a_noisy_file_loops_without_a_seam(tmp_path: Path) -> None:
    path = ffmpeg(
        tmp_path / "wind.ogg",
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=color=pink:duration=8:seed=3",
        "-c:a",
        "libvorbis",
    )
    assert_seamless(from_file(path))


def test_a_file_whose_end_differs_from_its_start_still_joins_smoothly(tmp_path: Path) -> None:
    expression = "aevalsrc=if(lt(t\\,3)\\,0.3*sin(2*PI*300*t)\\,0.05*sin(2*PI*700*t)):s=44100:d=6"
    source = from_file(ffmpeg(tmp_path / "change.wav", "-f", "lavfi", "-i", expression))
    assert source.loop_samples == pytest.approx(4.5 * SR, abs=ms_to_samples(26))
    assert_seamless(source)


def test_stereo_files_keep_their_sides_and_surround_files_their_front_pair(tmp_path: Path) -> None:
    inputs = []
    for frequency in (300, 500, 700, 700, 700, 700):
        inputs += ["-f", "lavfi", "-i", f"sine=frequency={frequency}:duration=2"]
    stereo = ffmpeg(tmp_path / "two.wav", *inputs[:8], "-filter_complex", "amerge=inputs=2")
    surround = ffmpeg(tmp_path / "six.wav", *inputs, "-filter_complex", "amerge=inputs=6")
    for path in (stereo, surround):
        loop = whole_loop(from_file(path))
        assert dominant_hz(loop[:, 0]) == pytest.approx(300.0, abs=1.0)
        assert dominant_hz(loop[:, 1]) == pytest.approx(500.0, abs=1.0)
        assert energy_outside_db(loop[:, 1], 500.0, 30.0) < -40.0


@pytest.mark.slow
def test_only_the_first_two_minutes_are_used(tmp_path: Path) -> None:
    expression = "aevalsrc=if(lt(t\\,120)\\,sin(2*PI*300*t)\\,sin(2*PI*1000*t)):s=8000:d=130"
    source = from_file(ffmpeg(tmp_path / "long.wav", "-f", "lavfi", "-i", expression))
    loop = whole_loop(source)
    assert loop.shape[0] / SR == pytest.approx(120.0 - 2.0, abs=0.03)
    assert energy_outside_db(loop[:, 0], 300.0, 30.0) < -40.0


def test_a_short_file_gets_a_short_crossfade(tmp_path: Path) -> None:
    source = from_file(sine_file(tmp_path / "blip.wav", seconds=0.6, rate=44100))
    assert source.loop_samples == pytest.approx(seconds_to_samples(0.45), abs=ms_to_samples(26))


def assert_usage_error(path: Path, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        from_file(path)
    message = str(caught.value)
    assert str(path) in message and words in message, message
    assert "\n" not in message


def test_a_missing_file(tmp_path: Path) -> None:
    assert_usage_error(tmp_path / "nowhere.mp3", "not found")


def test_a_folder(tmp_path: Path) -> None:
    assert_usage_error(tmp_path, "folder")


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    assert_usage_error(path, "empty")


@pytest.mark.parametrize("name", ["garbage.mp3", "garbage.wav", "notes.ogg"])
def test_garbage_is_not_audio(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(4).bytes(5000) if "garbage" in name else b"hello\n")
    assert_usage_error(path, "cannot be decoded")


def test_a_file_without_sound_in_it(tmp_path: Path) -> None:
    picture = ffmpeg(
        tmp_path / "picture.png", "-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "1"
    )
    assert_usage_error(picture, "no audio")


def test_a_too_short_file(tmp_path: Path) -> None:
    assert_usage_error(sine_file(tmp_path / "tick.mp3", seconds=0.3), "too short")


def test_a_silent_file(tmp_path: Path) -> None:
    path = ffmpeg(
        tmp_path / "quiet.flac", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "2"
    )
    assert_usage_error(path, "silent")


def test_without_ffmpeg_the_user_is_told_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sine_file(tmp_path / "tone.mp3")
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("COREG_AUDIO_CACHE_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(MissingComponent) as caught:
        from_file(path)
    assert "sudo apt-get install ffmpeg" in str(caught.value)
    assert caught.value.exit_code == 3


@pytest.mark.slow
def test_an_hour_of_wav_is_found_silent_without_reading_it_into_memory(tmp_path: Path) -> None:
    """635 MB of WAV: hashed as it is read, only its first two minutes decoded."""
    path = ffmpeg(
        tmp_path / "hour.wav", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "3600"
    )
    measure = (
        "import sys, time; from pathlib import Path\n"
        "from coreg_audio.audio.ambience import from_file\n"
        "from tests.conftest import peak_rss_mb\n"
        "from coreg_audio.audio.ambience_file import UnusableAmbience\n"
        "began = time.monotonic()\n"
        "try:\n    from_file(Path(sys.argv[1]))\n"
        "except UnusableAmbience as error:\n    print(error.reason)\n"
        "print(time.monotonic() - began)\n"
        "print(peak_rss_mb())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", measure, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COREG_AUDIO_CACHE_DIR": str(tmp_path / "cache")},
        cwd=REPO,
    )
    reason, seconds, peak_mb = result.stdout.splitlines()
    assert reason.startswith("is silent"), result.stdout
    assert float(seconds) < 20, "hashing and two minutes of decoding: a few seconds"
    assert int(peak_mb) < 300, f"{peak_mb} MB for a file of {path.stat().st_size // 2**20} MB"
