"""Render a practice to a file: mix, measure, master, encode.

Two passes over the mix keep memory flat: the first only measures loudness,
the second applies the gain that lands on the target, limits true peaks and
hands each block to the sink.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..audio.limiter import DEFAULT_CEILING_DBTP
from ..audio.loudness import TARGET_LUFS
from ..audio.master import Mastering, master_gain_db, mastered_blocks
from ..audio.mix import Mixer
from ..format.model import Script
from ..practice import DEFAULT_SEED, Progress, build_timeline, check_ambience
from ..speech import Speaker
from ..timeline.events import Timeline
from .cover import cover_for
from .formats import DEFAULT_BITRATE_KBPS, check_output, output_format
from .sinks import open_sink
from .tags import TrackInfo, chapter_comment

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


def mastering_for(path: Path, bitrate_kbps: int) -> Mastering:
    """Where to aim the track before its encoder.

    MP3 encoding takes a little loudness off (LAME's low-pass) and adds a little
    true peak (its overshoot), the more so at low bitrates; measured on render-like
    material with ffmpeg's ebur128 (see limiter.DEFAULT_CEILING_DBTP).
    """
    suffix = path.suffix.lower()
    if suffix == ".m4a":
        return Mastering(ceiling_dbtp=AAC_CEILING_DBTP)
    if suffix == ".opus":
        return Mastering(ceiling_dbtp=OPUS_CEILING_DBTP)
    if suffix != ".mp3":
        return Mastering()
    loss_lu = 0.4 if bitrate_kbps <= 128 else 0.3 if bitrate_kbps <= 192 else 0.0
    ceiling = DEFAULT_CEILING_DBTP if bitrate_kbps >= 96 else LOW_BITRATE_CEILING_DBTP
    return Mastering(target_lufs=TARGET_LUFS + loss_lu, ceiling_dbtp=ceiling)


def render(
    script: Script,
    out: Path,
    options: RenderOptions | None = None,
    progress: Progress | None = None,
) -> Timeline:
    """Write the track of ``script`` to ``out`` (format from its suffix), whole or not at all."""
    options = options or RenderOptions()
    check_output(out, bitrate_kbps=options.bitrate_kbps)
    check_ambience(script)
    with Speaker() as voice:
        timeline = build_timeline(script, voice, progress)
        mixer = Mixer(timeline, voice, options.seed)
        mastering = mastering_for(out, options.bitrate_kbps)
        gain_db = master_gain_db(mixer, mastering, progress)
        wav = output_format(out) == ".wav"
        cover = b"" if wav else cover_for(timeline).png
        info = track_info(timeline, options, cover)
        with open_sink(
            out,
            info,
            sample_rate_hz=timeline.sample_rate_hz,
            bitrate_kbps=options.bitrate_kbps,
        ) as sink:
            for block in mastered_blocks(mixer, gain_db, mastering.ceiling_dbtp, progress):
                sink.write(block)
    return timeline
