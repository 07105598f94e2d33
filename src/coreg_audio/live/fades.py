"""The fades of live playback: pausing, jumping and quitting never click."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..audio.sounds import ease
from ..units import ms_to_samples

PAUSE_FADE_MS = 250.0
JUMP_FADE_MS = 120.0
END_FADE_MS = 600.0
"""Fades long enough to never click, short enough to feel immediate."""

FadeEnd = Literal["pause", "seek", "end"]


class Ramp:
    """The transport's gain: a whole number of steps between silence and full level.

    Counting in samples, a fade of N samples takes exactly N, ending on exact
    silence or exact full level (from there the samples pass untouched).
    """

    def __init__(self) -> None:
        self.steps = 1
        self.position = 1
        self.rising = True

    @property
    def silent(self) -> bool:
        return self.position == 0

    def towards(self, rising: bool, fade_ms: float) -> None:
        """Head for full level (or silence) over ``fade_ms``, from the level now."""
        steps = max(ms_to_samples(fade_ms), 1)
        self.position = round(self.position * steps / self.steps)
        self.steps = steps
        self.rising = rising

    def silence(self) -> None:
        self.position = 0
        self.rising = False

    def advance(self, count: int) -> tuple[int, np.ndarray | None]:
        """How many of ``count`` samples to play at the gains returned (None: all full).

        Fewer than ``count`` when the ramp ends inside them; the caller goes on
        from there.
        """
        if self.rising:
            if self.position == self.steps:
                return count, None
            moved = min(count, self.steps - self.position)
            positions = self.position + np.arange(1, moved + 1)
            self.position += moved
        else:
            moved = min(count, self.position)
            positions = self.position - np.arange(1, moved + 1)
            self.position -= moved
        return moved, ease(positions / self.steps).astype(np.float32)
