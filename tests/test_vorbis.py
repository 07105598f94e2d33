"""The Vorbis comments of an Opus track: chapters to the millisecond and the cover block."""

from __future__ import annotations

import base64

from coreg_audio.output.vorbis import chapter_comments, flac_picture
from coreg_audio.timeline.events import Chapter

from .sink_support import SR, cover


def test_chapter_comments_are_numbered_and_exact_to_the_millisecond() -> None:
    chapters = (Chapter("In", 0, 33075), Chapter("Out", 33075, 3725 * SR + SR // 4))
    assert chapter_comments(chapters) == [
        ("CHAPTER000", "00:00:00.000"),
        ("CHAPTER000NAME", "In"),
        ("CHAPTER001", "00:00:00.750"),
        ("CHAPTER001NAME", "Out"),
    ]
    assert chapter_comments(()) == []


def test_flac_picture_block_layout() -> None:
    png = cover()
    block = base64.b64decode(flac_picture(png))
    assert block[:4] == (3).to_bytes(4, "big")
    assert block[4:8] == (9).to_bytes(4, "big") and block[8:17] == b"image/png"
    assert block[17:21] == (5).to_bytes(4, "big") and block[21:26] == b"Cover"
    assert block[26:34] == (600).to_bytes(4, "big") + (600).to_bytes(4, "big")
    assert block[-len(png) - 4 : -len(png)] == len(png).to_bytes(4, "big")
    assert block.endswith(png)
