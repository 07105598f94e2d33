"""A track's tags and chapters, and the ffmetadata file that hands them to ffmpeg."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ..time_text import chapter_clock
from ..timeline.events import Chapter
from ..units import samples_to_seconds

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_FFMETADATA_ESCAPES: Final = str.maketrans({c: "\\" + c for c in "=;#\\\n"})


@dataclass(frozen=True)
class TrackInfo:
    """The tags of a track; ``comment`` is the whole comment (see ``chapter_comment``)."""

    title: str
    artist: str = ""
    album: str = ""
    comment: str = ""
    chapters: tuple[Chapter, ...] = ()
    track: tuple[int, int] | None = None
    """(n, N): this track's number and how many the album holds."""
    cover_png: bytes = b""
    """Square cover art as a PNG file's bytes, embedded in every format but WAV."""

    def __post_init__(self) -> None:
        if self.cover_png and not self.cover_png.startswith(PNG_SIGNATURE):
            raise ValueError("cover_png must hold a PNG file")
        for before, after in itertools.pairwise(self.chapters):
            if after.start_samples < before.end_samples:
                raise ValueError(
                    f"chapters must be in time order without overlaps: {after.title!r} "
                    f"starts before {before.title!r} ends"
                )


def chapter_comment(summary: str, chapters: Sequence[Chapter]) -> str:
    """The summary, then one "mm:ss Title" line per chapter.

    Few players show chapters but all show the comment, so the list lets a
    listener find a section by time anywhere. Past the first hour every line
    reads "h:mm:ss", as show notes do.
    """
    with_hours = any(samples_to_seconds(c.start_samples) >= 3600 for c in chapters)
    lines = [
        f"{chapter_clock(c.start_samples, with_hours)} {' '.join(c.title.split())}"
        for c in chapters
    ]
    parts = [part for part in (summary.strip(), "\n".join(lines)) if part]
    return "\n\n".join(parts)


def plain_text(text: str) -> str:
    """Newlines as LF and no NUL: ffmetadata reads a lone CR wrongly, and NUL ends ID3 text."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")


def ffmetadata(
    info: TrackInfo, sample_rate_hz: int, extra_tags: Sequence[tuple[str, str]] = ()
) -> str:
    """The tags and chapters as an ffmetadata file, for ffmpeg's second input.

    Chapters come in a time base of one sample, so ffmpeg's millisecond CHAP
    times are rounded once, from exact positions. The comment is left out
    unless given in ``extra_tags``: in an MP3 ffmpeg would store it as a TXXX
    frame, which players do not show.
    """
    lines = [";FFMETADATA1"]
    track = f"{info.track[0]}/{info.track[1]}" if info.track is not None else ""
    tags = (
        ("title", info.title),
        ("artist", info.artist),
        ("album", info.album),
        ("track", track),
        *extra_tags,
    )
    for key, value in tags:
        if value:
            lines.append(f"{key}={_escape_ffmetadata(value)}")
    for chapter in info.chapters:
        lines += [
            "",
            "[CHAPTER]",
            f"TIMEBASE=1/{sample_rate_hz}",
            f"START={chapter.start_samples}",
            f"END={chapter.end_samples}",
            f"title={_escape_ffmetadata(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def _escape_ffmetadata(text: str) -> str:
    return plain_text(text).translate(_FFMETADATA_ESCAPES)
