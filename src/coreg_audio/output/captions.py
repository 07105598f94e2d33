"""Captions of a track: LRC, which phone players show as lyrics, and WebVTT.

One caption per spoken item (a ``say``, a breath cue, a count) at the sample
it starts, so the words on the screen change with the voice. LRC has no end
times: an empty line when the voice stops clears the words, as LRC players
expect, unless the next item starts at that very moment.
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import write_file
from ..time_text import hh_mm_ss_mmm, lrc_length, lrc_time
from ..timeline.events import SpokenEvent, Timeline

_VTT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _spoken(timeline: Timeline) -> list[SpokenEvent]:
    return [event for event in timeline.spoken_events() if event.text.strip()]


def lrc(timeline: Timeline) -> str:
    """The track as LRC lyrics: its title and artist, then ``[mm:ss.xx]words`` per spoken item.

    Each item is followed by an empty ``[mm:ss.xx]`` line at its end, so no word
    lingers on the screen through the silence after it.
    """
    lines = [f"[ti:{_one_line(timeline.title)}]"]
    if timeline.author:
        lines.append(f"[ar:{_one_line(timeline.author)}]")
    lines.append(f"[length:{lrc_length(timeline.duration_samples)}]")
    spoken = _spoken(timeline)
    for index, event in enumerate(spoken):
        lines.append(f"{lrc_time(event.start_samples)}{_one_line(event.text)}")
        end = lrc_time(event.end_samples)
        following = spoken[index + 1] if index + 1 < len(spoken) else None
        if following is None or lrc_time(following.start_samples) > end:
            lines.append(end)
    return "\n".join(lines) + "\n"


def webvtt(timeline: Timeline) -> str:
    """The track as WebVTT: one numbered cue per spoken item, from its start to its end."""
    blocks = ["WEBVTT"]
    for number, event in enumerate(_spoken(timeline), start=1):
        text = _one_line(event.text).translate(_VTT_ESCAPES)
        blocks.append(
            f"{number}\n{hh_mm_ss_mmm(event.start_samples)} --> {hh_mm_ss_mmm(event.end_samples)}\n"
            f"{text}"
        )
    return "\n\n".join(blocks) + "\n"


def caption_paths(track: Path) -> tuple[Path, Path]:
    """Where the captions of ``track`` go: beside it, as NAME.lrc and NAME.vtt."""
    return track.with_suffix(".lrc"), track.with_suffix(".vtt")


def write_captions(timeline: Timeline, track: Path) -> tuple[Path, Path]:
    """Write NAME.lrc and NAME.vtt beside ``track``, each whole or not at all."""
    lrc_path, vtt_path = caption_paths(track)
    write_file(lrc_path, lrc(timeline).encode("utf-8"))
    write_file(vtt_path, webvtt(timeline).encode("utf-8"))
    return lrc_path, vtt_path
