"""16-bit WAV: dithered quantization, and files that read back as written."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.output.sinks import open_sink
from coreg_audio.output.tags import TrackInfo
from coreg_audio.output.wav import WavSink, quantize_int16
from coreg_audio.units import seconds_to_samples

from .sink_support import SR, ffprobe, noise, write_all


def test_quantize_rounds_within_one_lsb_plus_dither_and_is_tpdf() -> None:
    rng = np.random.default_rng(7)
    samples = rng.uniform(-0.9, 0.9, (SR, 2)).astype(np.float32)
    quantized = quantize_int16(samples, np.random.default_rng(0))
    assert quantized.dtype == np.int16 and quantized.shape == samples.shape
    error = quantized.astype(np.float64) - samples.astype(np.float64) * 32768
    assert np.abs(error).max() < 1.5
    assert abs(error.mean()) < 0.01
    # TPDF dither (1/6 LSB²) plus rounding (1/12) gives 1/4, whatever the signal.
    assert error.var() == pytest.approx(0.25, abs=0.01)


def test_quantize_clips_out_of_range_samples() -> None:
    samples = np.array([[2.0, -2.0], [1.0, -1.0], [1e30, -1e30]], dtype=np.float32)
    quantized = quantize_int16(samples, np.random.default_rng(0))
    assert quantized[:, 0].tolist() == [32767, 32767, 32767]
    assert quantized[:, 1].min() == -32768 and quantized[:, 1].max() <= -32767


def test_quantize_is_seeded_and_independent_of_block_boundaries() -> None:
    samples = noise(1.0)
    whole = quantize_int16(samples, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    pieces = np.concatenate(
        [quantize_int16(samples[a:b], rng) for a, b in ((0, 1), (1, 999), (999, SR))]
    )
    assert np.array_equal(whole, pieces)
    assert not np.array_equal(whole, quantize_int16(samples, np.random.default_rng(4)))


def test_wav_parameters_by_wave_and_ffprobe(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    write_all(path, TrackInfo("T"), noise(1.5))
    with wave.open(str(path)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (SR, 2, 2)
        assert reader.getnframes() == seconds_to_samples(1.5)
    (stream,) = ffprobe(path)["streams"]
    assert stream["codec_name"] == "pcm_s16le"
    assert (stream["sample_rate"], stream["channels"], stream["bits_per_sample"]) == (
        "44100",
        2,
        16,
    )
    assert stream["duration_ts"] == seconds_to_samples(1.5)


def test_the_header_carries_the_rate_the_sink_is_given(tmp_path: Path) -> None:
    with WavSink(tmp_path / "a.wav", TrackInfo("T"), sample_rate_hz=48000) as sink:
        sink.write(noise(0.5))
    with wave.open(str(tmp_path / "a.wav")) as reader:
        assert reader.getframerate() == 48000


def test_wav_samples_round_trip_within_one_lsb_plus_dither_and_clip(tmp_path: Path) -> None:
    track = np.random.default_rng(1).uniform(-0.9, 0.9, (2 * SR, 2)).astype(np.float32)
    track[1000:1100] = [1.5, -1.5]
    path = tmp_path / "a.wav"
    write_all(path, TrackInfo("T"), track)
    with wave.open(str(path)) as reader:
        read = np.frombuffer(reader.readframes(reader.getnframes()), "<i2").reshape(-1, 2)
    assert read.shape == track.shape
    assert (read[1000:1100, 0] == 32767).all() and (read[1000:1100, 1] == -32768).all()
    error = read.astype(np.float64) - track.astype(np.float64) * 32768
    error = np.delete(error, np.s_[1000:1100], axis=0)
    assert np.abs(error).max() < 1.5
    assert error.var() == pytest.approx(0.25, abs=0.01)


def test_wav_is_reproducible_whatever_the_blocks_and_follows_the_seed(tmp_path: Path) -> None:
    track = noise(3.0, level=0.001)
    write_all(tmp_path / "a.wav", TrackInfo("T"), track)
    with open_sink(tmp_path / "b.wav", TrackInfo("T"), sample_rate_hz=SR) as sink:
        for start in range(0, len(track), 12345):
            sink.write(track[start : start + 12345])
    write_all(tmp_path / "c.wav", TrackInfo("T"), track, dither_seed=1)
    first = (tmp_path / "a.wav").read_bytes()
    assert first == (tmp_path / "b.wav").read_bytes()
    assert first != (tmp_path / "c.wav").read_bytes()
