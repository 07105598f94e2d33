"""Mastering, shared by render and play: the gain to the target loudness, then the limiter.

The gain is measured on the mix (and on the limited track when the limiter
has work to do) and kept in the cache, so a second render or a live play of
the same practice starts without a measuring pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import cache
from ..practice import Progress
from ..units import db_to_gain, gain_to_db
from . import limiter, loudness
from .limiter import DEFAULT_CEILING_DBTP, TruePeakLimiter
from .loudness import TARGET_LUFS, LoudnessMeter
from .mix import Mixer

LOUDNESS_TOLERANCE_LU = 0.2
"""How close the limited track must come to its target before it is written."""
MAX_CORRECTIONS = 2
MAX_GAIN_DB = 200.0
"""No mix is this far from its target; a cached gain beyond it is damage."""
PEAK_MARGIN_DB = 1.0
"""Inter-sample peaks can exceed the largest sample; below this margin the limiter is idle."""


@dataclass(frozen=True)
class Mastering:
    """Where the finished track is aimed: its loudness and its true-peak ceiling."""

    target_lufs: float = TARGET_LUFS
    ceiling_dbtp: float = DEFAULT_CEILING_DBTP


class MasterChain:
    """The mix at a fixed gain through one true-peak limiter, block after block.

    The limiter looks ahead, so what comes out lags what goes in; ``flush``
    gives the rest at the end. A jump in live playback starts a new chain.
    """

    def __init__(self, gain_db: float, ceiling_dbtp: float, sample_rate_hz: int) -> None:
        self._gain = np.float32(db_to_gain(gain_db))
        self._limiter = TruePeakLimiter(ceiling_dbtp=ceiling_dbtp, sample_rate_hz=sample_rate_hz)

    def process(self, block: np.ndarray) -> np.ndarray:
        return self._limiter.process(block * self._gain)

    def flush(self) -> np.ndarray:
        return self._limiter.flush()

    @property
    def peak_dbtp(self) -> float:
        """The true peak of what came out so far, near enough to aim an encoder by.

        What the limiter brought down stands at its ceiling; what it let through
        is its own peak (read as a sample peak, so up to a fraction of a dB low,
        where it lies more than 6.2 dB under the ceiling).
        """
        return min(self._limiter.ceiling_dbtp, self._limiter.loudest_in_dbtp)


def mastered_blocks(
    mixer: Mixer,
    gain_db: float,
    ceiling_dbtp: float,
    progress: Progress | None = None,
    chain: MasterChain | None = None,
) -> Iterator[np.ndarray]:
    """The finished track: the mix at ``gain_db`` through the true-peak limiter.

    ``chain``, when given, is the one used (made for the same gain and
    ceiling), so the caller can read its ``peak_dbtp`` afterwards.
    """
    if chain is None:
        chain = MasterChain(gain_db, ceiling_dbtp, mixer.sample_rate_hz)
    for position, block in mixer.blocks():
        yield chain.process(block)
        if progress is not None:
            progress("write", position + block.shape[0], mixer.length_samples)
    yield chain.flush()


def mix_loudness_lufs(mixer: Mixer, progress: Progress | None = None) -> tuple[float, float]:
    """Integrated loudness and the largest sample of the raw mix, from one pass."""
    meter = LoudnessMeter(sample_rate_hz=mixer.sample_rate_hz)
    peak = 0.0
    for position, block in mixer.blocks():
        meter.add(block)
        peak = max(peak, float(np.max(np.abs(block), initial=0.0)))
        if progress is not None:
            progress("measure", position + block.shape[0], mixer.length_samples)
    return meter.integrated_lufs(), peak


def master_gain_db(mixer: Mixer, mastering: Mastering, progress: Progress | None = None) -> float:
    """The gain that brings the limited track to the target loudness, measured once per mix.

    The cache key is the mixer's fingerprint, the mastering and this code: two
    mixers with the same fingerprint make the same track.
    """
    gains = cache.store("gains", _sane_gain)
    key = cache.content_key(
        {
            "mix": mixer.fingerprint(),
            "target_lufs": mastering.target_lufs,
            "ceiling_dbtp": mastering.ceiling_dbtp,
            "code": cache.source_fingerprint(__file__, loudness.__file__, limiter.__file__),
        }
    )
    stored = gains.get(key)
    if stored is not None:
        return float(stored[0])
    gain_db = measure_gain_db(mixer, mastering, progress)
    gains.put(key, np.array([gain_db]))
    return gain_db


def _sane_gain(stored: np.ndarray) -> bool:
    return (
        stored.shape == (1,) and stored.dtype == np.float64 and abs(float(stored[0])) <= MAX_GAIN_DB
    )


def measure_gain_db(mixer: Mixer, mastering: Mastering, progress: Progress | None = None) -> float:
    """Measure the gain: the raw mix first, then the limited track when the limiter acts.

    When some sample would pass the ceiling the limiter takes loudness off, so
    the limited track is measured too and the gain corrected until it lands
    within tolerance.
    """
    measured, peak = mix_loudness_lufs(mixer, progress)
    if not math.isfinite(measured):
        return 0.0
    gain_db = mastering.target_lufs - measured
    if peak == 0.0 or gain_to_db(peak) + gain_db < mastering.ceiling_dbtp - PEAK_MARGIN_DB:
        return gain_db
    for _ in range(MAX_CORRECTIONS):
        meter = LoudnessMeter(sample_rate_hz=mixer.sample_rate_hz)
        for block in mastered_blocks(mixer, gain_db, mastering.ceiling_dbtp):
            meter.add(block)
        error_lu = mastering.target_lufs - meter.integrated_lufs()
        if abs(error_lu) <= LOUDNESS_TOLERANCE_LU:
            break
        gain_db += error_lu
    return gain_db
