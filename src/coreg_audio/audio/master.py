"""Mastering, shared by render and play: the gain to the target loudness, then the limiter.

The mix's loudness and peak are measured once and kept in the cache, with what
each pass through the limiter measured; any output format (MP3, WAV, live play)
then finds its gain from them, so a play after a render of any format starts
without measuring the mix again (and, where the limiter is idle, without any pass).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

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
LEVELS_STORE = "gains"
"""The cache's folder for mix levels (named when it held finished gains)."""


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


@dataclass(frozen=True)
class Limited:
    """The loudness of the mix at one gain through the limiter at one ceiling."""

    gain_db: float
    ceiling_dbtp: float
    loudness_lufs: float


@dataclass(frozen=True)
class MixLevels:
    """What one pass over a mix measures, whatever it is mastered for afterwards.

    ``limited`` holds what passes through the limiter measured, so another target
    starts from the limiter's known effect: a render for MP3 and a live play
    (another target) share every measurement.
    """

    loudness_lufs: float
    peak: float
    limited: tuple[Limited, ...] = ()

    def over_ceiling_db(self, gain_db: float, ceiling_dbtp: float) -> float:
        """How far the loudest sample goes over the ceiling at ``gain_db`` (negative: under)."""
        return gain_to_db(self.peak) + gain_db - ceiling_dbtp if self.peak > 0 else -math.inf

    def plain_gain_db(self, target_lufs: float) -> float:
        return target_lufs - self.loudness_lufs if math.isfinite(self.loudness_lufs) else 0.0

    def limiter_loss_lu(self, gain_db: float, ceiling_dbtp: float) -> float:
        """How much loudness the limiter takes off at ``gain_db``, from the nearest measurement.

        The nearest is the one that drove the peaks as far over its ceiling; with
        none, nothing is known and 0 is the guess.
        """
        over = self.over_ceiling_db(gain_db, ceiling_dbtp)
        nearest = min(
            self.limited,
            key=lambda m: abs(self.over_ceiling_db(m.gain_db, m.ceiling_dbtp) - over),
            default=None,
        )
        if nearest is None:
            return 0.0
        return nearest.gain_db + self.loudness_lufs - nearest.loudness_lufs

    def to_array(self) -> np.ndarray:
        rows = [(m.gain_db, m.ceiling_dbtp, m.loudness_lufs) for m in self.limited]
        return np.array([self.loudness_lufs, self.peak, *(v for row in rows for v in row)])

    @classmethod
    def from_array(cls, stored: np.ndarray | None) -> MixLevels | None:
        if stored is None or stored.ndim != 1 or stored.size < 2 or (stored.size - 2) % 3:
            return None
        values = [float(value) for value in stored]
        if math.isnan(values[0]) or not math.isfinite(values[1]):
            return None
        rows = values[2:]
        limited = tuple(Limited(*rows[i : i + 3]) for i in range(0, len(rows), 3))
        return cls(values[0], values[1], limited)


def mix_levels(mixer: Mixer, progress: Progress | None = None) -> tuple[MixLevels, str]:
    """The mix's levels from the cache, or measured now (and kept); and their cache key.

    The key is the mixer's fingerprint and this code's: two mixers with the same
    fingerprint make the same samples, so they are measured once whatever the
    output format, its target or its ceiling.
    """
    key = cache.content_key(
        {
            "mix": mixer.fingerprint(),
            "code": cache.source_fingerprint(__file__, loudness.__file__, limiter.__file__),
        }
    )
    levels = MixLevels.from_array(cache.store(LEVELS_STORE, _sane_levels).get(key))
    if levels is None:
        levels = MixLevels(*mix_loudness_lufs(mixer, progress))
        cache.store(LEVELS_STORE, _sane_levels).put(key, levels.to_array())
    return levels, key


def _sane_levels(stored: np.ndarray) -> bool:
    """Mix levels as ``MixLevels.to_array`` writes them; a gain beyond MAX_GAIN_DB is damage."""
    if stored.dtype != np.float64 or stored.ndim != 1 or stored.size < 2:
        return False
    if (stored.size - 2) % 3 or np.isnan(stored).any() or not np.isfinite(stored[1:]).all():
        return False
    return bool(np.all(np.abs(stored[2::3]) <= MAX_GAIN_DB))


def master_gain_db(mixer: Mixer, mastering: Mastering, progress: Progress | None = None) -> float:
    """The gain that brings the limited track to the target loudness.

    The mix is measured once (``mix_levels``), whatever the target. Where no
    sample comes near the ceiling the gain follows from its loudness alone.
    Otherwise the limiter takes some loudness off: the limited track is measured
    until it lands within LOUDNESS_TOLERANCE_LU, unless a measurement at this
    target already did, starting from the loss the nearest measurement found.
    Live play and a WAV render thus share one gain, sample for sample.
    """
    levels, key = mix_levels(mixer, progress)
    gain_db = levels.plain_gain_db(mastering.target_lufs)
    ceiling = mastering.ceiling_dbtp
    if levels.over_ceiling_db(gain_db, ceiling) < -PEAK_MARGIN_DB:
        return gain_db
    landed = [
        m
        for m in levels.limited
        if m.ceiling_dbtp == ceiling
        and abs(m.loudness_lufs - mastering.target_lufs) <= LOUDNESS_TOLERANCE_LU
    ]
    if landed:
        return min(landed, key=lambda m: abs(m.loudness_lufs - mastering.target_lufs)).gain_db
    gain_db += levels.limiter_loss_lu(gain_db, ceiling)
    measured: list[Limited] = []
    for attempt in range(MAX_CORRECTIONS):
        meter = LoudnessMeter(sample_rate_hz=mixer.sample_rate_hz)

        def adjusting(_: str, done: int, total: int, attempt: int = attempt) -> None:
            if progress is not None:
                progress("adjust", attempt * total + done, MAX_CORRECTIONS * total)

        for block in mastered_blocks(mixer, gain_db, ceiling, adjusting):
            meter.add(block)
        measured.append(Limited(gain_db, ceiling, meter.integrated_lufs()))
        error_lu = mastering.target_lufs - measured[-1].loudness_lufs
        if abs(error_lu) <= LOUDNESS_TOLERANCE_LU:
            break
        gain_db += error_lu
    if progress is not None:
        progress("adjust", mixer.length_samples, mixer.length_samples)
    levels = replace(levels, limited=(*levels.limited, *measured))
    cache.store(LEVELS_STORE, _sane_levels).put(key, levels.to_array())
    return gain_db
