"""BS.1770 loudness as measured here, checked against ffmpeg, pyloudnorm and the standard."""

from __future__ import annotations

import math
import re
import subprocess
import tracemalloc
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import lfilter, resample_poly

from coreg_audio.audio.loudness import LoudnessMeter, clip_loudness_lufs
from coreg_audio.units import SAMPLE_RATE_HZ

FS = SAMPLE_RATE_HZ


def ffmpeg_integrated_lufs(samples: np.ndarray) -> float:
    """Integrated loudness as ffmpeg's ebur128 filter prints it (to 0.1 LU)."""
    x = np.asarray(samples, dtype="<f4")
    channels = 1 if x.ndim == 1 else x.shape[1]
    result = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-f", "f32le", "-ar", str(FS), "-ac",
         str(channels), "-i", "pipe:", "-af", "ebur128", "-f", "null", "-"],
        input=np.ascontiguousarray(x).tobytes(), capture_output=True, check=True,
    )  # fmt: skip
    summary = result.stderr.decode()
    summary = summary[summary.rindex("Summary:") :]
    match = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    assert match, summary
    return float(match.group(1))


def espeak_speech(text: str, folder: Path) -> np.ndarray:
    """Real espeak-ng speech, mono float64 at 44.1 kHz."""
    path = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(path), text], check=True)
    with wave.open(str(path)) as file:
        assert (file.getframerate(), file.getnchannels(), file.getsampwidth()) == (22050, 1, 2)
        pcm = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2")
    return np.asarray(resample_poly(pcm / 32768.0, 2, 1))


def meter_lufs(samples: np.ndarray, block_samples: int | None = None) -> float:
    x = np.asarray(samples)
    meter = LoudnessMeter(channels=1 if x.ndim == 1 else x.shape[1])
    step = block_samples or max(1, x.shape[0])
    for start in range(0, x.shape[0], step):
        meter.add(x[start : start + step])
    return meter.integrated_lufs()


def sine(frequency_hz: float, seconds: float, amplitude: float = 1.0) -> np.ndarray:
    t = np.arange(round(seconds * FS)) / FS
    return amplitude * np.sin(2 * np.pi * frequency_hz * t)


def pink_noise(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Stereo noise falling 3 dB an octave (Kellet's filter), like rain or a room."""
    white = rng.standard_normal((round(seconds * FS), 2))
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1.0, -2.494956002, 2.017265875, -0.522189400]
    return np.asarray(lfilter(b, a, white, axis=0))


@pytest.fixture(scope="module")
def speech_stereo(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    folder = tmp_path_factory.mktemp("speech")
    mono = espeak_speech(
        "Breathe in slowly through your nose. Hold it gently, and let it go.", folder
    )
    return np.stack([mono, 0.7 * mono], axis=1)


@pytest.fixture(scope="module")
def signals(speech_stereo: np.ndarray) -> dict[str, np.ndarray]:
    speech = speech_stereo
    rng = np.random.default_rng(7)
    silence = np.zeros((8 * FS, 2))
    return {
        "white noise": 0.1 * rng.standard_normal((10 * FS, 2)),
        "pink noise": 0.5 * pink_noise(rng, 10.0),
        "1 kHz sine": np.stack([sine(1000, 5, 0.3), sine(1000, 5, 0.3)], axis=1),
        "mono 100 Hz sine": sine(100, 5, 0.5),
        "espeak speech": speech,
        # Long silences: the absolute gate must drop them.
        "speech and silences": np.concatenate([speech, silence, speech, silence]),
        # A stretch 40 dB down: the relative gate must drop it.
        "speech and quiet noise": np.concatenate(
            [speech, 0.003 * rng.standard_normal((15 * FS, 2)), speech]
        ),
        # Near the -70 LUFS absolute gate.
        "very quiet": np.concatenate(
            [
                3e-4 * rng.standard_normal((5 * FS, 2)),
                silence[: 5 * FS],
                3e-5 * rng.standard_normal((5 * FS, 2)),
            ]
        ),
    }


SIGNAL_NAMES = [
    "white noise", "pink noise", "1 kHz sine", "mono 100 Hz sine", "espeak speech",
    "speech and silences", "speech and quiet noise", "very quiet",
]  # fmt: skip


@pytest.mark.parametrize("name", SIGNAL_NAMES)
def test_meter_agrees_with_ffmpeg_ebur128(name: str, signals: dict[str, np.ndarray]) -> None:
    x = signals[name].astype(np.float32)
    assert abs(meter_lufs(x) - ffmpeg_integrated_lufs(x)) <= 0.1


@pytest.mark.parametrize("name", SIGNAL_NAMES)
def test_meter_agrees_with_pyloudnorm(name: str, signals: dict[str, np.ndarray]) -> None:
    x = signals[name].astype(np.float32).astype(np.float64)
    reference = pyloudnorm.Meter(FS).integrated_loudness(x)
    assert abs(meter_lufs(x) - reference) <= 0.2


def test_gates_change_the_result(signals: dict[str, np.ndarray], speech_stereo: np.ndarray) -> None:
    """The gated signals above really exercise the gates: ungated, they read far lower."""
    for name in ("speech and silences", "speech and quiet noise"):
        gated = meter_lufs(signals[name])
        assert clip_loudness_lufs(signals[name]) < gated - 2.0
        assert abs(gated - meter_lufs(speech_stereo)) < 0.3


@pytest.mark.parametrize("block_samples", [1, 7, 4409, 4410, 44100, 123457])
def test_meter_does_not_depend_on_block_size(block_samples: int) -> None:
    rng = np.random.default_rng(3)
    x = 0.1 * rng.standard_normal((3 * FS + 123, 2))
    x[FS // 2 : FS] = 0.0
    if block_samples == 1:
        x = x[: FS // 2]
    whole = meter_lufs(x)
    assert math.isfinite(whole)
    assert abs(meter_lufs(x, block_samples) - whole) <= 1e-9


def test_meter_accepts_empty_blocks() -> None:
    x = sine(440, 1.0, 0.5)[:, None].repeat(2, axis=1)
    meter = LoudnessMeter()
    meter.add(np.zeros((0, 2)))
    meter.add(x)
    meter.add(np.zeros((0, 2)))
    assert meter.integrated_lufs() == meter_lufs(x)


def test_full_scale_1khz_sine_reads_as_bs1770_says() -> None:
    """BS.1770: a 0 dBFS 1 kHz sine in one channel reads -3.01 LKFS; channels add by power."""
    tone = sine(1000, 5.0)
    assert clip_loudness_lufs(tone) == pytest.approx(-3.01, abs=0.01)
    assert clip_loudness_lufs(np.stack([tone, tone], axis=1)) == pytest.approx(0.0, abs=0.01)
    assert clip_loudness_lufs(0.1 * tone) == pytest.approx(-23.01, abs=0.01)
    assert meter_lufs(np.stack([tone, tone], axis=1)) == pytest.approx(0.0, abs=0.01)


def test_clip_loudness_of_a_short_clip() -> None:
    """A clip shorter than a gating block still gets a loudness (the filters settle in ms)."""
    assert clip_loudness_lufs(sine(1000, 0.05)) == pytest.approx(-3.01, abs=0.01)


@pytest.mark.parametrize(
    "measure",
    [clip_loudness_lufs, meter_lufs],
    ids=["clip_loudness_lufs", "LoudnessMeter"],
)
def test_silence_and_nothing_read_minus_infinity(
    measure: Callable[[np.ndarray], float],
) -> None:
    assert measure(np.zeros((3 * FS, 2))) == -math.inf
    assert measure(np.zeros((0, 2))) == -math.inf


def test_meter_needs_one_whole_gating_block() -> None:
    tone = np.stack([sine(1000, 1.0), sine(1000, 1.0)], axis=1)
    block = round(0.4 * FS)
    assert meter_lufs(tone[: block - 1]) == -math.inf
    assert meter_lufs(tone[:block]) == pytest.approx(0.0, abs=0.02)


def test_meter_memory_grows_by_its_energy_figures_only() -> None:
    """Two-hour tracks are normal: an hour should cost about its 36,000 x 2 energy figures.

    Allows twice the raw 576 kB of float64 figures per hour of stereo, measured
    over ten minutes fed in whole 100 ms hops, so the meter's bounded working
    buffer is the same size at both readings.
    """
    block = np.full((5 * FS, 2), 0.01, dtype=np.float32)
    block_s = block.shape[0] / FS
    meter = LoudnessMeter()
    tracemalloc.start()
    try:
        for _ in range(12):
            meter.add(block)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(120):
            meter.add(block)
        growth_per_hour = 3600 / (120 * block_s) * (tracemalloc.get_traced_memory()[0] - before)
    finally:
        tracemalloc.stop()
    assert growth_per_hour <= 2 * 36_000 * 2 * 8


def test_the_meter_ungated_equals_a_short_sound_measured_whole() -> None:
    """Clips are measured by the track meter a piece at a time: the same figure as whole."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(FS * 3 + 1234) * np.hanning(FS * 3 + 1234) * 0.2
    meter = LoudnessMeter(channels=1)
    for start in range(0, x.size, 7001):
        meter.add(x[start : start + 7001])
    assert meter.ungated_lufs() == pytest.approx(clip_loudness_lufs(x), abs=1e-6)
    assert LoudnessMeter(channels=1).ungated_lufs() == -math.inf
