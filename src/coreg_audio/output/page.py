"""The pacer page: NAME.html beside NAME.mp3, a breath pacer for the phone's browser.

One self-contained file: its CSS and JavaScript (``page_assets/`` beside this
module) are inlined and the practice travels inside it as a small JSON
document, so opened from a folder it makes no network request of any kind.
The page plays the track with an ``<audio>`` element and draws everything from
``audio.currentTime`` on every animation frame, so what it shows is where the
sound is, whatever the phone's timers do.

The JSON (``<script type="application/json" id="practice">``), format 1; every
time is in seconds from the track's first sample, exact to 0.1 ms:

- ``format`` (1), ``title``, ``author``, ``summary`` (or null), ``subtitle``
  (what the cover says the practice does), ``duration``;
- ``track``: the audio file's name, beside the page;
- ``artwork``: the cover as a ``data:`` URL (for the lock screen), or null;
- ``accent``: the practice's colour as ``{"dark": "#...", "light": "#..."}``,
  one for each theme;
- ``sections``: ``[{title, start, end}]``, the track's chapters;
- ``breaths``: ``[{phase, start, end, cycle}]``, every phase of every
  ``breathe`` step (``inhale``, ``hold``, ``exhale``, ``rest``), in time order;
- ``words``: ``[{kind, start, end, text}]``, every spoken item (``speech``,
  ``cue``, ``count``) while its voice sounds, words spoken during a breath
  included;
- ``moves``: ``[{kind, start, end, facing, beats: [{time, side, accent, word}]}]``,
  each ``rock`` (kind ``rock``) and ``walk`` (kind ``walk``) step: when its
  first beat sounds, when its last beat's stretch ends, whether the partners
  face each other (``facing``: one's left is the other's right, so the page
  names no side, as the terminal's screen does), and each beat's side (``left``
  or ``right``, which half of the sway or which foot in the step's own terms;
  ``accent`` for a walk's stronger beat; ``word``: what the screen calls the
  beat, a rock's cue word, e.g. ``Sway`` and ``Back`` facing, or null).
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any

from ..atomic import write_file
from ..timeline.events import Timeline
from ..units import samples_to_float_s
from .cover import Cover, cover_for, movement_stretches

PAGE_FORMAT = 1
ASSETS = Path(__file__).with_name("page_assets")
ARTWORK_PX = 512
"""The lock screen's artwork: Media Session implementations ask for 512 px at most."""
ACCENT_LIGHTNESS = {"dark": 0.78, "light": 0.45}
"""The practice's colour in each theme (OKLCH lightness): readable on its background."""
_TIME_DIGITS = 4


@cache
def asset(name: str) -> str:
    """One of the page's files (HTML, CSS or JavaScript), as shipped in the package."""
    return (ASSETS / name).read_text(encoding="utf-8")


def _seconds(samples: int) -> float:
    return round(samples_to_float_s(samples), _TIME_DIGITS)


def page_data(timeline: Timeline, track_name: str, cover: Cover | None = None) -> dict[str, Any]:
    """The practice as the page reads it (see the module's docstring)."""
    shown = {(move.step, move.start_samples): move for move in timeline.moves}
    moves = []
    for kind, beats, end_s in movement_stretches(timeline):
        phases = [shown.get((beat.step, beat.start_samples)) for beat in beats]
        moves.append(
            {
                "kind": kind,
                "start": _seconds(beats[0].start_samples),
                "end": round(end_s, _TIME_DIGITS),
                "facing": any(phase is not None and phase.facing for phase in phases),
                "beats": [
                    {
                        "time": _seconds(beat.start_samples),
                        "side": beat.phase,
                        "accent": bool(beat.accent),
                        "word": phase.word if phase is not None else None,
                    }
                    for beat, phase in zip(beats, phases, strict=True)
                ],
            }
        )
    return {
        "format": PAGE_FORMAT,
        "title": timeline.title,
        "author": timeline.author,
        "summary": timeline.summary,
        "subtitle": cover.subtitle if cover is not None else "",
        "duration": _seconds(timeline.duration_samples),
        "track": track_name,
        "artwork": cover.data_url(ARTWORK_PX) if cover is not None else None,
        "accent": {
            theme: cover.accent(lightness) if cover is not None else None
            for theme, lightness in ACCENT_LIGHTNESS.items()
        },
        "sections": [
            {
                "title": chapter.title,
                "start": _seconds(chapter.start_samples),
                "end": _seconds(chapter.end_samples),
            }
            for chapter in timeline.chapters
        ],
        "breaths": [
            {
                "phase": phase.phase,
                "start": _seconds(phase.start_samples),
                "end": _seconds(phase.end_samples),
                "cycle": phase.cycle,
            }
            for phase in timeline.breaths
        ],
        "words": [
            {
                "kind": event.kind,
                "start": _seconds(event.start_samples),
                "end": _seconds(event.end_samples),
                "text": " ".join(event.text.split()),
            }
            for event in timeline.spoken_events()
            if event.text and event.text.strip()
        ],
        "moves": moves,
    }


def script_json(data: dict[str, Any]) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` as such."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def fill(template: str, values: dict[str, str]) -> str:
    """Put each ``{{name}}`` of ``template`` in its place, once each, in one pass."""
    parts = template.split("{{")
    out = [parts[0]]
    for part in parts[1:]:
        name, rest = part.split("}}", 1)
        out.append(values[name] + rest)
    return "".join(out)


def page_html(timeline: Timeline, track_name: str, cover: Cover | None = None) -> str:
    """The whole page, one self-contained HTML document."""
    data = page_data(timeline, track_name, cover)
    accent = data["accent"]
    accents = (
        f":root{{--accent-dark:{accent['dark']};--accent-light:{accent['light']}}}"
        if accent["dark"]
        else ""
    )
    return fill(
        asset("page.html"),
        {
            "title": html.escape(timeline.title),
            "subtitle": html.escape(data["subtitle"]),
            "track": html.escape(track_name),
            "style": asset("theme.css") + asset("page.css") + accents,
            "data": script_json(data),
            "script": asset("page.js"),
        },
    )


def page_path(track: Path) -> Path:
    """Where the page of ``track`` goes: beside it, as NAME.html."""
    return track.with_suffix(".html")


def write_page(timeline: Timeline, track: Path, cover: Cover | None = None) -> Path:
    """Write NAME.html beside ``track`` (whole or not at all); the cover is drawn if not given."""
    cover = cover if cover is not None else cover_for(timeline)
    path = page_path(track)
    write_file(path, page_html(timeline, track.name, cover).encode("utf-8"))
    return path
