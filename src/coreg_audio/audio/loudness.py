"""ITU-R BS.1770 loudness, measured block by block so a track never has to sit in memory.

The K-weighting coefficients follow libebur128's derivation, which reproduces the
standard's 48 kHz table and works at any sample rate.

Two ways to apply the same filter, for two uses. A short sound (a tone or a
bell made while mixing) is weighted by convolution with the filter's impulse
response (FFT, numpy only: it has died below 1e-12 within IMPULSE_SAMPLES, so
the result equals the recursive filter to float precision), so that a render
with its gain already measured never loads scipy.signal (some 75 MB of
resident memory). A whole track is measured with the recursive filter itself
(scipy's lfilter, seven times faster over long streams), loaded only then.
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


def _fft_size(samples: int) -> int:
    return 1 << max(samples - 1, 1).bit_length()


def k_weighted(channels_first: np.ndarray, sample_rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """The K-weighted signal, as long as the input ((channels, n) float64, from silence)."""
    length = channels_first.shape[-1]
    size = _fft_size(length + IMPULSE_SAMPLES - 1)
    impulse = _impulse_spectrum(sample_rate_hz, size)
    weighted = np.fft.irfft(np.fft.rfft(channels_first, size, axis=-1) * impulse, size, axis=-1)
    return weighted[..., :length]


def clip_loudness_lufs(samples: np.ndarray, sample_rate_hz: int = SAMPLE_RATE_HZ) -> float:
    """Ungated K-weighted loudness of a short sound (mono or (n, channels)).

    Short clips ("two", a chime) are below the 400 ms gating block, so the whole
    clip is one measurement. Silence gives -inf.
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] == 0:
        return -math.inf
    weighted = k_weighted(np.ascontiguousarray(x.T), sample_rate_hz)
    power = float(np.sum(np.mean(weighted * weighted, axis=1)))
    if power <= 0.0:
        return -math.inf
    return -0.691 + 10.0 * math.log10(power)


class LoudnessMeter:
    """Integrated loudness (gated, BS.1770-4) of a stream fed in blocks of any size.

    Holds one energy figure per 100 ms per channel (about 0.6 MB an hour of
    stereo), so a two-hour track is measured in a few megabytes.
    """

    def __init__(self, channels: int = 2, sample_rate_hz: int = SAMPLE_RATE_HZ) -> None:
        from scipy.signal import lfilter  # measuring a track is rare: see the module's doc

        self._lfilter = lfilter
        self._b, self._a = k_weighting(sample_rate_hz)
        self._state = np.zeros((channels, len(self._a) - 1))
        self._channels = channels
        self._hop_samples = round(sample_rate_hz * _HOP_S)
        self._squared = np.zeros((channels, 0))
        self._hop_energy = np.zeros((0, channels))
        self._hop_count = 0

    def add(self, block: np.ndarray) -> None:
        """Measure ``block`` ((n, channels) or mono); each channel is filtered as one run."""
        channels_first = np.ascontiguousarray(
            np.asarray(block, dtype=np.float64).reshape(-1, self._channels).T
        )
        if channels_first.shape[1] == 0:
            return
        weighted, self._state = self._lfilter(
            self._b, self._a, channels_first, axis=1, zi=self._state
        )
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

    def integrated_lufs(self) -> float:
        """Gated loudness of everything added so far; -inf for silence or under 400 ms."""
        hop = self._hop_energy[: self._hop_count]
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
