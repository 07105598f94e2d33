"""A track's tags and chapters, and the ffmetadata file that hands them to ffmpeg."""

from __future__ import annotations

import pytest

from coreg_audio.output.tags import TrackInfo, chapter_comment, ffmetadata
from coreg_audio.timeline.events import Chapter

from .sink_support import SR


def test_chapter_comment_lists_chapters_after_the_summary() -> None:
    chapters = (
        Chapter("Arrive", 0, 10 * SR),
        Chapter("Breathe\nslowly", 10 * SR, 75 * SR - 1),
        Chapter("Rest", 75 * SR - 1, 80 * SR),
    )
    assert chapter_comment("  A calm practice.\n", chapters) == (
        "A calm practice.\n\n00:00 Arrive\n00:10 Breathe slowly\n01:14 Rest"
    )


def test_chapter_comment_shows_hours_for_long_tracks_and_omits_empty_parts() -> None:
    chapters = (Chapter("One", 0, 3600 * SR), Chapter("Two", 3600 * SR, 3700 * SR))
    assert chapter_comment("", chapters) == "0:00:00 One\n1:00:00 Two"
    assert chapter_comment("Only a summary", ()) == "Only a summary"
    assert chapter_comment("", ()) == ""


def test_chapters_must_be_ordered_and_well_formed() -> None:
    with pytest.raises(ValueError, match="start <= end"):
        Chapter("Backwards", 10, 5)
    with pytest.raises(ValueError, match="start <= end"):
        Chapter("Negative", -1, 5)
    with pytest.raises(ValueError, match="time order"):
        TrackInfo("T", chapters=(Chapter("B", 10, 20), Chapter("A", 0, 10)))
    with pytest.raises(ValueError, match="time order"):
        TrackInfo("T", chapters=(Chapter("A", 0, 11), Chapter("B", 10, 20)))
    TrackInfo("T", chapters=(Chapter("A", 0, 10), Chapter("Empty", 10, 10), Chapter("B", 10, 20)))


def test_ffmetadata_escapes_special_characters_and_keeps_exact_sample_times() -> None:
    info = TrackInfo("a=b;c#d\\e\r\nf\0g", artist="", chapters=(Chapter("x=y", 44122, 132300),))
    text = ffmetadata(info, SR)
    assert text.splitlines()[0] == ";FFMETADATA1"
    assert "title=a\\=b\\;c\\#d\\\\e\\\nfg\n" in text
    assert "artist=" not in text
    assert "TIMEBASE=1/44100\nSTART=44122\nEND=132300\ntitle=x\\=y\n" in text
    assert "comment" not in text


def test_ffmetadata_counts_chapters_at_the_rate_it_is_given() -> None:
    info = TrackInfo("T", track=(2, 7), chapters=(Chapter("x", 48000, 96000),))
    text = ffmetadata(info, 48000, [("comment", "c")])
    assert "TIMEBASE=1/48000\nSTART=48000\nEND=96000\n" in text
    assert "track=2/7\n" in text and "comment=c\n" in text


def test_cover_must_be_a_png() -> None:
    with pytest.raises(ValueError, match="PNG"):
        TrackInfo("T", cover_png=b"\xff\xd8 a jpeg")
