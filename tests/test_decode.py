"""Decoding: speech WAVs through pydub, any other audio file streamed through ffmpeg."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.audio.decode import (
    AudioFacts,
    UndecodableFile,
    audio_segment_class,
    decode_file,
    probe_file,
    read_pcm_file,
    segment_samples,
)

from .conftest import REPO


@pytest.mark.parametrize(
    ("width", "values", "expected"),
    [
        (1, np.array([-128, 0, 64], "<i1"), [-1.0, 0.0, 0.5]),
        (2, np.array([-32768, 0, 16384], "<i2"), [-1.0, 0.0, 0.5]),
        (4, np.array([-(2**31), 0, 2**30], "<i4"), [-1.0, 0.0, 0.5]),
    ],
)
def test_integer_samples_become_floats_of_full_scale_one(
    width: int, values: np.ndarray, expected: list[float]
) -> None:
    segment = audio_segment_class()(
        values.tobytes(), sample_width=width, frame_rate=8000, channels=1
    )
    for dtype in (np.float32, np.float64):
        samples = segment_samples(segment, dtype)
        assert samples.dtype == dtype and samples.shape == (3, 1)
        assert samples[:, 0].tolist() == expected


def test_24_bit_samples_keep_their_scale() -> None:
    three_bytes = b"".join(v.to_bytes(3, "little", signed=True) for v in (-(2**23), 0, 2**22))
    segment = audio_segment_class()(three_bytes, sample_width=3, frame_rate=8000, channels=1)
    assert segment_samples(segment)[:, 0].tolist() == pytest.approx([-1.0, 0.0, 0.5], abs=1e-6)


def test_a_pcm_wav_is_read_without_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frames = np.array([[16384, -16384], [0, 32767]], "<i2")
    path = tmp_path / "speech.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(frames.tobytes())
    monkeypatch.setenv("PATH", str(tmp_path))
    samples, rate = read_pcm_file(path)
    assert rate == 22050 and samples.dtype == np.float64
    np.testing.assert_array_equal(samples, frames / 32768.0)


def test_any_file_ffmpeg_reads_float_wav_included_up_to_a_length(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
         "-c:a", "pcm_f32le", "-ar", "16000", str(path)],
        check=True,
    )  # fmt: skip
    facts = probe_file(path)
    assert facts == AudioFacts(channels=1, sample_rate_hz=16000, duration_s=3.0)
    samples = decode_file(path, max_s=1.0, channels=facts.channels)
    assert samples.dtype == np.float32 and samples.shape == (44100, 2)
    assert np.array_equal(samples[:, 0], samples[:, 1]), "mono is doubled"
    assert 0.1 < float(np.max(np.abs(samples))) <= 1.0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello, not audio\n", "End of file"),
        (None, "no audio stream"),
    ],
)
def test_what_is_not_audio_is_said_in_words(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    path = tmp_path / "notes.ogg"
    if content is None:
        path = tmp_path / "picture.png"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=32x32",
             "-frames:v", "1", str(path)],
            check=True,
        )  # fmt: skip
    else:
        path.write_bytes(content)
    with pytest.raises(UndecodableFile, match=reason):
        probe_file(path)
    with pytest.raises(UndecodableFile):
        decode_file(path, 1.0, channels=1)


@pytest.mark.slow
def test_only_what_is_used_is_ever_in_memory(tmp_path: Path) -> None:
    """Twenty minutes of WAV (212 MB) decoded for its first ten seconds: a few MB held."""
    path = tmp_path / "long.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=1200",
         "-ac", "2", str(path)],
        check=True,
    )  # fmt: skip
    measure = (
        "import sys; from pathlib import Path; "
        "from coreg_audio.audio.decode import decode_file; "
        "from tests.conftest import peak_rss_mb; "
        "before = peak_rss_mb(); "
        "samples = decode_file(Path(sys.argv[1]), 10.0, channels=2); "
        "print(samples.shape[0], peak_rss_mb() - before)"
    )
    result = subprocess.run(
        [sys.executable, "-c", measure, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    frames, grown_mb = (int(word) for word in result.stdout.split())
    assert frames == 441000
    assert grown_mb < 30, f"grew by {grown_mb} MB for 3.5 MB of samples"
