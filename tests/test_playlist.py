"""The playlist a phone's player reads: extended M3U, relative paths, one-line titles."""

from __future__ import annotations

import os
from pathlib import Path

from coreg_audio.output.batch import TrackOutcome
from coreg_audio.output.playlist import PLAYLIST_NAME, m3u8, write_playlist

TRACKS = [
    TrackOutcome("a", "rendered", Path("/x/a.mp3"), "Two\nlines", 44100 * 61 + 1),
    TrackOutcome("b", "unchanged", Path("/x/b.mp3"), "", 22050),
]


def test_m3u8_lists_tracks_by_relative_path_with_one_line_titles() -> None:
    assert m3u8(TRACKS) == "#EXTM3U\n#EXTINF:61,Two lines\na.mp3\n#EXTINF:0,b\nb.mp3\n"


def test_the_playlist_is_left_alone_when_it_lists_the_same_tracks(tmp_path: Path) -> None:
    path = write_playlist(tmp_path, TRACKS)
    assert path == tmp_path / PLAYLIST_NAME
    assert path.read_text(encoding="utf-8") == m3u8(TRACKS)
    os.utime(path, ns=(1_000, 1_000))
    write_playlist(tmp_path, TRACKS)
    assert path.stat().st_mtime_ns == 1_000
    write_playlist(tmp_path, TRACKS[:1])
    assert path.read_text(encoding="utf-8") == m3u8(TRACKS[:1])
