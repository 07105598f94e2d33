"""ID3 edits by hand: the comment frame, and renumbering a track to the bytes of a fresh one."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from coreg_audio.errors import RenderFailed
from coreg_audio.output.id3 import add_to_padding, comment_frame, renumber_mp3
from coreg_audio.output.tags import TrackInfo

from .sink_support import MP3_CHAPTERS, MP3_INFO, cover, mp3_track, probe_tags, write_all

NUMBERED = TrackInfo(
    title=MP3_INFO.title,
    artist=MP3_INFO.artist,
    album="Abend",
    comment=MP3_INFO.comment,
    chapters=MP3_CHAPTERS,
    track=(3, 12),
    cover_png=cover(),
)


def test_comment_frame_layout() -> None:
    ascii_frame = comment_frame("hi\nthere")
    assert ascii_frame == b"COMM" + (13).to_bytes(4, "big") + b"\0\0" + b"\0und\0hi\nthere"
    wide = comment_frame("ruhig — still")
    assert wide[:4] == b"COMM" and wide[10:11] == b"\x01" and wide[11:14] == b"und"
    assert int.from_bytes(wide[4:8], "big") == len(wide) - 10
    assert wide[14:18] == b"\xff\xfe\0\0"
    assert wide[18:].decode("utf-16") == "ruhig — still"


def test_a_frame_goes_into_the_padding_and_never_over_a_frame(tmp_path: Path) -> None:
    title = b"TIT2" + (3).to_bytes(4, "big") + b"\0\0" + b"\0Hi"
    frame = comment_frame("c")
    padded = tmp_path / "padded.mp3"
    padded.write_bytes(b"ID3\x03\0\0\0\0\0" + bytes([len(title) + 20]) + title + bytes(20) + b"au")
    add_to_padding(padded, frame)
    data = padded.read_bytes()
    assert data[10 + len(title) : 10 + len(title) + len(frame)] == frame
    assert data.endswith(b"au") and len(data) == 10 + len(title) + 20 + 2
    full = tmp_path / "full.mp3"
    full.write_bytes(b"ID3\x03\0\0\0\0\0" + bytes([len(title)]) + title + b"au")
    with pytest.raises(RenderFailed, match="no room for the comment"):
        add_to_padding(full, frame)


@pytest.fixture(scope="module")
def numbered_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("id3") / "box.mp3"
    write_all(path, NUMBERED, mp3_track())
    return path


@pytest.mark.parametrize("number", [(4, 12), (10, 100)])
def test_renumbering_gives_the_bytes_of_a_fresh_render(
    numbered_mp3: Path, tmp_path: Path, number: tuple[int, int]
) -> None:
    renumbered = tmp_path / "renumbered.mp3"
    shutil.copyfile(numbered_mp3, renumbered)
    renumber_mp3(renumbered, number)
    fresh = tmp_path / "fresh.mp3"
    write_all(fresh, dataclasses.replace(NUMBERED, track=number), mp3_track())
    assert renumbered.read_bytes() == fresh.read_bytes()
    assert probe_tags(renumbered)["track"] == f"{number[0]}/{number[1]}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.mp3", "renumbered.mp3"]


def test_renumbering_a_file_it_did_not_write_leaves_it_alone(tmp_path: Path) -> None:
    track = tmp_path / "t.mp3"
    for content, words in [
        (b"not an mp3 at all", "no plain ID3v2.3 tag"),
        (
            b"ID3\x03\x00\x00\x00\x00\x00\x0aTIT2\x00\x00\x00\x00\x00\x00",
            "no track number to change",
        ),
    ]:
        track.write_bytes(content)
        with pytest.raises(RenderFailed, match=re.escape(words)):
            renumber_mp3(track, (2, 3))
        assert track.read_bytes() == content
        assert [p.name for p in tmp_path.iterdir()] == ["t.mp3"]
