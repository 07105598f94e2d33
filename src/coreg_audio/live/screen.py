"""What the terminal shows while a practice plays, from the timeline and the sample heard.

What the screen says at a moment comes from ``screen_state`` as plain data;
``frame`` lays that state out for a terminal's size (the breath drawn large in
the middle, the phase word in large letters, the words being spoken below),
and ``LiveScreen`` writes each frame in place, only the lines that changed.
``PlainLog`` writes one line per section and spoken item when stdout is not a
terminal.

Everything is drawn in the terminal's own foreground colour, with ``dim``
for what matters less, so it reads the same on a light or dark theme and
without colour (``NO_COLOR``); nothing blinks.
"""

from __future__ import annotations

import bisect
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import numpy as np
from rich.color import ColorSystem
from rich.console import Console
from rich.text import Text

from ..audio.sounds import ease
from ..time_text import mm_ss, mm_ss_tenths
from ..timeline.events import (
    Event,
    SectionEvent,
    SpokenEvent,
    Timeline,
    pattern_text,
)
from .bigtext import QUADRANTS, big_lines
from .keys import KEY_HELP, TAPPING_HELP
from .screen_state import (
    Breath,
    Move,
    ScreenIndex,
    ScreenState,
    fullness,
    state_at,
)
from .tapping import TapShown

SMALLEST = 0.14
"""The breath shape when empty, as a share of its full size: it never vanishes."""
MIN_BIG_ROWS = 3
MAX_BIG_ROWS = 10
CELL_PIXELS = 2
"""Quadrant pixels a cell holds each way."""


# --- laying out a frame ----------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where each part of the screen goes, in lines, for a terminal of ``width`` x ``height``."""

    width: int
    height: int

    @property
    def big_rows(self) -> int:
        return max(MIN_BIG_ROWS, min(MAX_BIG_ROWS, self.height // 5))

    @property
    def keys_line(self) -> int:
        return self.height - 1

    @property
    def progress_line(self) -> int:
        return self.height - 2

    @property
    def words_lines(self) -> range:
        return range(self.height - 5, self.height - 3)

    @property
    def big_top(self) -> int:
        return self.words_lines.start - 1 - self.big_rows

    @property
    def shape_lines(self) -> range:
        return range(2, max(2, self.big_top - 1))


def frame(state: ScreenState, width: int, height: int) -> list[Text]:
    """The whole screen for one state: exactly ``height`` lines, none wider than ``width``."""
    layout = Layout(width, height)
    lines = [Text() for _ in range(height)]
    lines[0] = _header(state, width)
    if state.tap is not None and state.tap.met is None:
        _tap_screen(state.tap, layout, lines)
    else:
        shape = _shape(state, layout)
        for row, line in zip(layout.shape_lines, shape, strict=False):
            lines[row] = line
        _big(_big_words(state), layout, lines)
    words = _words_shown(state)
    for row, said in zip(layout.words_lines, _wrapped(words, width), strict=False):
        lines[row] = _centred(Text(said, style="bold"), width)
    lines[layout.progress_line] = elapsed_line(state.elapsed_samples, state.total_samples, width)
    lines[layout.keys_line] = _keys(state, width)
    for line in lines:
        line.truncate(width)
    return lines


def _header(state: ScreenState, width: int) -> Text:
    title = Text(state.title, style="bold")
    section = state.section or ""
    if section and section != state.title:
        room = width - len(state.title) - 4
        if room > 0:
            title.append(" " * max(2, room - len(section[:room])))
            title.append(section[:room], style="dim")
    return title


def _keys(state: ScreenState, width: int) -> Text:
    line = Text("PAUSED ", style="bold reverse") if state.paused else Text("")
    if line.plain:
        line.append(" ")
    taking = state.tap is not None and state.tap.met is None
    line.append(TAPPING_HELP if taking else KEY_HELP, style="dim")
    return line


def _words_shown(state: ScreenState) -> str | None:
    tap = state.tap
    if tap is not None and tap.met is not None:
        return met_sentence(tap)
    return state.words


def met_sentence(tap: TapShown) -> str:
    """What the screen says once a tap step is done."""
    assert tap.met is not None
    seconds = float(tap.met.cycle_s)
    if tap.tapped:
        return f"about {seconds:.1f} s a breath; we'll start there"
    return f"no taps: we'll start at about {seconds:.1f} s a breath ({pattern_text(tap.met)})"


def _wrapped(words: str | None, width: int) -> list[str]:
    if not words:
        return []
    lines = textwrap.wrap(words, max(10, width - 4))
    if len(lines) > 2:
        lines = [
            lines[0],
            textwrap.shorten(" ".join(lines[1:]), max(10, width - 4), placeholder="…"),
        ]
    return lines


def _centred(line: Text, width: int) -> Text:
    pad = max(0, (width - line.cell_len) // 2)
    return Text(" " * pad) + line


def _big_words(state: ScreenState) -> tuple[str, str]:
    """The phase word and what follows it (the seconds left, or a step's number)."""
    if state.breath is not None:
        return state.breath.word or "", str(state.breath.seconds_left)
    move = state.move
    if move is not None:
        if move.walking and move.facing:
            return str(move.cycle), ""
        return move.word or "", ""
    return "", ""


def _big(words: tuple[str, str], layout: Layout, lines: list[Text]) -> None:
    """The phase word in large letters, centred, and the seconds left beside it, dim."""
    word, after = words
    if not word and not after:
        return
    rows = layout.big_rows
    gap = 4
    drawn_word = big_lines(word, rows, layout.width) if word else []
    drawn_after = big_lines(after, rows, layout.width // 4) if after else []
    if drawn_word is None or drawn_after is None:
        plain = Text(word, style="bold")
        if after:
            plain.append(f"   {after} s", style="dim")
        lines[layout.big_top + rows // 2] = _centred(plain, layout.width)
        return
    word_width = max((len(line) for line in drawn_word), default=0)
    after_width = max((len(line) for line in drawn_after), default=0)
    total = word_width + (gap + after_width if drawn_after else 0)
    if total > layout.width:
        drawn_after, total = [], word_width
    left = max(0, (layout.width - total) // 2)
    word_top = rows - len(drawn_word)
    after_top = rows - len(drawn_after)
    for row in range(rows):
        line = Text(" " * left)
        piece = drawn_word[row - word_top] if row >= word_top and drawn_word else ""
        line.append(piece.ljust(word_width))
        if drawn_after:
            line.append(" " * gap)
            tail = drawn_after[row - after_top] if row >= after_top else ""
            line.append(tail, style="dim")
        line.rstrip()
        lines[layout.big_top + row] = line


def _tap_screen(tap: TapShown, layout: Layout, lines: list[Text]) -> None:
    """Whose breath to tap, large, how many taps are left, and what a tap is for."""
    area = list(layout.shape_lines)
    if not area:
        return
    breath = "breathe in" if tap.next_breath == "in" else "breathe out"
    who = tap.whose or "your partner"
    name_rows = max(MIN_BIG_ROWS, min(MAX_BIG_ROWS, len(area) // 2))
    drawn = big_lines(tap.whose or "Tap", name_rows, layout.width) or []
    top = area[0] + max(0, (len(area) - name_rows - 3) // 2)
    for offset, line in enumerate(drawn):
        if top + offset < layout.big_top:
            lines[top + offset] = _centred(Text(line), layout.width)
    say = f"tap the space bar each time {who} begins to {breath}"
    row = min(top + name_rows + 1, layout.big_top - 1)
    lines[row] = _centred(Text(say, style="bold"), layout.width)
    _big((str(tap.taps_left), ""), layout, lines)
    left = "1 tap to go" if tap.taps_left == 1 else f"{tap.taps_left} taps to go"
    lines[min(layout.big_top + layout.big_rows, layout.words_lines.start)] = _centred(
        Text(left, style="dim"), layout.width
    )


# --- the shape --------------------------------------------------------------------------------


def _shape(state: ScreenState, layout: Layout) -> list[Text]:
    """The breath (or the sway or the step) drawn in the middle of the screen."""
    rows = len(layout.shape_lines)
    if rows < 3 or layout.width < 20:
        return []
    if state.breath is not None:
        size = SMALLEST + (1 - SMALLEST) * float(ease(np.array(state.breath.fullness)))
        return draw_shape(rows, layout.width, size, 0.0, outline=True)
    move = state.move
    if move is None:
        return []
    eased = float(ease(np.array(move.progress)))
    if move.walking:
        size = (0.55 if move.accent else 0.42) * (1 - 0.35 * eased)
        across = 0.0 if move.facing else (-0.5 if move.phase == "left" else 0.5)
        return draw_shape(rows, layout.width, size, across, outline=False)
    if move.facing:
        grown = eased if move.phase == "left" else 1 - eased
        return draw_shape(rows, layout.width, SMALLEST + (0.6 - SMALLEST) * grown, 0.0, True)
    across = (1 - 2 * eased) if move.phase == "left" else (2 * eased - 1)
    return draw_shape(rows, layout.width, 0.35, -across * 0.7, outline=False)


def draw_shape(rows: int, width: int, size: float, across: float, outline: bool) -> list[Text]:
    """A filled oval ``size`` of the largest that fits (0-1), centred ``across`` the width
    (-1 left edge, 1 right edge); ``outline`` dots the largest one's edge faintly around it."""
    height_px, width_px = rows * CELL_PIXELS, width * CELL_PIXELS
    half_height = height_px / 2
    half_width = min(width_px * 0.46, half_height * 2.2 * 2)
    y = (np.arange(height_px) + 0.5)[:, None] - half_height
    x = (np.arange(width_px) + 0.5)[None, :] - width_px / 2
    centre = across * (width_px / 2 - half_width * size)
    inside = ((x - centre) / (half_width * size)) ** 2 + (y / (half_height * size)) ** 2 <= 1.0
    edge = np.zeros((rows, width), dtype=bool)
    if outline:
        largest = (x / half_width) ** 2 + (y / half_height) ** 2 <= 1.0
        quarters = largest.reshape(rows, CELL_PIXELS, width, CELL_PIXELS).sum(axis=(1, 3))
        edge = (quarters > 0) & (quarters < CELL_PIXELS**2)
    return [_cells_line(inside[r * 2 : r * 2 + 2], edge[r]) for r in range(rows)]


def _cells_line(inside: np.ndarray, edge: np.ndarray) -> Text:
    """One line of quadrant cells: the shape solid, the largest one's edge dotted and dim."""
    p = inside.astype(np.int8)
    solid = 8 * p[0, 0::2] + 4 * p[0, 1::2] + 2 * p[1, 0::2] + p[1, 1::2]
    line = Text()
    run: list[str] = []
    run_dim = False
    for cell, dotted in zip(solid, edge, strict=True):
        dim = not cell and bool(dotted)
        char = "·" if dim else str(QUADRANTS[cell])
        if dim != run_dim and run:
            line.append("".join(run), style="dim" if run_dim else None)
            run = []
        run_dim = dim
        run.append(char)
    if run:
        line.append("".join(run), style="dim" if run_dim else None)
    line.rstrip()
    return line


def elapsed_line(elapsed_samples: int, total_samples: int, width: int = 80) -> Text:
    """Elapsed time, a bar of the way through, and the total."""
    cells = max(10, width - 14)
    done = round(cells * elapsed_samples / max(total_samples, 1))
    line = Text(f"{mm_ss(elapsed_samples)} ")
    line.append("━" * done)
    line.append("─" * (cells - done), style="dim")
    line.append(f" {mm_ss(total_samples)}")
    return line


# --- writing frames --------------------------------------------------------------------------


SYNC_BEGIN = "\x1b[?2026h"
SYNC_END = "\x1b[?2026l"
"""Synchronized output: a terminal that knows it shows each frame whole (others ignore it)."""
ENTER = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J"
LEAVE = "\x1b[?25h\x1b[?1049l"
REPAINT_S = 1.0
"""How often every line of the live screen is written again, changed or not."""


class LiveScreen:
    """Frames drawn in place on the terminal's second screen, only their changed lines.

    Each update writes the lines that differ from the last frame, each where
    it belongs, overwriting rather than clearing, inside a synchronized
    update: nothing flickers, however often it is drawn. A new size redraws
    it all. Every ``repaint_s`` all lines are written again, in place: what
    something else wrote on the terminal (alsa-lib reports a late sound
    buffer on stderr, for one) is gone within that time.
    """

    def __init__(
        self,
        timeline: Timeline,
        out: TextIO | None = None,
        size: tuple[int, int] | None = None,
        console: Console | None = None,
        repaint_s: float = REPAINT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._index = ScreenIndex(timeline)
        self._out = out or sys.stdout
        self._size = size
        self._console = console or Console(file=self._out, force_terminal=True)
        self._lines: list[str] = []
        self._shown_size: tuple[int, int] | None = None
        self._repaint_s = repaint_s
        self._clock = clock
        self._painted_at = clock()
        self.frames = 0

    def __enter__(self) -> LiveScreen:
        self._out.write(ENTER)
        self._out.flush()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def retime(self, timeline: Timeline) -> None:
        self._index = ScreenIndex(timeline)

    def terminal_size(self) -> tuple[int, int]:
        if self._size is not None:
            return self._size
        size = shutil.get_terminal_size((80, 24))
        return size.columns, size.lines

    def update(self, position_samples: int, paused: bool, tap: TapShown | None = None) -> None:
        """Draw the state at ``position_samples``, writing only what changed."""
        state = self._index.state_at(position_samples, paused, tap)
        width, height = self.terminal_size()
        rendered = [self._ansi(line) for line in frame(state, width, height)]
        parts = [SYNC_BEGIN]
        now = self._clock()
        if (width, height) != self._shown_size:
            parts.append("\x1b[H\x1b[2J")
            self._lines = []
            self._shown_size = (width, height)
        if now - self._painted_at >= self._repaint_s:
            self._lines = []
        if not self._lines:
            self._painted_at = now
        for row, line in enumerate(rendered):
            if row < len(self._lines) and self._lines[row] == line:
                continue
            parts.append(f"\x1b[{row + 1};1H{line}\x1b[0m\x1b[K")
        parts.append(SYNC_END)
        self._lines = rendered
        self._out.write("".join(parts))
        self._out.flush()
        self.frames += 1

    def _ansi(self, line: Text) -> str:
        """A line as the terminal's escape codes: colours only where the terminal has them."""
        system = self._console.color_system
        out = []
        for segment in line.render(self._console):
            style = segment.style
            if style is None or not segment.text:
                out.append(segment.text)
                continue
            if self._console.no_color or system is None:
                style = style.without_color
            out.append(style.render(segment.text, color_system=ColorSystem.STANDARD))
        return "".join(out)

    def close(self) -> None:
        self._out.write(LEAVE)
        self._out.flush()


class PlainLog:
    """One line per section and per spoken item, with its time, as each is reached."""

    def __init__(self, timeline: Timeline, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._position = -1
        self._index(timeline)

    def _index(self, timeline: Timeline) -> None:
        items = [
            event
            for event in timeline.events
            if isinstance(event, SectionEvent | SpokenEvent) or event.kind == "tap"
        ]
        self._items = sorted(items, key=lambda event: event.start_samples)
        self._starts = [event.start_samples for event in self._items]
        self._next = bisect.bisect_right(self._starts, self._position)

    def __enter__(self) -> PlainLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def retime(self, timeline: Timeline) -> None:
        self._index(timeline)

    def update(self, position_samples: int, paused: bool, tap: TapShown | None = None) -> None:
        if position_samples < self._position:
            self._next = bisect.bisect_left(self._starts, position_samples)
        self._position = position_samples
        while self._next < len(self._items) and self._starts[self._next] <= position_samples:
            self._out.write(plain_line(self._items[self._next]) + "\n")
            self._next += 1
        self._out.flush()

    def close(self) -> None:
        self._out.flush()


def plain_line(event: Event) -> str:
    when = mm_ss_tenths(event.start_samples)
    if isinstance(event, SectionEvent):
        return f"{when}  section  {event.title}"
    text = event.text if isinstance(event, SpokenEvent) else event.describe()
    return f"{when}  {event.kind:<7}  {text}"


def open_view(timeline: Timeline) -> LiveScreen | PlainLog:
    """The live screen when stdout is a terminal, else the plain log."""
    if sys.stdout.isatty():
        return LiveScreen(timeline)
    return PlainLog(timeline)


__all__ = [
    "Breath",
    "Layout",
    "LiveScreen",
    "Move",
    "PlainLog",
    "ScreenIndex",
    "ScreenState",
    "draw_shape",
    "elapsed_line",
    "frame",
    "fullness",
    "met_sentence",
    "open_view",
    "plain_line",
    "state_at",
]
