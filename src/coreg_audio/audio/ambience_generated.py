"""Generated ambience loops: ocean, rain, brown and pink noise, from a seed.

Noise is shaped in the frequency domain with random phases, so every loop is
periodic by construction; waves, gusts and drops are placed circularly on the
loop, so nothing marks where it wraps. A loop is made as loud as speech
(``SPEECH_REFERENCE_LUFS``), measured as it sounds played round and round.

A loop is 21 MB of samples; it is built one channel and one layer at a time,
in place where numpy allows, so building it takes a few times that, not ten.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..units import (
    SAMPLE_RATE_HZ,
    db_to_gain,
    ms_to_samples,
    samples_to_float_s,
    seconds_to_samples,
)
from .loudness import IMPULSE_SAMPLES, SPEECH_REFERENCE_LUFS, LoudnessMeter, periodic_power
from .sounds import oscillator_phase_rad, raised_cosine

GENERATED_LOOP_S = 60
"""Long enough that nothing recognisably repeats; 60 s of stereo float32 is 21 MB."""
_METER_BLOCK_SAMPLES = seconds_to_samples(4)


def _rng(name: str, seed: int) -> np.random.Generator:
    """A generator for one ambience and seed; the name keeps sources of one seed apart."""
    entropy = [seed % 2**64, zlib.crc32(name.encode("utf-8"))]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def _loop_loudness_lufs(loop: np.ndarray) -> float:
    """Integrated loudness of an (n, 2) loop played round and round, 4 s at a time."""
    meter = LoudnessMeter()
    meter.follow(loop[-IMPULSE_SAMPLES:])
    for start in range(0, loop.shape[0], _METER_BLOCK_SAMPLES):
        meter.add(loop[start : start + _METER_BLOCK_SAMPLES])
    return meter.integrated_lufs()


def _highpass(frequency_hz: np.ndarray, corner_hz: float, order: int = 2) -> np.ndarray:
    ratio = (frequency_hz / corner_hz) ** order
    result: np.ndarray = ratio / np.sqrt(1.0 + ratio * ratio)
    return result


def _lowpass(frequency_hz: np.ndarray, corner_hz: float, order: int = 2) -> np.ndarray:
    result: np.ndarray = 1.0 / np.sqrt(1.0 + (frequency_hz / corner_hz) ** (2 * order))
    return result


_SHAPE_CHUNK_BINS = 1 << 16
Amplitude = Callable[[np.ndarray], np.ndarray]
"""A layer's spectral shape: its amplitude at each frequency (float32 hertz in, float32 out)."""


@dataclass(frozen=True)
class _NoiseBed:
    """White spectra for one loop, shared by every shaped layer made from them.

    Layers cut from the same white noise overlap coherently where their bands
    meet, so crossfading between a dark and a bright layer acts like a moving
    filter rather than two sounds. Only the seed of the random phases is kept:
    a channel's spectrum is drawn again when a layer needs it, which costs
    milliseconds and saves holding the phases of both channels throughout.
    """

    seed: int
    correlation: float
    loop_samples: int

    @classmethod
    def make(cls, rng: np.random.Generator, loop_samples: int, correlation: float) -> _NoiseBed:
        return cls(int(rng.integers(2**63)), correlation, loop_samples)

    @property
    def bins(self) -> int:
        return self.loop_samples // 2 + 1

    def _frequencies(self) -> Iterator[tuple[slice, np.ndarray]]:
        """The bins' frequencies a stretch at a time (float32), the DC bin nudged off zero
        so 1/f stays finite: shapes are computed in pieces, never in whole-loop temporaries."""
        step = np.float32(SAMPLE_RATE_HZ / self.loop_samples)
        for first in range(0, self.bins, _SHAPE_CHUNK_BINS):
            bins = slice(first, min(first + _SHAPE_CHUNK_BINS, self.bins))
            frequency_hz = np.arange(bins.start, bins.stop, dtype=np.float32) * step
            if first == 0:
                frequency_hz[0] = step
            yield bins, frequency_hz

    def total(self, shape: Amplitude) -> float:
        """The sum over every bin of ``shape``."""
        return sum(float(np.sum(shape(f), dtype=np.float64)) for _, f in self._frequencies())

    def _amplitude(self, shape: Amplitude) -> np.ndarray:
        amplitude = np.empty(self.bins, dtype=np.float32)
        for bins, frequency_hz in self._frequencies():
            amplitude[bins] = shape(frequency_hz)
        amplitude[0] = 0.0
        return amplitude

    def _spectrum(self, channel: int) -> np.ndarray:
        """The channel's white spectrum, unit magnitude with random phases (complex64).

        Random phase alone makes Gaussian-like noise (each sample sums a million
        sinusoids) with a perfectly even spectrum, at a third of the cost of
        drawing Gaussian spectra. The right channel is partly the left's.
        """
        draw = np.random.default_rng(self.seed)
        angles = draw.random(self.bins, dtype=np.float32)
        angles *= np.float32(2.0 * math.pi)
        if channel == 1:
            left = angles
            angles = draw.random(self.bins, dtype=np.float32)
            angles *= np.float32(2.0 * math.pi)
        spectrum = np.empty(self.bins, dtype=np.complex64)
        np.cos(angles, out=spectrum.real)
        np.sin(angles, out=spectrum.imag)
        if channel == 1:
            spectrum *= np.float32(math.sqrt(1.0 - self.correlation**2))
            np.cos(left, out=angles)
            angles *= np.float32(self.correlation)
            spectrum.real += angles
            np.sin(left, out=angles)
            angles *= np.float32(self.correlation)
            spectrum.imag += angles
        return spectrum

    def unit_rms_gain(self, shape: Amplitude) -> float:
        """The factor that brings the layer of ``shape`` to unit RMS (Parseval)."""
        amplitude = self._amplitude(shape)
        power = 0.0
        for channel in range(2):
            spectrum = self._spectrum(channel)
            spectrum *= amplitude
            power += periodic_power(spectrum, self.loop_samples, weighted=False)
        return 1.0 / max(math.sqrt(power / 2.0), 1e-20)

    def layer(self, shape: Amplitude, channel: int, gain: float) -> np.ndarray:
        """One channel of the periodic noise of ``shape``, times ``gain`` (float32)."""
        spectrum = self._spectrum(channel)
        spectrum *= self._amplitude(shape)
        signal: np.ndarray = np.fft.irfft(spectrum, n=self.loop_samples)
        del spectrum
        signal *= np.float32(gain)
        return signal


def _colored_noise(
    rng: np.random.Generator, loop_samples: int, exponent: float, correlation: float
) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (1: pink, 2: brown), high-passed at 20 Hz."""
    bed = _NoiseBed.make(rng, loop_samples, correlation)

    def shape(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f ** (-exponent / 2.0) * _highpass(f, 20.0)
        return shaped

    gain = bed.unit_rms_gain(shape)
    noise = np.empty((loop_samples, 2), dtype=np.float32)
    for channel in range(2):
        noise[:, channel] = bed.layer(shape, channel, gain)
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


def _apply_control(signal: np.ndarray, control: np.ndarray) -> None:
    """Multiply ``signal`` (float32, m * _CONTROL_STEP_SAMPLES long) in place by a periodic
    control curve of m points, linear between points and from the last back to the first.

    The curve is drawn a stretch at a time, so it never takes the signal's size.
    """
    start = control.astype(np.float32)
    rise = np.roll(start, -1) - start
    ramp = np.arange(_CONTROL_STEP_SAMPLES, dtype=np.float32) / _CONTROL_STEP_SAMPLES
    steps = signal.reshape(-1, _CONTROL_STEP_SAMPLES)
    stretch = 512
    for first in range(0, steps.shape[0], stretch):
        rows = slice(first, first + stretch)
        curve = rise[rows, None] * ramp[None, :]
        curve += start[rows, None]
        steps[rows] *= curve


def _ocean(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    """Slow irregular swells over a dark rumble that never stops.

    Each wave lifts the rumble and, more steeply, a brighter surf layer, so the
    sound grows brighter as well as louder towards the crest; the surf lingers
    as a hissing wash while the water draws back. Waves come from slightly
    different sides.
    """
    loop_s = samples_to_float_s(loop_samples)
    bed = _NoiseBed.make(rng, loop_samples, correlation=0.35)

    def rumble(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f**-1.0 * _highpass(f, 30.0) * _lowpass(f, 500.0)
        return shaped

    def surf(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f**-0.5 * _highpass(f, 150.0) * _lowpass(f, 5000.0)
        return shaped

    rumble_unit, surf_unit = bed.unit_rms_gain(rumble), bed.unit_rms_gain(surf)

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
    sea = np.empty((loop_samples, 2), dtype=np.float32)
    for channel in range(2):
        layer = bed.layer(rumble, channel, rumble_unit)
        _apply_control(layer, rumble_gain[channel])
        sea[:, channel] = layer
        del layer
        layer = bed.layer(surf, channel, surf_unit)
        _apply_control(layer, surf_gain[channel])
        sea[:, channel] += layer
        del layer
    return sea


_RAIN_DROPS_PER_S = 7.0
_DROP_MAX_S = 0.06
_DROP_PEAK_DB = 8.0
"""A drop's typical peak over the hiss's RMS: plinks just above the rain, never on top of it."""
_DROP_PEAK_SPREAD_DB = 4.0


def _raindrops(
    rng: np.random.Generator, loop_samples: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse small drops, short rising blips of 1.8-4.5 kHz placed around the loop:
    where each drop's samples fall, the drops (count, length) and their pan angles."""
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
    where = ((starts + np.arange(length)) % loop_samples).astype(np.int32).ravel()
    return where, drops, pan_angle


def _rain(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    """Steady soft rain: a band-limited hiss over a faint low body, its level breathing
    slowly, and sparse small drops scattered around the listener."""
    loop_s = samples_to_float_s(loop_samples)
    bed = _NoiseBed.make(rng, loop_samples, correlation=0.2)

    def hiss(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f**-0.5 * _highpass(f, 500.0) * _lowpass(f, 6000.0, order=3)
        return shaped

    def body(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f**-1.0 * _highpass(f, 40.0) * _lowpass(f, 250.0)
        return shaped

    body_gain = db_to_gain(-8.0) * math.sqrt(
        bed.total(lambda f: hiss(f) ** 2) / bed.total(lambda f: body(f) ** 2)
    )

    def hiss_and_body(f: np.ndarray) -> np.ndarray:
        return hiss(f) + body_gain * body(f)

    unit = bed.unit_rms_gain(hiss_and_body)
    time_s = _control_times_s(loop_samples)
    gusts = np.ones_like(time_s)
    for cycles in (3, 5, 7, 11):
        offset = rng.uniform(0.0, 2.0 * math.pi)
        gusts += 0.05 * np.sin(2.0 * math.pi * cycles * time_s / loop_s + offset)
    where, drops, pan_angle = _raindrops(rng, loop_samples)
    rain = np.empty((loop_samples, 2), dtype=np.float32)
    for channel, side in enumerate((np.cos, np.sin)):
        layer = bed.layer(hiss_and_body, channel, unit)
        _apply_control(layer, gusts)
        np.add.at(layer, where, (drops * side(pan_angle)[:, None]).astype(np.float32).ravel())
        rain[:, channel] = layer
        del layer
    return rain


GENERATORS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "ocean": _ocean,
    "rain": _rain,
    "brown-noise": _brown_noise,
    "pink-noise": _pink_noise,
}


def generated_loop(name: str, seed: int, loop_samples: int) -> np.ndarray:
    """The loop of the generated ``name`` for ``seed``: (n, 2) float32, as loud as speech."""
    loop = GENERATORS[name](_rng(name, seed), loop_samples)
    loop *= np.float32(db_to_gain(SPEECH_REFERENCE_LUFS - _loop_loudness_lufs(loop)))
    return loop
