"""Render a practice to a file: mix, measure, master, encode.

Two passes over the mix keep memory flat: the first only measures loudness,
the second applies the gain that lands on the target, limits true peaks and
hands each block to the sink.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..audio.limiter import DEFAULT_CEILING_DBTP
from ..audio.loudness import TARGET_LUFS
from ..audio.master import MasterChain, Mastering, master_gain_db, mastered_blocks
from ..audio.mix import Mixer
from ..errors import RenderFailed
from ..format.model import Script
from ..practice import DEFAULT_SEED, Progress, build_timeline, check_ambience
from ..speech import Speaker
from ..timeline.events import Timeline
from . import encoded
from .cover import cover_for
from .formats import DEFAULT_BITRATE_KBPS, check_output, find_ffmpeg, output_format
from .sinks import open_sink
from .tags import TrackInfo, chapter_comment

_log = logging.getLogger(__name__)
DEFAULT_ALBUM = "coreg-audio practices"
MP3_CEILINGS_DBTP: dict[int, float] = {
    32: -4.5,
    40: -4.5,
    48: -4.5,
    56: -4.5,
    64: -4.5,
    80: -3.0,
    96: -3.0,
}
"""Where LAME is aimed below 112 kbps (-2.0 from there up). Under 80 kbps it adds about 3 dB of
true peak to the track it is given (breath-sync at 64 kbps: -0.3 dBTP from -3.0)."""
AAC_CEILING_DBTP = -2.0
"""ffmpeg's AAC (as sinks.M4aSink sets it up) keeps loudness within 0.1 LU and overshot the
true peak it was given by at most 0.8 dB at 128 to 192 kbps (ebur128, three practices)."""
OPUS_CEILINGS_DBTP: dict[int, float] = {32: -5.0, 40: -3.5, 48: -3.5, 56: -3.5, 64: -3.5}
"""Where libopus is aimed below 80 kbps (-3.0 from there up): its peaks follow the speech more
than the ceiling, by up to 3 dB at 32 kbps."""
OPUS_CEILING_DBTP = -3.0


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

    MP3 encoding takes a little loudness off (LAME's low-pass) and adds true
    peak (its overshoot), the more so at low bitrates; measured on render-like
    material with ffmpeg's ebur128 (see limiter.DEFAULT_CEILING_DBTP). This is
    the first aim only: the encoded track is measured and the aim corrected.
    """
    suffix = path.suffix.lower()
    if suffix == ".m4a":
        return Mastering(ceiling_dbtp=AAC_CEILING_DBTP)
    if suffix == ".opus":
        return Mastering(ceiling_dbtp=OPUS_CEILINGS_DBTP.get(bitrate_kbps, OPUS_CEILING_DBTP))
    if suffix != ".mp3":
        return Mastering()
    loss_lu = 0.4 if bitrate_kbps <= 128 else 0.3 if bitrate_kbps <= 192 else 0.0
    ceiling = MP3_CEILINGS_DBTP.get(bitrate_kbps, DEFAULT_CEILING_DBTP)
    return Mastering(target_lufs=TARGET_LUFS + loss_lu, ceiling_dbtp=ceiling)


def render(
    script: Script,
    out: Path,
    options: RenderOptions | None = None,
    progress: Progress | None = None,
) -> Timeline:
    """Write the track of ``script`` to ``out`` (format from its suffix), whole or not at all.

    A compressed track is measured once encoded and made again, better aimed,
    until its loudness and true peak hold (``encoded``); the aim that held is
    remembered, so the next render of it is written once.
    """
    options = options or RenderOptions()
    check_output(out, bitrate_kbps=options.bitrate_kbps)
    check_ambience(script)
    with Speaker() as voice:
        timeline = build_timeline(script, voice, progress)
        mixer = Mixer(timeline, voice, options.seed)
        wav = output_format(out) == ".wav"
        cover = b"" if wav else cover_for(timeline).png
        info = track_info(timeline, options, cover)
        first = mastering_for(out, options.bitrate_kbps)
        if wav:
            _write(mixer, first, out, info, options, progress)
            return timeline
        ffmpeg = find_ffmpeg()
        aims = encoded.EncodedMastering(
            first, mixer.fingerprint(), output_format(out), options.bitrate_kbps, ffmpeg
        )
        remembered = aims.remembered()
        if remembered is not None:
            _write(mixer, remembered, out, info, options, progress)
            return timeline
        mastering = first
        for _ in range(encoded.MAX_ENCODES):

            def inspect(partial: Path, written_peak_dbtp: float) -> None:
                measured = encoded.measure(partial, ffmpeg)
                if not measured.holds():
                    raise encoded.OffTarget(measured, written_peak_dbtp)

            try:
                _write(mixer, mastering, out, info, options, progress, inspect)
            except encoded.OffTarget as missed:
                mastering = encoded.corrected(mastering, missed.measured, missed.written_peak_dbtp)
                _log.info(
                    "%s came out at %.1f LUFS and %.1f dBTP; encoding it again aimed at %.2f dBTP",
                    out.name,
                    missed.measured.integrated_lufs,
                    missed.measured.true_peak_dbtp,
                    mastering.ceiling_dbtp,
                )
                if mastering.ceiling_dbtp < encoded.LOWEST_CEILING_DBTP:
                    break
                continue
            aims.remember(mastering)
            return timeline
    raise RenderFailed(
        f"cannot hold {out} at -16 LUFS and a true peak of at most "
        f"{encoded.PROMISED_PEAK_DBTP} dBTP at {options.bitrate_kbps} kbps: the encoder adds "
        "too much; use a higher --bitrate"
    )


def _write(
    mixer: Mixer,
    mastering: Mastering,
    out: Path,
    info: TrackInfo,
    options: RenderOptions,
    progress: Progress | None,
    inspect: Callable[[Path, float], None] | None = None,
) -> None:
    """One pass: the mix mastered into a sink; ``inspect`` sees the finished partial file
    and the true peak that was written, and may refuse it."""
    gain_db = master_gain_db(mixer, mastering, progress)
    chain = MasterChain(gain_db, mastering.ceiling_dbtp, mixer.sample_rate_hz)
    sink = open_sink(
        out, info, sample_rate_hz=mixer.sample_rate_hz, bitrate_kbps=options.bitrate_kbps
    )
    if inspect is not None:
        check = inspect
        sink.inspect = lambda partial: check(partial, chain.peak_dbtp)
    with sink:
        for block in mastered_blocks(mixer, gain_db, mastering.ceiling_dbtp, progress, chain):
            sink.write(block)
