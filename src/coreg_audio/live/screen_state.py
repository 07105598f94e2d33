"""What the screen says at a moment: a pure function of a timeline and the sample heard.

``ScreenIndex`` indexes a timeline once, so the screen asks it many times a
second; what it answers is plain data, tested without a terminal.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from ..timeline.events import MovePhase, SpeechEvent, Timeline
from ..units import samples_to_float_s, seconds_to_samples
from .tapping import TapShown

LINGER_S = 2
"""Words stay on screen this long after they are spoken, to be read to the end."""


@dataclass(frozen=True)
class Breath:
    """The pacer: how full (0 empty, 1 full), which phase, how long it has left, its word."""

    phase: str
    fullness: float
    left_s: float
    word: str | None = None

    @property
    def seconds_left(self) -> int:
        """Whole seconds left, counted down as people count: 3, 2, 1."""
        return max(1, math.ceil(self.left_s - 1e-9))


@dataclass(frozen=True)
class Move:
    """A half sway (rock) or a step (walk): its side, how far through it is, its word."""

    phase: str
    progress: float
    word: str | None
    facing: bool
    accent: bool | None
    cycle: int

    @property
    def walking(self) -> bool:
        return self.accent is not None


@dataclass(frozen=True)
class ScreenState:
    title: str
    section: str | None
    words: str | None
    breath: Breath | None
    move: Move | None
    elapsed_samples: int
    total_samples: int
    paused: bool = False
    tap: TapShown | None = None

    @property
    def side(self) -> str | None:
        return self.move.phase if self.move is not None else None


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
        self._said = [event for event in timeline.events if isinstance(event, SpeechEvent)]
        self._said_starts = [event.start_samples for event in self._said]
        self._phases = timeline.breaths
        self._phase_starts = [span.start_samples for span in self._phases]
        self._moves = timeline.moves
        self._move_starts = [span.start_samples for span in self._moves]
        self._chapter_starts = [chapter.start_samples for chapter in timeline.chapters]

    def state_at(
        self, position_samples: int, paused: bool = False, tap: TapShown | None = None
    ) -> ScreenState:
        timeline = self.timeline
        position = min(max(position_samples, 0), timeline.duration_samples)
        return ScreenState(
            timeline.title,
            self._section(position),
            self._words(position),
            self._breath(position),
            self._move(position),
            position,
            timeline.duration_samples,
            paused,
            tap,
        )

    def _section(self, position: int) -> str | None:
        index = bisect.bisect_right(self._chapter_starts, position) - 1
        return self.timeline.chapters[index].title if index >= 0 else None

    def _words(self, position: int) -> str | None:
        """The words said last (not cues or counts: the phase word shows those), kept
        ``LINGER_S`` after they end unless others begin."""
        index = bisect.bisect_right(self._said_starts, position) - 1
        if index < 0:
            return None
        said = self._said[index]
        if position < said.end_samples + seconds_to_samples(LINGER_S):
            return said.text
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
            span.word,
        )

    def _move(self, position: int) -> Move | None:
        index = bisect.bisect_right(self._move_starts, position) - 1
        if index < 0:
            return None
        span: MovePhase = self._moves[index]
        if position >= span.end_samples:
            return None
        length = span.end_samples - span.start_samples
        return Move(
            span.phase,
            (position - span.start_samples) / length,
            span.word,
            span.facing,
            span.accent,
            span.cycle,
        )


def state_at(timeline: Timeline, position_samples: int, paused: bool = False) -> ScreenState:
    """What the screen shows at ``position_samples`` (index the timeline once for many)."""
    return ScreenIndex(timeline).state_at(position_samples, paused)
