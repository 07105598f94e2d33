"""Generated ambience loops: ocean, rain, brown and pink noise, from a seed.

Noise is shaped in the frequency domain with random phases, so every loop is
periodic by construction; waves, gusts and drops are placed circularly on the
loop, so nothing marks where it wraps. A loop is made as loud as speech
(``SPEECH_REFERENCE_LUFS``) by the faster ungated loudness: generated loops
have no quiet stretches for the gates to drop, so it is the same within 0.05 LU.

A loop is 21 MB of samples; it is built one channel and one layer at a time,
in place, with the same arithmetic as building it whole (the same samples to
the last bit), so building it takes about three times its size, not ten.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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
_SKIP_CHUNK = 1 << 16
Shape = Callable[[np.ndarray], np.ndarray]
"""A layer's spectral shape: its amplitude (float32) at each bin's frequency (float32 Hz)."""


def _rng(name: str, seed: int) -> np.random.Generator:
    """A generator for one ambience and seed; the name keeps sources of one seed apart."""
    entropy = [seed % 2**64, zlib.crc32(name.encode("utf-8"))]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def _fast_loudness_lufs(loop: np.ndarray) -> float:
    """Ungated K-weighted loudness of an (n, 2) loop, one channel at a time.

    Generated loops have no quiet stretches, so the BS.1770 gates would drop
    nothing and this equals the gated figure (the tests check it against
    LoudnessMeter); measured per channel it is three times faster.
    """
    power = sum(
        10.0 ** ((clip_loudness_lufs(loop[:, channel]) + 0.691) / 10.0)
        for channel in range(loop.shape[1])
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
    filter rather than two sounds. Only where the random phases start in the
    generator's stream is kept: a channel's spectrum is drawn again when a layer
    needs it (milliseconds), so building a loop holds one channel's work at a time.
    """

    draw_state: Mapping[str, Any]
    """The generator's state before the phases: the left channel's, then the right one's own."""
    correlation: float
    loop_samples: int
    frequency_hz: np.ndarray
    """Each bin's frequency (float32), the DC bin nudged off zero so 1/f shapes stay finite."""

    @classmethod
    def make(cls, rng: np.random.Generator, loop_samples: int, correlation: float) -> _NoiseBed:
        """A bed whose phases are the next draws of ``rng``, which moves past them."""
        bed = cls(
            rng.bit_generator.state, correlation, loop_samples, _safe_frequencies(loop_samples)
        )
        _skip_floats(rng, 2 * bed.bins)
        return bed

    @property
    def bins(self) -> int:
        return self.loop_samples // 2 + 1

    def _unit(self, row: int) -> np.ndarray:
        """Unit magnitude at the random phases of ``row`` (complex64).

        Random phase alone makes Gaussian-like noise (each sample sums a million
        sinusoids) with a perfectly even spectrum, at a third of the cost of
        drawing Gaussian spectra.
        """
        draw = np.random.default_rng(np.random.PCG64())
        draw.bit_generator.state = self.draw_state
        _skip_floats(draw, row * self.bins)
        angles_rad = draw.random(self.bins, dtype=np.float32)
        angles_rad *= np.float32(2.0 * math.pi)
        unit = np.empty(self.bins, dtype=np.complex64)
        unit.real = np.cos(angles_rad)
        unit.imag = np.sin(angles_rad)
        return unit

    def _spectrum(self, channel: int) -> np.ndarray:
        """The channel's white spectrum; the right one is partly the left's."""
        spectrum = self._unit(0)
        if channel == 1:
            spectrum *= self.correlation
            own = self._unit(1)
            own *= math.sqrt(1.0 - self.correlation**2)
            spectrum += own
        return spectrum

    def _shaped(self, shape: Shape, channel: int, out: np.ndarray) -> None:
        """One channel of the periodic noise of ``shape`` into ``out`` (float32, loop long)."""
        amplitude = shape(self.frequency_hz)
        amplitude[0] = 0.0
        spectrum = self._spectrum(channel)
        spectrum *= amplitude
        del amplitude
        np.fft.irfft(spectrum, n=self.loop_samples, out=out)

    def layer(self, shape: Shape, scratch: np.ndarray) -> _Layer:
        """The noise of ``shape`` at unit RMS over both channels, made a channel at a time.

        The RMS needs both channels, so each is made once in ``scratch`` to measure
        it and again when asked for: tens of milliseconds, against holding a layer.
        """
        square_sum = 0.0
        for channel in range(2):
            self._shaped(shape, channel, scratch)
            square_sum += float(np.vdot(scratch, scratch))
        rms = math.sqrt(square_sum / (2 * self.loop_samples))
        return _Layer(self, shape, np.float32(1.0 / max(rms, 1e-20)))


@dataclass(frozen=True)
class _Layer:
    """Shaped noise at unit RMS, one channel at a time."""

    bed: _NoiseBed
    shape: Shape
    scale: np.float32

    def channel(self, channel: int, out: np.ndarray) -> None:
        """The layer's ``channel`` into ``out`` (float32, the loop's length)."""
        self.bed._shaped(self.shape, channel, out)
        out *= self.scale


def _skip_floats(rng: np.random.Generator, count: int) -> None:
    """Move ``rng`` past ``count`` float32 draws, as if they were drawn at once."""
    while count > 0:
        step = min(count, _SKIP_CHUNK)
        rng.random(step, dtype=np.float32)
        count -= step


def _safe_frequencies(loop_samples: int) -> np.ndarray:
    """The frequencies of a loop's FFT bins (float32), the DC bin nudged off zero so 1/f
    shapes stay finite."""
    frequency_hz = rfft_frequencies_hz(loop_samples).astype(np.float32)
    result: np.ndarray = np.maximum(frequency_hz, frequency_hz[1])
    return result


def _colored_noise(
    rng: np.random.Generator, loop_samples: int, exponent: float, correlation: float
) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (1: pink, 2: brown), high-passed at 20 Hz."""
    bed = _NoiseBed.make(rng, loop_samples, correlation)

    def shape(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f ** (-exponent / 2.0) * _highpass(f, 20.0)
        return shaped

    scratch = np.empty(loop_samples, dtype=np.float32)
    noise = bed.layer(shape, scratch)
    loop = np.empty((loop_samples, 2), dtype=np.float32)
    for channel in range(2):
        noise.channel(channel, scratch)
        loop[:, channel] = scratch
    return loop


def _pink_noise(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    return _colored_noise(rng, loop_samples, exponent=1.0, correlation=0.3)


def _brown_noise(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    return _colored_noise(rng, loop_samples, exponent=2.0, correlation=0.5)


_CONTROL_STEP_SAMPLES = 441
"""Envelopes are drawn at 100 points a second and interpolated linearly between them."""
_CONTROL_STRETCH_STEPS = 512
"""Control curves are drawn this many steps at a time, never at a whole channel's size."""


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
    """Multiply ``signal`` (float32, m * _CONTROL_STEP_SAMPLES) in place by a periodic
    control curve of m points: linear between points, and from the last back to the first."""
    start = control.astype(np.float32)
    rise = np.roll(start, -1) - start
    ramp = np.arange(_CONTROL_STEP_SAMPLES, dtype=np.float32) / _CONTROL_STEP_SAMPLES
    steps = signal.reshape(-1, _CONTROL_STEP_SAMPLES)
    for first in range(0, steps.shape[0], _CONTROL_STRETCH_STEPS):
        rows = slice(first, first + _CONTROL_STRETCH_STEPS)
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

    def rumble_shape(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f**-1.0 * _highpass(f, 30.0) * _lowpass(f, 500.0)
        return shaped

    def surf_shape(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f**-0.5 * _highpass(f, 150.0) * _lowpass(f, 5000.0)
        return shaped

    scratch = np.empty(loop_samples, dtype=np.float32)
    rumble, surf = bed.layer(rumble_shape, scratch), bed.layer(surf_shape, scratch)

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
        rumble.channel(channel, scratch)
        _apply_control(scratch, rumble_gain[channel])
        sea[:, channel] = scratch
        surf.channel(channel, scratch)
        _apply_control(scratch, surf_gain[channel])
        sea[:, channel] += scratch
    return sea


_RAIN_DROPS_PER_S = 7.0
_DROP_MAX_S = 0.06
_DROP_PEAK_DB = 8.0
"""A drop's typical peak over the hiss's RMS: plinks just above the rain, never on top of it."""
_DROP_PEAK_SPREAD_DB = 4.0


def _raindrops(rng: np.random.Generator, loop_samples: int) -> Callable[[int], np.ndarray]:
    """Sparse small drops: short rising blips of 1.8-4.5 kHz placed around the loop.

    Drawn now; each channel's drops (float32, the loop's length) made when asked.
    """
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

    def channel_of(channel: int) -> np.ndarray:
        side = (np.cos, np.sin)[channel](pan_angle)
        placed: np.ndarray = np.bincount(where, (drops * side[:, None]).ravel(), loop_samples)
        return placed.astype(np.float32)

    return channel_of


def _rain(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    """Steady soft rain: a band-limited hiss over a faint low body, its level breathing
    slowly, and sparse small drops scattered around the listener."""
    loop_s = samples_to_float_s(loop_samples)
    bed = _NoiseBed.make(rng, loop_samples, correlation=0.2)

    def hiss_shape(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f**-0.5 * _highpass(f, 500.0) * _lowpass(f, 6000.0, order=3)
        return shaped

    def body_shape(f: np.ndarray) -> np.ndarray:
        shaped: np.ndarray = f**-1.0 * _highpass(f, 40.0) * _lowpass(f, 250.0)
        return shaped

    f = bed.frequency_hz
    body_gain = db_to_gain(-8.0) * float(
        np.sqrt(np.sum(hiss_shape(f) ** 2) / np.sum(body_shape(f) ** 2))
    )

    def shape(f: np.ndarray) -> np.ndarray:
        hiss = hiss_shape(f)
        body = body_shape(f)
        body *= body_gain
        hiss += body
        return hiss

    scratch = np.empty(loop_samples, dtype=np.float32)
    noise = bed.layer(shape, scratch)
    time_s = _control_times_s(loop_samples)
    gusts = np.ones_like(time_s)
    for cycles in (3, 5, 7, 11):
        offset = rng.uniform(0.0, 2.0 * math.pi)
        gusts += 0.05 * np.sin(2.0 * math.pi * cycles * time_s / loop_s + offset)
    drops = _raindrops(rng, loop_samples)
    rain = np.empty((loop_samples, 2), dtype=np.float32)
    for channel in range(2):
        noise.channel(channel, scratch)
        _apply_control(scratch, gusts)
        scratch += drops(channel)
        rain[:, channel] = scratch
    return rain


GENERATORS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "ocean": _ocean,
    "rain": _rain,
    "brown-noise": _brown_noise,
    "pink-noise": _pink_noise,
}
"""Each makes its loop unscaled, (n, 2) float32, a channel at a time."""


def generated_loop(name: str, seed: int, loop_samples: int) -> np.ndarray:
    """The loop of the generated ``name`` for ``seed``: (n, 2) float32, as loud as speech."""
    loop = GENERATORS[name](_rng(name, seed), loop_samples)
    loop *= np.float32(db_to_gain(SPEECH_REFERENCE_LUFS - _fast_loudness_lufs(loop)))
    return loop
