"""The track formats: which file names, bitrates and tools each needs, checked before any audio.

Light to import (no numpy), so the command line can check its flags at once.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final

from ..atomic import check_writable
from ..errors import MissingComponent, UsageError

SUPPORTED_SUFFIXES: Final = (".mp3", ".wav", ".m4a", ".opus")
MP3_BITRATES_KBPS: Final = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
"""The constant bitrates MPEG-1 Layer III allows at 44.1 kHz; LAME rounds any other silently."""
DEFAULT_BITRATE_KBPS: Final = 128
M4A_MIN_BITRATE_KBPS: Final = 128
"""Below this ffmpeg's AAC encoder clicks: +6 dBTP at 64 kbps from a -2.3 dBTP track, +1.8 dBTP
at 96 kbps from -3.3 (measured with ebur128 on the built-in practices)."""
FFMPEG_MISSING: Final = "render to MP3 needs ffmpeg: sudo apt-get install ffmpeg"


def output_format(path: Path) -> str:
    """The suffix that picks the format (".mp3" or ".wav"), in lower case."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = " or ".join(SUPPORTED_SUFFIXES)
        raise UsageError(f"cannot write {path}: the file name must end in {supported}")
    return suffix


def check_bitrate(bitrate_kbps: int, suffix: str = ".mp3") -> None:
    if bitrate_kbps not in MP3_BITRATES_KBPS:
        rates = ", ".join(str(rate) for rate in MP3_BITRATES_KBPS)
        raise UsageError(f"bitrate {bitrate_kbps} kbps is not an MP3 constant bitrate; use {rates}")
    if suffix == ".m4a" and bitrate_kbps < M4A_MIN_BITRATE_KBPS:
        raise UsageError(
            f"an .m4a track needs --bitrate {M4A_MIN_BITRATE_KBPS} or more; ffmpeg's "
            f"AAC encoder clicks at {bitrate_kbps} kbps"
        )


def find_ffmpeg() -> str:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise MissingComponent(FFMPEG_MISSING)
    return ffmpeg


def check_output(path: Path, *, bitrate_kbps: int = DEFAULT_BITRATE_KBPS) -> None:
    """Every check ``open_sink`` makes, for a command to call before it makes audio."""
    suffix = output_format(path)
    check_bitrate(bitrate_kbps, suffix)
    check_writable(path)
    if suffix != ".wav":
        find_ffmpeg()
