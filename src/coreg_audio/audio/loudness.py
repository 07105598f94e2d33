"""ITU-R BS.1770 loudness, measured block by block so a track never has to sit in memory.

The K-weighting coefficients follow libebur128's derivation, which reproduces the
standard's 48 kHz table and works at any sample rate.

The filter is applied by convolution with its impulse response, in numpy alone:
the response has died below 1e-12 within IMPULSE_SAMPLES, so the result equals
the recursive filter to float precision. A short sound (a tone, a bell, a clip)
is weighted in one FFT; a stream (``LoudnessMeter``) by overlap-save, segment
after segment. Measuring a track therefore never loads scipy.signal, whose
import alone takes some 75 MB of resident memory.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..units import SAMPLE_RATE_HZ

SPEECH_REFERENCE_LUFS = -23.0
"""Every speech clip, tone, bell and ambience is made this loud at level 0 dB."""

TARGET_LUFS = -16.0
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
_HOP_S = 0.1
_HOPS_PER_BLOCK = 4
IMPULSE_SAMPLES = 8192
"""Long enough for the K-weighting's 38 Hz high-pass to ring out (tail under 1e-12)."""
_FFT_SAMPLES = 2 * IMPULSE_SAMPLES
_SEGMENT_SAMPLES = _FFT_SAMPLES - IMPULSE_SAMPLES + 1
"""New samples per overlap-save FFT (this size measured fastest with numpy's FFT)."""


def k_weighting(sample_rate_hz: int = SAMPLE_RATE_HZ) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of the K-weighting filter (shelf then high-pass)."""
    f0 = 1681.974450955533
    gain_db = 3.999843853973347
    q = 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate_hz)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf_b = np.array(
        [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    )
    shelf_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    f0 = 38.13547087602444
    q = 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate_hz)
    a0 = 1.0 + k / q + k * k
    hp_b = np.array([1.0, -2.0, 1.0])
    hp_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    return np.convolve(shelf_b, hp_b), np.convolve(shelf_a, hp_a)


@lru_cache(maxsize=4)
def k_weighting_impulse(sample_rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """The K-weighting filter's impulse response, IMPULSE_SAMPLES long (float64).

    Sampled from the filter's frequency response on a grid sixteen times longer,
    so the time aliasing of the inverse FFT is far below the truncation.
    """
    b, a = k_weighting(sample_rate_hz)
    grid = 16 * IMPULSE_SAMPLES
    z_inverse = np.exp(-1j * np.pi * np.arange(grid // 2 + 1) / (grid // 2))
    response = np.polyval(b[::-1], z_inverse) / np.polyval(a[::-1], z_inverse)
    impulse = np.fft.irfft(response, grid)[:IMPULSE_SAMPLES]
    impulse.setflags(write=False)
    return impulse


@lru_cache(maxsize=16)
def _impulse_spectrum(sample_rate_hz: int, fft_samples: int) -> np.ndarray:
    spectrum = np.fft.rfft(k_weighting_impulse(sample_rate_hz), fft_samples)
    spectrum.setflags(write=False)
    return spectrum


def _weigh_segment(
    history: np.ndarray, segment: np.ndarray, sample_rate_hz: int
) -> tuple[np.ndarray, np.ndarray]:
    """One overlap-save step: ``segment`` ((channels, up to _SEGMENT_SAMPLES)) K-weighted
    as following ``history`` (the IMPULSE_SAMPLES - 1 samples before it), and the next history.
    """
    count = segment.shape[1]
    joined = np.concatenate([history, segment], axis=1)
    spectrum = np.fft.rfft(joined, _FFT_SAMPLES, axis=1)
    spectrum *= _impulse_spectrum(sample_rate_hz, _FFT_SAMPLES)
    weighted = np.fft.irfft(spectrum, _FFT_SAMPLES, axis=1)
    return weighted[:, IMPULSE_SAMPLES - 1 : IMPULSE_SAMPLES - 1 + count], joined[:, count:]


def k_weighted(channels_first: np.ndarray, sample_rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """The K-weighted signal, as long as the input ((channels, n), from silence), float64.

    A segment at a time, so a long sound needs no FFT (and no working memory) of its
    own length: numpy's FFT of n samples briefly takes some thirty bytes a sample.
    Each segment is taken to float64 as it is weighed, so float32 input (or a view
    with strides) needs no whole copy.
    """
    x = np.asarray(channels_first)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    flat = x.reshape(-1, x.shape[-1])
    out = np.empty(flat.shape, dtype=np.float64)
    history = np.zeros((flat.shape[0], IMPULSE_SAMPLES - 1))
    for start in range(0, flat.shape[1], _SEGMENT_SAMPLES):
        stop = start + _SEGMENT_SAMPLES
        out[:, start:stop], history = _weigh_segment(history, flat[:, start:stop], sample_rate_hz)
    return out.reshape(x.shape)


def _k_weighting_power(frequency_hz: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """|H|² of the K-weighting at each frequency, from the coefficients' autocorrelations."""
    b, a = k_weighting(sample_rate_hz)
    omega = 2.0 * math.pi * np.asarray(frequency_hz, dtype=np.float64) / sample_rate_hz
    numerator = np.full_like(omega, float(np.dot(b, b)))
    denominator = np.full_like(omega, float(np.dot(a, a)))
    for lag in range(1, len(b)):
        cosine = np.cos(lag * omega)
        numerator += 2.0 * float(np.dot(b[:-lag], b[lag:])) * cosine
        denominator += 2.0 * float(np.dot(a[:-lag], a[lag:])) * cosine
    result: np.ndarray = numerator / denominator
    return result


_POWER_CHUNK_BINS = 1 << 16


def periodic_power(
    spectrum: np.ndarray,
    length_samples: int,
    sample_rate_hz: int = SAMPLE_RATE_HZ,
    *,
    weighted: bool = True,
) -> float:
    """The mean square of the periodic signal whose real FFT is ``spectrum`` (Parseval).

    K-weighted unless ``weighted`` is false: the loudness of a loop played round
    and round, with no filter to settle. Taken a stretch of bins at a time, so a
    long loop's spectrum needs no copy of its own size.
    """
    total = 0.0
    bins = spectrum.shape[0]
    for first in range(0, bins, _POWER_CHUNK_BINS):
        part = spectrum[first : first + _POWER_CHUNK_BINS]
        power = np.square(part.real, dtype=np.float64) + np.square(part.imag, dtype=np.float64)
        index = np.arange(first, first + part.shape[0])
        doubled = (index > 0) & (2 * index != length_samples)
        power *= np.where(doubled, 2.0, 1.0)
        if weighted:
            power *= _k_weighting_power(index * (sample_rate_hz / length_samples), sample_rate_hz)
        total += float(np.sum(power))
    return total / (float(length_samples) ** 2)


def clip_loudness_lufs(samples: np.ndarray, sample_rate_hz: int = SAMPLE_RATE_HZ) -> float:
    """Ungated K-weighted loudness of a short sound (mono or (n, channels)).

    Short clips ("two", a chime) are below the 400 ms gating block, so the whole
    clip is one measurement. Silence gives -inf.
    """
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] == 0:
        return -math.inf
    weighted = k_weighted(x.T, sample_rate_hz)
    np.square(weighted, out=weighted)
    power = float(np.sum(np.mean(weighted, axis=1)))
    if power <= 0.0:
        return -math.inf
    return -0.691 + 10.0 * math.log10(power)


class LoudnessMeter:
    """Integrated loudness (gated, BS.1770-4) of a stream fed in blocks of any size.

    Holds one energy figure per 100 ms per channel (about 0.6 MB an hour of
    stereo), so a two-hour track is measured in a few megabytes. Samples are
    weighted a segment at a time (``_SEGMENT_SAMPLES``); what is added between
    whole segments waits, so tiny blocks cost no more than large ones.
    """

    def __init__(self, channels: int = 2, sample_rate_hz: int = SAMPLE_RATE_HZ) -> None:
        self._sample_rate_hz = sample_rate_hz
        self._channels = channels
        self._hop_samples = round(sample_rate_hz * _HOP_S)
        self._history = np.zeros((channels, IMPULSE_SAMPLES - 1))
        self._pending = np.zeros((channels, 0))
        self._squared = np.zeros((channels, 0))
        self._hop_energy = np.zeros((0, channels))
        self._hop_count = 0

    def follow(self, before: np.ndarray) -> None:
        """Weigh what comes next as following ``before`` ((n, channels)) rather than silence.

        ``before`` is not measured: a loop measured after its own end is measured
        as it sounds played round and round, with no filter settling at its start.
        """
        tail = np.asarray(before, dtype=np.float64).reshape(-1, self._channels).T
        tail = tail[:, -(IMPULSE_SAMPLES - 1) :]
        self._history = np.concatenate([self._history[:, tail.shape[1] :], tail], axis=1)

    def add(self, block: np.ndarray) -> None:
        """Measure ``block`` ((n, channels) or mono)."""
        channels_first = np.asarray(block, dtype=np.float64).reshape(-1, self._channels).T
        if channels_first.shape[1] == 0:
            return
        pending = np.concatenate([self._pending, channels_first], axis=1)
        whole = (pending.shape[1] // _SEGMENT_SAMPLES) * _SEGMENT_SAMPLES
        for start in range(0, whole, _SEGMENT_SAMPLES):
            self._add_weighted(self._weigh(pending[:, start : start + _SEGMENT_SAMPLES]))
        self._pending = pending[:, whole:].copy()

    def _weigh(self, segment: np.ndarray) -> np.ndarray:
        """The K-weighted ``segment``, following everything weighted before it."""
        weighted, self._history = _weigh_segment(self._history, segment, self._sample_rate_hz)
        return weighted

    def _add_weighted(self, weighted: np.ndarray) -> None:
        squared = np.concatenate([self._squared, weighted * weighted], axis=1)
        hops, self._squared = self._hops_of(squared)
        self._keep(hops)

    def _hops_of(self, squared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Energy of each whole 100 ms hop of ``squared`` as (hops, channels), and the rest."""
        whole = (squared.shape[1] // self._hop_samples) * self._hop_samples
        hops = squared[:, :whole].reshape(self._channels, -1, self._hop_samples).sum(axis=2)
        return hops.T, squared[:, whole:].copy()

    def _keep(self, hops: np.ndarray) -> None:
        """Append to one growing array: a list of small arrays costs more than its figures."""
        needed = self._hop_count + hops.shape[0]
        if needed > self._hop_energy.shape[0]:
            grown = np.zeros((max(needed, 2 * self._hop_energy.shape[0], 1024), self._channels))
            grown[: self._hop_count] = self._hop_energy[: self._hop_count]
            self._hop_energy = grown
        self._hop_energy[self._hop_count : needed] = hops
        self._hop_count = needed

    def _squared_so_far(self) -> np.ndarray:
        """The squared weighted samples not yet in a hop, with those still waiting weighed
        (without taking them: more may follow)."""
        if not self._pending.shape[1]:
            return self._squared
        history = self._history
        squared = np.concatenate([self._squared, np.square(self._weigh(self._pending))], axis=1)
        self._history = history
        return squared

    def ungated_lufs(self) -> float:
        """Ungated loudness of everything added so far (as ``clip_loudness_lufs`` measures a
        short sound whole); -inf for silence or nothing."""
        squared = self._squared_so_far()
        counted = self._hop_count * self._hop_samples + squared.shape[1]
        if counted == 0:
            return -math.inf
        energy = self._hop_energy[: self._hop_count].sum(axis=0) + squared.sum(axis=1)
        power = float(np.sum(energy)) / counted
        if power <= 0.0:
            return -math.inf
        return -0.691 + 10.0 * math.log10(power)

    def integrated_lufs(self) -> float:
        """Gated loudness of everything added so far; -inf for silence or under 400 ms."""
        hop = self._hop_energy[: self._hop_count]
        if self._pending.shape[1]:
            tail, _ = self._hops_of(self._squared_so_far())
            hop = np.concatenate([hop, tail])
        if hop.shape[0] < _HOPS_PER_BLOCK:
            return -math.inf
        window = np.lib.stride_tricks.sliding_window_view(hop, _HOPS_PER_BLOCK, axis=0)
        block_power = np.sum(window.sum(axis=-1), axis=1) / (self._hop_samples * _HOPS_PER_BLOCK)
        with np.errstate(divide="ignore"):
            block_lufs = -0.691 + 10.0 * np.log10(block_power)
        kept = block_power[block_lufs > ABSOLUTE_GATE_LUFS]
        if kept.size == 0:
            return -math.inf
        relative_gate = -0.691 + 10.0 * math.log10(float(np.mean(kept))) + RELATIVE_GATE_LU
        kept = block_power[(block_lufs > ABSOLUTE_GATE_LUFS) & (block_lufs > relative_gate)]
        if kept.size == 0:
            return -math.inf
        return -0.691 + 10.0 * math.log10(float(np.mean(kept)))
