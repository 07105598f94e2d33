"""What a step kind places its events with: the compiler's side of a step's ``place``.

Each step kind (``format.steps``, ``format.breathe``, ``format.movement``) decides where its events
go; the compiler (``compile``) keeps the clock, speaks and fits the words and
collects the problems. This protocol is the whole of what they share.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, Protocol

from ..format.model import Loc, Pattern, Script, Step, Text, Voice, VoiceRef
from .events import BreathPhase, Event, MovePhase


@dataclass(frozen=True)
class Pending:
    """Words of a step (a cue, a count, or an item of its ``say`` list), waiting for the
    step's next spoken words to know how long they may last."""

    kind: Literal["cue", "count", "say"]
    text: str
    start_s: Fraction
    until_s: Fraction
    """The latest they may end when nothing spoken follows: the phase's end for a cue or
    count, the step's end for an item."""
    phase: str
    cycle: int
    source: Text | None
    """The words as written (for messages); ``None`` for a count."""
    voice: Voice | VoiceRef | None = None
    """An item's voice; cues and counts speak in the script's."""
    label: str = ""
    """How messages name an item and its place: "'say' item 1 of step 2 (walk), step 5"."""


@dataclass(frozen=True)
class TapResult:
    """How one ``tap`` step went in a live play: the track sample it ended at, the pace it met.

    ``met`` is ``None`` where nobody tapped: the script's met pace then holds.
    """

    end_samples: int
    met: Pattern | None


class Placer(Protocol):
    """The timeline being built: a clock, and where events, phases and words go."""

    now_s: Fraction
    """Where the next step starts, in exact seconds."""
    met: Pattern
    """The pace met at the most recent ``tap`` step (before any: the script's met pace)."""

    @property
    def script(self) -> Script: ...

    def add(self, event: Event) -> None:
        """Put an event on the timeline."""

    def breath(self, phase: BreathPhase) -> None:
        """Record a breath phase, for the pacer and the plot."""

    def move(self, phase: MovePhase) -> None:
        """Record a half sway or a step, for the screen."""

    @property
    def live(self) -> bool:
        """A live play's timeline: a tap step nobody has tapped yet waits as if nobody will."""
        ...

    def next_tap(self) -> tuple[int, TapResult | None]:
        """The next ``tap`` step's number (0 first, as they play) and how it went, if known."""

    def speak(self, path: str, text: Text, voice: Voice | VoiceRef | None) -> int | None:
        """Speak ``text`` (placeholders filled) at ``now_s``: its length, or None if unspeakable."""

    def cues(self, path: str, kind: str, loc: Loc, pending: list[Pending]) -> None:
        """Speak each cue, count and item so that it ends before the next one begins.

        With nothing spoken after it in its step, a cue or count ends before its phase
        does, an item before the step does.
        """

    def play(self, steps: tuple[Step, ...]) -> None:
        """Place ``steps`` one after another from ``now_s``."""
