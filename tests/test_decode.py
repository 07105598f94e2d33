"""The one decoder: audio files, through pydub (and ffmpeg), as float samples."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.audio.decode import (
    audio_segment_class,
    decode_file,
    read_pcm_file,
    segment_samples,
)


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
    samples, rate = decode_file(path, max_s=1.0)
    assert rate == 16000 and samples.dtype == np.float32 and samples.shape == (16000, 1)
    assert 0.1 < float(np.max(np.abs(samples))) <= 1.0
