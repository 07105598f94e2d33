"""Render a practice to a file: mix, measure, master, encode.

Two passes over the mix keep memory flat: the first only measures loudness,
the second applies the gain that lands on TARGET_LUFS, limits true peaks and
hands each block to the sink.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import cache
from ..audio import limiter, loudness
from ..audio.limiter import DEFAULT_CEILING_DBTP, TruePeakLimiter
from ..audio.loudness import TARGET_LUFS, LoudnessMeter
from ..audio.mix import DEFAULT_SEED, Mixer
from ..format.model import Script
from ..practice import Progress, build_timeline
from ..speech import Speaker
from ..timeline.events import Timeline
from ..units import db_to_gain, gain_to_db
from .cover import cover_for
from .sinks import (
    DEFAULT_BITRATE_KBPS,
    TrackInfo,
    chapter_comment,
    check_output,
    open_sink,
    output_format,
)

DEFAULT_ALBUM = "coreg-audio practices"
LOW_BITRATE_CEILING_DBTP = -3.0
"""Below 96 kbps LAME overshoots more (measured up to +0.3 dB over -1.0 dBTP at 64 kbps)."""
AAC_CEILING_DBTP = -2.0
"""ffmpeg's AAC (as sinks.M4aSink sets it up) keeps loudness within 0.1 LU and overshot the
true peak it was given by at most 0.8 dB at 128 to 192 kbps (ebur128, three practices)."""
OPUS_CEILING_DBTP = -3.0
"""libopus keeps loudness within 0.1 LU, but its peaks follow the speech more than the peak it
was given: breath-sync came out at -0.9 dBTP from -2.3, and at -1.3 from a -3.0 or a -3.5
ceiling alike (64 kbps; -1.4 at 96, -1.7 at 128; ebur128). Lower ceilings only squash more."""
LOUDNESS_TOLERANCE_LU = 0.2
"""How close the limited track must come to its target before it is written."""
MAX_CORRECTIONS = 2
PEAK_MARGIN_DB = 1.0
"""Inter-sample peaks can exceed the largest sample; below this margin the limiter is idle."""


@dataclass(frozen=True)
class RenderOptions:
    seed: int = DEFAULT_SEED
    bitrate_kbps: int = DEFAULT_BITRATE_KBPS
    album: str = DEFAULT_ALBUM
    track: tuple[int, int] | None = None
    """(n, N) when the track is one of an album, as ``render --all`` makes."""


def track_info(timeline: Timeline, options: RenderOptions, cover: bytes = b"") -> TrackInfo:
    """The tags of the track; ``cover`` is its cover art as PNG bytes."""
    return TrackInfo(
        title=timeline.title,
        artist=timeline.author,
        album=options.album,
        comment=chapter_comment(timeline.summary or "", timeline.chapters),
        chapters=timeline.chapters,
        track=options.track,
        cover_png=cover,
    )


@dataclass(frozen=True)
class Mastering:
    """Where the finished track is aimed, before the encoder.

    MP3 encoding takes a little loudness off (LAME's low-pass) and adds a little
    true peak (its overshoot), the more so at low bitrates; measured on render-like
    material with ffmpeg's ebur128 (see limiter.DEFAULT_CEILING_DBTP).
    """

    target_lufs: float = TARGET_LUFS
    ceiling_dbtp: float = DEFAULT_CEILING_DBTP

    @classmethod
    def for_output(cls, path: Path, bitrate_kbps: int) -> Mastering:
        suffix = path.suffix.lower()
        if suffix == ".m4a":
            return cls(ceiling_dbtp=AAC_CEILING_DBTP)
        if suffix == ".opus":
            return cls(ceiling_dbtp=OPUS_CEILING_DBTP)
        if suffix != ".mp3":
            return cls()
        loss_lu = 0.4 if bitrate_kbps <= 128 else 0.3 if bitrate_kbps <= 192 else 0.0
        ceiling = DEFAULT_CEILING_DBTP if bitrate_kbps >= 96 else LOW_BITRATE_CEILING_DBTP
        return cls(target_lufs=TARGET_LUFS + loss_lu, ceiling_dbtp=ceiling)


def mix_loudness_lufs(mixer: Mixer, progress: Progress | None = None) -> tuple[float, float]:
    """Integrated loudness and the largest sample of the raw mix, from one pass."""
    meter = LoudnessMeter()
    peak = 0.0
    for position, block in mixer.blocks():
        meter.add(block)
        peak = max(peak, float(np.max(np.abs(block), initial=0.0)))
        if progress is not None:
            progress("measure", position + block.shape[0], mixer.length_samples)
    return meter.integrated_lufs(), peak


def master_gain_db(mixer: Mixer, mastering: Mastering, progress: Progress | None = None) -> float:
    """The gain that brings the limited track to the target loudness.

    Measured once per distinct mix and kept in the cache (the key is the
    mixer's fingerprint, the mastering and this code), so a second render or a
    live play of the same practice starts without a measuring pass.
    """
    gains = cache.store("gains")
    key = cache.content_key(
        {
            "mix": mixer.fingerprint(),
            "target_lufs": mastering.target_lufs,
            "ceiling_dbtp": mastering.ceiling_dbtp,
            "code": cache.source_fingerprint(__file__, loudness.__file__, limiter.__file__),
        }
    )
    stored = gains.get(key)
    if stored is not None and stored.shape == (1,) and np.isfinite(stored[0]):
        return float(stored[0])
    gain_db = measure_gain_db(mixer, mastering, progress)
    gains.put(key, np.array([gain_db]))
    return gain_db


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
        meter = LoudnessMeter()
        for block in mastered_blocks(mixer, gain_db, mastering.ceiling_dbtp):
            meter.add(block)
        error_lu = mastering.target_lufs - meter.integrated_lufs()
        if abs(error_lu) <= LOUDNESS_TOLERANCE_LU:
            break
        gain_db += error_lu
    return gain_db


def mastered_blocks(
    mixer: Mixer, gain_db: float, ceiling_dbtp: float, progress: Progress | None = None
) -> Iterator[np.ndarray]:
    """The finished track: the mix at ``gain_db`` through the true-peak limiter."""
    limiter = TruePeakLimiter(ceiling_dbtp=ceiling_dbtp)
    gain = np.float32(db_to_gain(gain_db))
    for position, block in mixer.blocks():
        yield limiter.process(block * gain)
        if progress is not None:
            progress("write", position + block.shape[0], mixer.length_samples)
    yield limiter.flush()


def render(
    script: Script,
    out: Path,
    options: RenderOptions | None = None,
    progress: Progress | None = None,
) -> Timeline:
    """Write the track of ``script`` to ``out`` (format from its suffix), whole or not at all."""
    options = options or RenderOptions()
    check_output(out, bitrate_kbps=options.bitrate_kbps)
    with Speaker() as voice:
        timeline = build_timeline(script, voice, progress)
        mixer = Mixer(timeline, voice, options.seed)
        mastering = Mastering.for_output(out, options.bitrate_kbps)
        gain_db = master_gain_db(mixer, mastering, progress)
        wav = output_format(out) == ".wav"
        cover = b"" if wav else cover_for(timeline).png
        with open_sink(
            out, track_info(timeline, options, cover), bitrate_kbps=options.bitrate_kbps
        ) as sink:
            for block in mastered_blocks(mixer, gain_db, mastering.ceiling_dbtp, progress):
                sink.write(block)
    return timeline
