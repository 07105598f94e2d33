"""ITU-R BS.1770 loudness, measured block by block so a track never has to sit in memory.

The K-weighting coefficients follow libebur128's derivation, which reproduces the
standard's 48 kHz table and works at any sample rate.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

from .units import SAMPLE_RATE_HZ

SPEECH_REFERENCE_LUFS = -23.0
"""Every speech clip, tone, bell and ambience is made this loud at level 0 dB."""

TARGET_LUFS = -16.0
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
_HOP_S = 0.1
_HOPS_PER_BLOCK = 4


def k_weighting(sample_rate_hz: int = SAMPLE_RATE_HZ) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of the K-weighting filter (shelf then high-pass)."""
    f0 = 1681.974450955533
    gain_db = 3.999843853973347
    q = 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate_hz)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf_b = np.array([(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0,
                        (vh - vb * k / q + k * k) / a0])
    shelf_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    f0 = 38.13547087602444
    q = 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate_hz)
    a0 = 1.0 + k / q + k * k
    hp_b = np.array([1.0, -2.0, 1.0])
    hp_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    return np.convolve(shelf_b, hp_b), np.convolve(shelf_a, hp_a)


def clip_loudness_lufs(samples: np.ndarray, sample_rate_hz: int = SAMPLE_RATE_HZ) -> float:
    """Ungated K-weighted loudness of a short sound (mono or (n, channels)).

    Short clips ("two", a chime) are below the 400 ms gating block, so the whole
    clip is one measurement. Silence gives -inf.
    """
    b, a = k_weighting(sample_rate_hz)
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] == 0:
        return -math.inf
    weighted = lfilter(b, a, np.ascontiguousarray(x.T), axis=1)
    power = float(np.sum(np.mean(weighted * weighted, axis=1)))
    if power <= 0.0:
        return -math.inf
    return -0.691 + 10.0 * math.log10(power)


class LoudnessMeter:
    """Integrated loudness (gated, BS.1770-4) of a stream fed in blocks of any size.

    Holds only one energy figure per 100 ms per channel (about 0.6 MB an hour of
    stereo), so a two-hour track is measured in a few megabytes.
    """

    def __init__(self, channels: int = 2, sample_rate_hz: int = SAMPLE_RATE_HZ) -> None:
        self._b, self._a = k_weighting(sample_rate_hz)
        self._zi = np.zeros((channels, len(self._a) - 1))
        self._hop_samples = round(sample_rate_hz * _HOP_S)
        self._pending = np.zeros((channels, 0))
        self._hop_energy: list[np.ndarray] = []
        self._hops = 0
        self._channels = channels

    def add(self, block: np.ndarray) -> None:
        """Measure ``block`` ((n, channels) or mono); each channel is filtered as one run."""
        channels_first = np.ascontiguousarray(
            np.asarray(block, dtype=np.float64).reshape(-1, self._channels).T)
        if channels_first.shape[1] == 0:
            return
        weighted, self._zi = lfilter(self._b, self._a, channels_first, axis=1, zi=self._zi)
        squared = np.concatenate([self._pending, weighted * weighted], axis=1)
        whole = (squared.shape[1] // self._hop_samples) * self._hop_samples
        if whole:
            hops = squared[:, :whole].reshape(self._channels, -1, self._hop_samples).sum(axis=2)
            self._hop_energy.append(hops.T)
            self._hops += hops.shape[1]
        self._pending = squared[:, whole:]

    def integrated_lufs(self) -> float:
        """Gated loudness of everything added so far; -inf for silence or under 400 ms."""
        if self._hops < _HOPS_PER_BLOCK:
            return -math.inf
        hop = np.concatenate(self._hop_energy)
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
