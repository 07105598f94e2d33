"""Generated ambience loops: ocean, rain, brown and pink noise, from a seed.

Noise is shaped in the frequency domain with random phases, so every loop is
periodic by construction; waves, gusts and drops are placed circularly on the
loop, so nothing marks where it wraps. A loop is made as loud as speech
(``SPEECH_REFERENCE_LUFS``) by the faster ungated loudness: generated loops
have no quiet stretches for the gates to drop, so it is the same within 0.05 LU.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..units import (
    db_to_gain,
    ms_to_samples,
    rfft_frequencies_hz,
    samples_to_float_s,
    seconds_to_samples,
)
from .loudness import SPEECH_REFERENCE_LUFS, clip_loudness_lufs
from .sounds import oscillator_phase_rad, raised_cosine

GENERATED_LOOP_S = 60
"""Long enough that nothing recognisably repeats; 60 s of stereo float32 is 21 MB."""


def _rng(name: str, seed: int) -> np.random.Generator:
    """A generator for one ambience and seed; the name keeps sources of one seed apart."""
    entropy = [seed % 2**64, zlib.crc32(name.encode("utf-8"))]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def _fast_loudness_lufs(channels_first: np.ndarray) -> float:
    """Ungated K-weighted loudness of a (2, n) loop, one contiguous channel at a time.

    Generated loops have no quiet stretches, so the BS.1770 gates would drop
    nothing and this equals the gated figure (the tests check it against
    LoudnessMeter); measured per channel it is three times faster.
    """
    power = sum(
        10.0 ** ((clip_loudness_lufs(np.ascontiguousarray(channel)) + 0.691) / 10.0)
        for channel in channels_first
    )
    return -0.691 + 10.0 * math.log10(power)


def _highpass(frequency_hz: np.ndarray, corner_hz: float, order: int = 2) -> np.ndarray:
    ratio = (frequency_hz / corner_hz) ** order
    result: np.ndarray = ratio / np.sqrt(1.0 + ratio * ratio)
    return result


def _lowpass(frequency_hz: np.ndarray, corner_hz: float, order: int = 2) -> np.ndarray:
    result: np.ndarray = 1.0 / np.sqrt(1.0 + (frequency_hz / corner_hz) ** (2 * order))
    return result


@dataclass(frozen=True)
class _NoiseBed:
    """White spectra for one loop, shared by every shaped layer made from them.

    Layers cut from the same white noise overlap coherently where their bands
    meet, so crossfading between a dark and a bright layer acts like a moving
    filter rather than two sounds. Arrays here are channels-first, (2, n).
    """

    spectra: np.ndarray
    frequency_hz: np.ndarray
    loop_samples: int

    @classmethod
    def make(cls, rng: np.random.Generator, loop_samples: int, correlation: float) -> _NoiseBed:
        """Two unit-magnitude spectra with random phases, the right one partly the left's.

        Random phase alone makes Gaussian-like noise (each sample sums a million
        sinusoids) with a perfectly even spectrum, at a third of the cost of
        drawing Gaussian spectra.
        """
        bins = loop_samples // 2 + 1
        angles = rng.random((2, bins), dtype=np.float32) * np.float32(2.0 * math.pi)
        unit = np.empty((2, bins), dtype=np.complex64)
        unit.real = np.cos(angles)
        unit.imag = np.sin(angles)
        spectra = np.empty((2, bins), dtype=np.complex64)
        spectra[0] = unit[0]
        spectra[1] = correlation * unit[0] + math.sqrt(1.0 - correlation**2) * unit[1]
        frequency_hz = rfft_frequencies_hz(loop_samples).astype(np.float32)
        return cls(spectra, frequency_hz, loop_samples)

    def layers(self, amplitudes: list[np.ndarray]) -> list[np.ndarray]:
        """One (2, n) periodic noise per spectral amplitude curve, each at unit RMS."""
        shaped = np.empty((2 * len(amplitudes), self.spectra.shape[1]), dtype=np.complex64)
        for index, amplitude in enumerate(amplitudes):
            gain = amplitude.astype(np.float32)
            gain[0] = 0.0
            np.multiply(self.spectra, gain, out=shaped[2 * index : 2 * index + 2])
        import scipy.fft  # building a loop is rare (loops are cached); keep renders light

        signals = scipy.fft.irfft(shaped, n=self.loop_samples, axis=-1)
        out = []
        for index in range(len(amplitudes)):
            stereo = signals[2 * index : 2 * index + 2]
            rms = math.sqrt(sum(float(np.vdot(row, row)) for row in stereo) / stereo.size)
            stereo *= np.float32(1.0 / max(rms, 1e-20))
            out.append(stereo)
        return out


def _safe_frequencies(frequency_hz: np.ndarray) -> np.ndarray:
    """Frequencies with the DC bin nudged off zero so 1/f shapes stay finite."""
    result: np.ndarray = np.maximum(frequency_hz, frequency_hz[1])
    return result


def _colored_noise(
    rng: np.random.Generator, loop_samples: int, exponent: float, correlation: float
) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (1: pink, 2: brown), high-passed at 20 Hz."""
    bed = _NoiseBed.make(rng, loop_samples, correlation)
    f = _safe_frequencies(bed.frequency_hz)
    (noise,) = bed.layers([f ** (-exponent / 2.0) * _highpass(f, 20.0)])
    return noise


def _pink_noise(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    return _colored_noise(rng, loop_samples, exponent=1.0, correlation=0.3)


def _brown_noise(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    return _colored_noise(rng, loop_samples, exponent=2.0, correlation=0.5)


_CONTROL_STEP_SAMPLES = 441
"""Envelopes are drawn at 100 points a second and interpolated linearly between them."""


def _circular_events(
    rng: np.random.Generator, loop_s: float, min_gap_s: float, max_gap_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Event times spaced min_gap..max_gap apart (roughly) that tile the loop exactly.

    Gaps are drawn at random and then scaled together so they sum to the loop,
    so the spacing across the wrap is like every other spacing.
    """
    count = max(1, round(loop_s / ((min_gap_s + max_gap_s) / 2.0)))
    gaps_s = rng.uniform(min_gap_s, max_gap_s, count)
    gaps_s *= loop_s / gaps_s.sum()
    starts_s = np.concatenate([[0.0], np.cumsum(gaps_s)[:-1]]) + rng.uniform(0.0, loop_s)
    return np.mod(starts_s, loop_s), gaps_s


def _control_times_s(loop_samples: int) -> np.ndarray:
    if loop_samples % _CONTROL_STEP_SAMPLES:
        raise ValueError(f"a generated loop must be whole control steps, not {loop_samples}")
    result: np.ndarray = samples_to_float_s(
        np.arange(loop_samples // _CONTROL_STEP_SAMPLES) * _CONTROL_STEP_SAMPLES
    )
    return result


def _control_to_audio(control: np.ndarray) -> np.ndarray:
    """Periodic control curves (k, m) stretched to (k, m * _CONTROL_STEP_SAMPLES) float32.

    Linear between points, and from the last point back to the first across the wrap.
    """
    start = control.astype(np.float32)
    rise = np.roll(start, -1, axis=1) - start
    ramp = np.arange(_CONTROL_STEP_SAMPLES, dtype=np.float32) / _CONTROL_STEP_SAMPLES
    audio = start[:, :, None] + rise[:, :, None] * ramp[None, None, :]
    return audio.reshape(control.shape[0], -1)


def _ocean(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    """Slow irregular swells over a dark rumble that never stops.

    Each wave lifts the rumble and, more steeply, a brighter surf layer, so the
    sound grows brighter as well as louder towards the crest; the surf lingers
    as a hissing wash while the water draws back. Waves come from slightly
    different sides.
    """
    loop_s = samples_to_float_s(loop_samples)
    bed = _NoiseBed.make(rng, loop_samples, correlation=0.35)
    f = _safe_frequencies(bed.frequency_hz)
    rumble, surf = bed.layers(
        [
            f**-1.0 * _highpass(f, 30.0) * _lowpass(f, 500.0),
            f**-0.5 * _highpass(f, 150.0) * _lowpass(f, 5000.0),
        ]
    )

    time_s = _control_times_s(loop_samples)
    starts_s, gaps_s = _circular_events(rng, loop_s, 6.0, 12.0)
    swell = np.zeros((2, time_s.size))
    wash = np.zeros((2, time_s.size))
    for start_s, gap_s in zip(starts_s, gaps_s, strict=True):
        height = rng.uniform(0.55, 1.0)
        pan_angle = (rng.uniform(-0.35, 0.35) + 1.0) * math.pi / 4.0
        side_gains = math.sqrt(2.0) * np.array([math.cos(pan_angle), math.sin(pan_angle)])
        since_s = np.mod(time_s - start_s, loop_s)
        rise_s = 0.4 * gap_s
        rising = 0.5 - 0.5 * np.cos(math.pi * np.minimum(since_s / rise_s, 1.0))
        falling = np.exp(-np.maximum(since_s - rise_s, 0.0) / (0.25 * gap_s))
        swell += height * np.outer(side_gains, rising * falling)
        after_crest_s = since_s - rise_s
        lingering = (after_crest_s > 0.0) * np.exp(-np.maximum(after_crest_s, 0.0) / (0.4 * gap_s))
        wash += height * np.outer(side_gains, rising * lingering)
    swell /= swell.max()
    wash /= wash.max()
    rumble_gain = 0.45 + 0.55 * swell
    surf_gain = db_to_gain(-2.0) * (0.08 + 0.92 * np.maximum(swell * swell, 0.35 * wash))
    gains = _control_to_audio(np.concatenate([rumble_gain, surf_gain]))
    rumble *= gains[0:2]
    surf *= gains[2:4]
    rumble += surf
    return rumble


_RAIN_DROPS_PER_S = 7.0
_DROP_MAX_S = 0.06
_DROP_PEAK_DB = 8.0
"""A drop's typical peak over the hiss's RMS: plinks just above the rain, never on top of it."""
_DROP_PEAK_SPREAD_DB = 4.0


def _raindrops(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    """Sparse small drops, (2, n): short rising blips of 1.8-4.5 kHz placed around the loop."""
    count = round(_RAIN_DROPS_PER_S * samples_to_float_s(loop_samples))
    length = seconds_to_samples(_DROP_MAX_S)
    local_s = samples_to_float_s(np.arange(length))
    pitch_hz = np.exp(rng.uniform(math.log(1800.0), math.log(4500.0), (count, 1)))
    decay_s = rng.uniform(0.004, 0.010, (count, 1))
    level = 10.0 ** (rng.normal(_DROP_PEAK_DB, _DROP_PEAK_SPREAD_DB, (count, 1)) / 20.0)
    pan_angle = (rng.uniform(-0.8, 0.8, count) + 1.0) * math.pi / 4.0
    starts = rng.integers(loop_samples, size=(count, 1))
    chirp_hz = pitch_hz * (1.0 + 0.25 * local_s / _DROP_MAX_S)
    phase = oscillator_phase_rad(chirp_hz)
    drops = level * np.sin(phase) * np.exp(-local_s / decay_s)
    attack_samples = ms_to_samples(0.6)
    drops[:, :attack_samples] *= raised_cosine(attack_samples)
    drops[:, length - length // 2 :] *= raised_cosine(length // 2)[::-1]
    where = ((starts + np.arange(length)) % loop_samples).ravel()
    return np.stack(
        [
            np.bincount(where, (drops * side(pan_angle)[:, None]).ravel(), loop_samples)
            for side in (np.cos, np.sin)
        ]
    ).astype(np.float32)


def _rain(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    """Steady soft rain: a band-limited hiss over a faint low body, its level breathing
    slowly, and sparse small drops scattered around the listener."""
    loop_s = samples_to_float_s(loop_samples)
    bed = _NoiseBed.make(rng, loop_samples, correlation=0.2)
    f = _safe_frequencies(bed.frequency_hz)
    hiss = f**-0.5 * _highpass(f, 500.0) * _lowpass(f, 6000.0, order=3)
    body = f**-1.0 * _highpass(f, 40.0) * _lowpass(f, 250.0)
    body *= db_to_gain(-8.0) * float(np.sqrt(np.sum(hiss**2) / np.sum(body**2)))
    (mix,) = bed.layers([hiss + body])
    time_s = _control_times_s(loop_samples)
    gusts = np.ones_like(time_s)
    for cycles in (3, 5, 7, 11):
        offset = rng.uniform(0.0, 2.0 * math.pi)
        gusts += 0.05 * np.sin(2.0 * math.pi * cycles * time_s / loop_s + offset)
    mix *= _control_to_audio(gusts[None, :])
    mix += _raindrops(rng, loop_samples)
    return mix


GENERATORS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "ocean": _ocean,
    "rain": _rain,
    "brown-noise": _brown_noise,
    "pink-noise": _pink_noise,
}


def generated_loop(name: str, seed: int, loop_samples: int) -> np.ndarray:
    """The loop of the generated ``name`` for ``seed``: (n, 2) float32, as loud as speech."""
    channels_first = GENERATORS[name](_rng(name, seed), loop_samples)
    gain = db_to_gain(SPEECH_REFERENCE_LUFS - _fast_loudness_lufs(channels_first))
    return (channels_first * np.float32(gain)).T
