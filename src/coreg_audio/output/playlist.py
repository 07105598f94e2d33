"""The playlist of a folder of tracks: extended M3U in UTF-8, as phone players read it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from ..atomic import write_if_changed
from ..units import samples_to_float_s

PLAYLIST_NAME = "playlist.m3u8"


class Listed(Protocol):
    """A track as the playlist needs it."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> Path: ...

    @property
    def title(self) -> str: ...

    @property
    def duration_samples(self) -> int: ...


def m3u8(tracks: Iterable[Listed]) -> str:
    """An extended M3U playlist: the tracks in order, by paths relative to it."""
    lines = ["#EXTM3U"]
    for track in tracks:
        title = " ".join(track.title.split()) or track.name
        seconds = round(samples_to_float_s(track.duration_samples))
        lines += [f"#EXTINF:{seconds},{title}", track.path.name]
    return "\n".join(lines) + "\n"


def write_playlist(folder: Path, tracks: Iterable[Listed]) -> Path:
    """``playlist.m3u8`` in ``folder``, left alone when it already lists these tracks."""
    path = folder / PLAYLIST_NAME
    write_if_changed(path, m3u8(tracks).encode("utf-8"))
    return path
