"""What a step kind places its events with: the compiler's side of a step's ``place``.

Each step kind (``format.steps``, ``format.breathe``, ``format.movement``) decides where its events
go; the compiler (``compile``) keeps the clock, speaks and fits the words and
collects the problems. This protocol is the whole of what they share.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, Protocol

from ..format.model import Loc, Script, Step, Text, Voice, VoiceRef
from .events import BreathPhase, Event


@dataclass(frozen=True)
class Pending:
    """A cue or count of a step, waiting for the next spoken item to know how long it may last."""

    kind: Literal["cue", "count"]
    text: str
    start_s: Fraction
    phase_end_s: Fraction
    phase: str
    cycle: int
    source: Text | None
    """The cue as written (for messages); ``None`` for a count."""


class Placer(Protocol):
    """The timeline being built: a clock, and where events, phases and words go."""

    now_s: Fraction
    """Where the next step starts, in exact seconds."""

    @property
    def script(self) -> Script: ...

    def add(self, event: Event) -> None:
        """Put an event on the timeline."""

    def breath(self, phase: BreathPhase) -> None:
        """Record a breath phase, for the pacer and the plot."""

    def speak(self, path: str, text: Text, voice: Voice | VoiceRef | None) -> int | None:
        """Speak ``text`` (placeholders filled) at ``now_s``: its length, or None if unspeakable."""

    def cues(self, path: str, kind: str, loc: Loc, pending: list[Pending]) -> None:
        """Speak each cue and count so that it ends before the next one (or its phase) begins."""

    def play(self, steps: tuple[Step, ...]) -> None:
        """Place ``steps`` one after another from ``now_s``."""
