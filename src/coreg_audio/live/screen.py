"""What the terminal shows while a practice plays, from the timeline and the sample heard.

``ScreenIndex.state_at`` is a pure function of a timeline and a sample
position, so what the screen says at any moment is tested as plain data; the
``LiveScreen`` only draws that state with rich, and ``PlainLog`` writes one
line per section and spoken item when stdout is not a terminal.
"""

from __future__ import annotations

import bisect
import math
import sys
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from ..time_text import mm_ss, mm_ss_tenths
from ..timeline.events import BeatEvent, Event, SectionEvent, SpokenEvent, Timeline
from ..units import samples_to_float_s, samples_to_seconds
from .keys import KEY_HELP

SIDES = ("left", "right")
PACER_CELLS = 41
"""Width of the breath pacer in characters (odd, so it grows from one middle cell)."""
PHASE_STYLES = {"inhale": "bold cyan", "hold": "bold yellow", "exhale": "bold green", "rest": "dim"}


@dataclass(frozen=True)
class Breath:
    """The pacer: how full (0 empty, 1 full), which phase and how long it has left."""

    phase: str
    fullness: float
    left_s: float

    @property
    def seconds_left(self) -> int:
        """Whole seconds left, counted down as people count: 3, 2, 1."""
        return max(1, math.ceil(self.left_s - 1e-9))


@dataclass(frozen=True)
class ScreenState:
    title: str
    section: str | None
    words: str | None
    breath: Breath | None
    side: str | None
    elapsed_samples: int
    total_samples: int
    paused: bool = False


def fullness(phase: str, progress: float) -> float:
    """The pacer's size through a phase: grows on the inhale, full in the hold, shrinks out."""
    progress = min(max(progress, 0.0), 1.0)
    if phase == "inhale":
        return progress
    if phase == "hold":
        return 1.0
    if phase == "exhale":
        return 1.0 - progress
    return 0.0


class ScreenIndex:
    """A timeline indexed for ``state_at``: each lookup is a few binary searches."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self._spoken = timeline.spoken_events()
        self._spoken_starts = [event.start_samples for event in self._spoken]
        self._phases = timeline.breaths
        self._phase_starts = [span.start_samples for span in self._phases]
        self._beats = [
            event
            for event in timeline.events
            if isinstance(event, BeatEvent) and event.phase in SIDES
        ]
        self._beat_starts = [event.start_samples for event in self._beats]
        self._chapter_starts = [chapter.start_samples for chapter in timeline.chapters]

    def state_at(self, position_samples: int, paused: bool = False) -> ScreenState:
        timeline = self.timeline
        position = min(max(position_samples, 0), timeline.duration_samples)
        return ScreenState(
            timeline.title,
            self._section(position),
            self._words(position),
            self._breath(position),
            self._side(position),
            position,
            timeline.duration_samples,
            paused,
        )

    def _section(self, position: int) -> str | None:
        index = bisect.bisect_right(self._chapter_starts, position) - 1
        return self.timeline.chapters[index].title if index >= 0 else None

    def _words(self, position: int) -> str | None:
        index = bisect.bisect_right(self._spoken_starts, position) - 1
        if index >= 0 and position < self._spoken[index].end_samples:
            return self._spoken[index].text
        return None

    def _breath(self, position: int) -> Breath | None:
        index = bisect.bisect_right(self._phase_starts, position) - 1
        if index < 0:
            return None
        span = self._phases[index]
        if position >= span.end_samples:
            return None
        length = span.end_samples - span.start_samples
        progress = (position - span.start_samples) / length
        return Breath(
            span.phase,
            fullness(span.phase, progress),
            samples_to_float_s(span.end_samples - position),
        )

    def _side(self, position: int) -> str | None:
        index = bisect.bisect_right(self._beat_starts, position) - 1
        if index < 0:
            return None
        beat = self._beats[index]
        if index + 1 < len(self._beats) and self._beats[index + 1].step == beat.step:
            until = self._beats[index + 1].start_samples
        elif index > 0 and self._beats[index - 1].step == beat.step:
            until = beat.start_samples + beat.start_samples - self._beats[index - 1].start_samples
        else:
            until = beat.end_samples
        return beat.phase if position < until else None


def state_at(timeline: Timeline, position_samples: int, paused: bool = False) -> ScreenState:
    """What the screen shows at ``position_samples`` (index the timeline once for many)."""
    return ScreenIndex(timeline).state_at(position_samples, paused)


# --- drawing ---------------------------------------------------------------------------------


def pacer_line(breath: Breath, cells: int = PACER_CELLS) -> Text:
    """A bar that grows from its middle, with the phase's name and the seconds left."""
    filled = round(breath.fullness * cells)
    if filled % 2 != cells % 2:
        filled = min(filled + 1, cells) if breath.fullness >= 0.5 else max(filled - 1, 0)
    margin = (cells - filled) // 2
    style = PHASE_STYLES.get(breath.phase, "")
    line = Text("│", style="dim")
    line.append("·" * margin, style="dim")
    line.append("█" * filled, style=style)
    line.append("·" * (cells - filled - margin), style="dim")
    line.append("│  ", style="dim")
    line.append(f"{breath.phase:<7}", style=style)
    line.append(f"{breath.seconds_left:>3} s")
    return line


def side_line(side: str, cells: int = PACER_CELLS) -> Text:
    half = (cells - 1) // 2
    line = Text("│", style="dim")
    if side == "left":
        line.append("◀ LEFT".ljust(half), style="bold magenta")
        line.append(" " * (cells - half))
    else:
        line.append(" " * (cells - half))
        line.append("RIGHT ▶".rjust(half), style="bold magenta")
    line.append("│  ", style="dim")
    line.append(side)
    return line


def elapsed_line(elapsed_samples: int, total_samples: int, cells: int = PACER_CELLS) -> Text:
    """Elapsed time, a bar of the way through, and the total."""
    done = round(cells * elapsed_samples / max(total_samples, 1))
    line = Text(f"{mm_ss(elapsed_samples)} ")
    line.append("━" * done, style="cyan")
    line.append("─" * (cells - done), style="dim")
    line.append(f" {mm_ss(total_samples)}")
    return line


def draw(state: ScreenState) -> RenderableType:
    """The whole screen for one state."""
    header = Text(state.title, style="bold")
    section = Text(state.section or "", style="cyan")
    words = Text(state.words or "", style="bold")
    if state.breath is not None:
        pacer: Text = pacer_line(state.breath)
    elif state.side is not None:
        pacer = side_line(state.side)
    else:
        pacer = Text("")
    progress = elapsed_line(state.elapsed_samples, state.total_samples)
    footer = Text("PAUSED  ", style="bold reverse") if state.paused else Text("")
    footer.append(KEY_HELP, style="dim")
    return Group(header, section, Text(""), words, Text(""), pacer, Text(""), progress, footer)


class LiveScreen:
    """The state drawn in place on a terminal, refreshed on every update."""

    def __init__(self, timeline: Timeline, console: Console | None = None) -> None:
        self._index = ScreenIndex(timeline)
        self._console = console or Console()
        self._shown: object = None
        self._live = Live(
            draw(self._index.state_at(0)),
            console=self._console,
            auto_refresh=False,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def __enter__(self) -> LiveScreen:
        self._live.start(refresh=True)
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def update(self, position_samples: int, paused: bool) -> None:
        """Redraw, unless nothing visible changed (a paused screen is not rewritten)."""
        state = self._index.state_at(position_samples, paused)
        shown = (
            state.section,
            state.words,
            state.side,
            state.paused,
            math.floor(samples_to_seconds(state.elapsed_samples)),
            None
            if state.breath is None
            else (
                state.breath.phase,
                state.breath.seconds_left,
                round(state.breath.fullness * PACER_CELLS),
            ),
        )
        if shown != self._shown:
            self._shown = shown
            self._live.update(draw(state), refresh=True)

    def close(self) -> None:
        self._live.stop()


class PlainLog:
    """One line per section and per spoken item, with its time, as each is reached."""

    def __init__(self, timeline: Timeline, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        items = [
            event for event in timeline.events if isinstance(event, SectionEvent | SpokenEvent)
        ]
        self._items = sorted(items, key=lambda event: event.start_samples)
        self._starts = [event.start_samples for event in self._items]
        self._next = 0
        self._position = -1

    def __enter__(self) -> PlainLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def update(self, position_samples: int, paused: bool) -> None:
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
    text = event.text if isinstance(event, SpokenEvent) else ""
    return f"{when}  {event.kind:<7}  {text}"


def open_view(timeline: Timeline) -> LiveScreen | PlainLog:
    """The live screen when stdout is a terminal, else the plain log."""
    if sys.stdout.isatty():
        return LiveScreen(timeline)
    return PlainLog(timeline)


__all__ = [
    "Breath",
    "LiveScreen",
    "PlainLog",
    "ScreenIndex",
    "ScreenState",
    "draw",
    "fullness",
    "open_view",
    "plain_line",
    "state_at",
]
