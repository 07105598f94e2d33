"""What the ambience tests share: looking at loops, and checking that a loop has no seam."""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.signal import butter, sosfilt

from coreg_audio.audio.ambience import LoopedAmbience, built_in
from coreg_audio.audio.loudness import LoudnessMeter
from coreg_audio.format.sounds import BUILT_IN_AMBIENCES
from coreg_audio.units import SAMPLE_RATE_HZ, ms_to_samples, seconds_to_samples

SR = SAMPLE_RATE_HZ

SEED = 11


def built_in_sources() -> dict[str, LoopedAmbience]:
    """Every built-in at SEED, built."""
    made = {name: built_in(name, SEED) for name in BUILT_IN_AMBIENCES}
    for source in made.values():
        source.prepare()
    return made


def whole_loop(source: LoopedAmbience) -> np.ndarray:
    return source.block(0, source.loop_samples)


def integrated_lufs(samples: np.ndarray) -> float:
    meter = LoudnessMeter()
    meter.add(samples)
    return meter.integrated_lufs()


def rms_db(samples: np.ndarray) -> float:
    return 10.0 * math.log10(float(np.mean(np.square(samples, dtype=np.float64))) + 1e-30)


def dominant_hz(samples: np.ndarray) -> float:
    windowed = samples.astype(np.float64) * np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(windowed))
    return float(np.argmax(spectrum) * SR / len(samples))


def energy_outside_db(samples: np.ndarray, centre_hz: float, half_width_hz: float) -> float:
    """Energy away from one tone, relative to all of it: how cleanly a tone came through."""
    windowed = samples.astype(np.float64) * np.hanning(len(samples))
    power = np.abs(np.fft.rfft(windowed)) ** 2
    frequency = np.fft.rfftfreq(len(samples), 1.0 / SR)
    outside = power[np.abs(frequency - centre_hz) > half_width_hz].sum()
    return float(10.0 * math.log10(outside / power.sum() + 1e-30))


HIGH = butter(8, 10_000.0, "highpass", fs=SR, output="sos")

_THIRD_OCTAVES_HZ = 50.0 * 2.0 ** (np.arange(0, 25) / 3.0)


def _band_levels_db(samples: np.ndarray) -> np.ndarray:
    power = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    frequency = np.fft.rfftfreq(len(samples), 1.0 / SR)
    edges = np.append(_THIRD_OCTAVES_HZ, _THIRD_OCTAVES_HZ[-1] * 2 ** (1 / 3))
    bands = [
        power[(frequency >= lo) & (frequency < hi)].sum() for lo, hi in itertools.pairwise(edges)
    ]
    return 10.0 * np.log10(np.asarray(bands) + 1e-30)


def seam_metrics(source: LoopedAmbience, boundary_sample: int) -> np.ndarray:
    """How much the sound changes at one point: a click, a level step, a change of spectrum.

    Each is measured from one side of ``boundary_sample`` to the other, on the
    left channel then the right.
    """
    half = seconds_to_samples(0.25)
    block = source.block(boundary_sample - half, 2 * half).astype(np.float64)
    metrics = []
    for channel in block.T:
        high = sosfilt(HIGH, channel)
        near = np.max(np.abs(high[half - ms_to_samples(1) : half + ms_to_samples(1)]))
        click = near / (np.sqrt(np.mean(high[: half - 500] ** 2)) + 1e-12)
        step_window = ms_to_samples(50)
        level_step = abs(
            rms_db(channel[half - step_window : half]) - rms_db(channel[half : half + step_window])
        )
        spectral = float(
            np.mean(np.abs(_band_levels_db(channel[:half]) - _band_levels_db(channel[half:])))
        )
        metrics.extend([click, level_step, spectral])
    return np.asarray(metrics)


def assert_seamless(source: LoopedAmbience) -> None:
    """The wrap changes the sound no more than ordinary moments inside the loop do."""
    rng = np.random.default_rng(5)
    loop_samples = source.loop_samples
    margin = seconds_to_samples(0.3)
    inside = np.max(
        [seam_metrics(source, int(p)) for p in rng.integers(margin, loop_samples - margin, 40)],
        axis=0,
    )
    at_wrap = seam_metrics(source, loop_samples)
    assert np.all(at_wrap <= 1.5 * inside + 0.05), (at_wrap, inside)


def naive_loop(samples: np.ndarray) -> LoopedAmbience:
    return LoopedAmbience("naive", lambda: samples)
