"""The encoded track measured as the promise is judged, and the mastering corrected until it holds.

Encoders add true peak of their own: LAME's quantisation noise, Opus and AAC
ringing; at low bitrates by up to three dB, over whatever ceiling the limiter
kept. So a track is measured once it is encoded, with ffmpeg's
``ebur128=peak=true`` as cli.md names it, before it becomes the track; if its
true peak is over ENCODED_PEAK_GOAL_DBTP or its loudness off by more than
LOUDNESS_TOLERANCE_LU, the mastering is corrected (the ceiling lowered by the
encoder's overshoot, the target moved by the miss) and the track made again.
A mastering that held is remembered for the mix, format and bitrate (encoders
are deterministic), so the next render of the same track is written once and
not measured.
"""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np

from .. import cache
from ..audio import limiter, master
from ..audio.loudness import TARGET_LUFS
from ..audio.master import Mastering
from ..errors import RenderFailed
from . import ffmpeg as ffmpeg_module
from . import sinks

PROMISED_PEAK_DBTP: Final = -1.0
"""cli.md: every track's true peak at most -1.0 dBTP, as ebur128 measures it."""
ENCODED_PEAK_GOAL_DBTP: Final = -1.1
"""A tenth under the promise: the meter prints tenths, and rounds."""
LOUDNESS_TOLERANCE_LU: Final = 0.5
"""Half the promise's +-1 LU, so a second meter's reading still falls inside it."""
CORRECTION_MARGIN_DB: Final = 0.2
"""Aimed this far under what the encoder's overshoot says, as the overshoot moves a little."""
LOWEST_CEILING_DBTP: Final = -9.0
"""Speech limited harder than this is squashed; a bitrate that needs more is refused."""
MAX_ENCODES: Final = 4


@dataclass(frozen=True)
class Measured:
    """An encoded file's integrated loudness and true peak, as ebur128 prints them."""

    integrated_lufs: float
    true_peak_dbtp: float

    def holds(self, target_lufs: float = TARGET_LUFS) -> bool:
        return (
            self.true_peak_dbtp <= ENCODED_PEAK_GOAL_DBTP
            and abs(self.integrated_lufs - target_lufs) <= LOUDNESS_TOLERANCE_LU
        )


class OffTarget(Exception):
    """The encoded file misses the promise; the sink abandons it."""

    def __init__(self, measured: Measured, written_peak_dbtp: float) -> None:
        super().__init__(f"{measured}, written at {written_peak_dbtp:.2f} dBTP")
        self.measured = measured
        self.written_peak_dbtp = written_peak_dbtp


_SUMMARY_LUFS = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
_SUMMARY_PEAK = re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS")


def measure(path: Path, ffmpeg: str = "ffmpeg") -> Measured:
    """Integrated loudness and true peak of an audio file, by ffmpeg's ebur128 filter."""
    command = [
        ffmpeg, "-nostdin", "-nostats", "-hide_banner", "-i", f"file:{path.absolute()}",
        "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    summary = result.stderr[result.stderr.rfind("Summary:") :]
    lufs, peak = _SUMMARY_LUFS.search(summary), _SUMMARY_PEAK.search(summary)
    if result.returncode != 0 or lufs is None or peak is None:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise RenderFailed(
            f"ffmpeg could not measure the encoded track {path}: "
            f"{lines[-1].strip() if lines else 'no summary'}"
        )
    return Measured(float(lufs.group(1)), float(peak.group(1)))


@lru_cache(maxsize=1)
def ffmpeg_version(ffmpeg: str) -> str:
    """ffmpeg's first line of ``-version``: its encoders' version, for the remembered masterings."""
    result = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True, check=False)
    return result.stdout.splitlines()[0] if result.stdout else ""


_CODE = (__file__, master.__file__, limiter.__file__, sinks.__file__, ffmpeg_module.__file__)
"""The code that decides a track's samples and how they are encoded."""


def _sane(value: np.ndarray) -> bool:
    return value.shape == (2,) and value.dtype == np.float64 and bool(np.all(value <= 0.0))


class EncodedMastering:
    """The mastering that holds the promise for one mix in one format and bitrate."""

    def __init__(
        self, first: Mastering, mix_fingerprint: str, suffix: str, bitrate_kbps: int, ffmpeg: str
    ) -> None:
        self.first = first
        """The mastering tried first, from the format and bitrate alone."""
        self._store = cache.store("encoded", _sane)
        self._key = cache.content_key(
            {
                "first": [first.target_lufs, first.ceiling_dbtp],
                "mix": mix_fingerprint,
                "format": suffix,
                "bitrate_kbps": bitrate_kbps,
                "ffmpeg": ffmpeg_version(ffmpeg),
                "code": cache.source_fingerprint(*_CODE),
            }
        )

    def remembered(self) -> Mastering | None:
        """The mastering that held before for this track, or None (then it is measured)."""
        stored = self._store.get(self._key)
        if stored is None:
            return None
        return replace(self.first, target_lufs=float(stored[0]), ceiling_dbtp=float(stored[1]))

    def remember(self, held: Mastering) -> None:
        self._store.put(self._key, np.array([held.target_lufs, held.ceiling_dbtp]))


def corrected(mastering: Mastering, measured: Measured, written_peak_dbtp: float) -> Mastering:
    """The next mastering to try, from how the last one came out of the encoder.

    The encoder's overshoot is what it added to the peak that was written; the
    ceiling goes that far (and a margin) under the goal, and always some way
    under the last one, so each try limits a little more. The target moves by
    the loudness missed.
    """
    ceiling = mastering.ceiling_dbtp
    if measured.true_peak_dbtp > ENCODED_PEAK_GOAL_DBTP:
        written = min(ceiling, written_peak_dbtp) if math.isfinite(written_peak_dbtp) else ceiling
        overshoot_db = measured.true_peak_dbtp - written
        ceiling = min(
            ceiling - CORRECTION_MARGIN_DB,
            ENCODED_PEAK_GOAL_DBTP - overshoot_db - CORRECTION_MARGIN_DB,
        )
    target = mastering.target_lufs
    missed_lu = TARGET_LUFS - measured.integrated_lufs
    if abs(missed_lu) > LOUDNESS_TOLERANCE_LU:
        target += missed_lu
    return replace(mastering, target_lufs=target, ceiling_dbtp=round(ceiling, 2))
