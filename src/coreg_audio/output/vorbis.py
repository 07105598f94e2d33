"""The Vorbis comments Ogg players read beyond plain tags: chapters and the cover picture."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Final

from ..time_text import hh_mm_ss_mmm
from ..timeline.events import Chapter

_FLAC_FRONT_COVER: Final = 3


def chapter_comments(chapters: Sequence[Chapter]) -> list[tuple[str, str]]:
    """CHAPTERxxx and CHAPTERxxxNAME per chapter, to the millisecond.

    Written here rather than by ffmpeg: ffmpeg 5.1 rounds their seconds to the
    nearest, so 0.75 s became 1.750.
    """
    comments: list[tuple[str, str]] = []
    for number, chapter in enumerate(chapters):
        comments += [
            (f"CHAPTER{number:03d}", hh_mm_ss_mmm(chapter.start_samples)),
            (f"CHAPTER{number:03d}NAME", chapter.title),
        ]
    return comments


def flac_picture(png: bytes) -> str:
    """A PNG as the base64 FLAC picture block that Ogg players read from METADATA_BLOCK_PICTURE."""
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    mime, description = b"image/png", b"Cover"
    block = b"".join(
        [
            _FLAC_FRONT_COVER.to_bytes(4, "big"),
            len(mime).to_bytes(4, "big"),
            mime,
            len(description).to_bytes(4, "big"),
            description,
            width.to_bytes(4, "big"),
            height.to_bytes(4, "big"),
            (24).to_bytes(4, "big"),
            (0).to_bytes(4, "big"),
            len(png).to_bytes(4, "big"),
            png,
        ]
    )
    return base64.b64encode(block).decode("ascii")
