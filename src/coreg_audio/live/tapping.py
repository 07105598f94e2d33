"""Taking a partner's pace while a practice plays: the taps of each tap step, and their result.

A live play's timeline first assumes that nobody taps: a tap step ends two
cycles of ``meet`` after it starts. Each tap moves that end to two cycles
after the tap; once one tap is missing, the end is where the last tap is
expected (the taps' pace, continued), so the breathing that follows can
already be playing there; the last tap then puts it exactly where it came.
Every change is a new ``TapResult`` under the step's number, and the session
times the practice again with ``results``. All positions are track samples,
as the player hears them.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field
from fractions import Fraction

from ..format.model import Pattern
from ..format.tap import TIMEOUT_CYCLES, met_pace, taps_needed
from ..timeline.events import TapEvent, Timeline
from ..timeline.placer import TapResult
from ..units import samples_to_seconds, seconds_to_samples

SHOW_MET_S = 8
"""How long the screen says the pace it met, after the last tap."""


@dataclass(frozen=True)
class TapShown:
    """What the screen shows of a tap step: whose breath, the taps still wanted, which one
    comes next (an in- or out-breath); once done, the pace met and whether anyone tapped."""

    whose: str | None
    taps_left: int
    next_breath: str
    met: Pattern | None = None
    """Set once the step is done."""
    tapped: bool = False


@dataclass
class _Taking:
    event: TapEvent
    taps: list[int] = field(default_factory=list)

    @property
    def needed(self) -> int:
        return taps_needed(self.event.breaths, self.event.phases)

    @property
    def wait_samples(self) -> int:
        return seconds_to_samples(TIMEOUT_CYCLES * self.event.meet.cycle_s)

    @property
    def deadline(self) -> int:
        return (self.taps[-1] if self.taps else self.event.start_samples) + self.wait_samples

    def pace(self, taps: list[int]) -> Pattern:
        times = [samples_to_seconds(tap) for tap in taps]
        return met_pace(times, self.event.meet, self.event.phases, self.event.meet.loc)

    def in_breaths(self) -> list[int]:
        return self.taps[:: 2 if self.event.phases == "both" else 1]

    def result(self) -> TapResult:
        """Where the step ends as far as is known now, and the pace it meets there."""
        if len(self.taps) == self.needed:
            return TapResult(self.taps[-1], self.pace(self.taps))
        starts = self.in_breaths()
        if len(self.taps) == self.needed - 1 and len(starts) >= 2:
            cycle = round(statistics.median(b - a for a, b in itertools.pairwise(starts)))
            expected = starts[-1] + cycle
            if self.taps[-1] < expected < self.deadline:
                return TapResult(expected, self.pace([*self.taps, expected]))
        return TapResult(self.deadline, None)


class Tapping:
    """The tap steps of one live play: which is being taken, its taps, and every result."""

    def __init__(self) -> None:
        self.results: dict[int, TapResult] = {}
        self.version = 0
        """Goes up whenever ``results`` changes: the practice is to be timed again."""
        self._taking: _Taking | None = None
        self._done: dict[int, tuple[int, TapShown]] = {}

    def follow(self, timeline: Timeline, position: int) -> None:
        """Start taking a tap step the play has reached; end one whose wait ran out."""
        if self._taking is None:
            for event in timeline.tap_events():
                if (
                    event.occurrence not in self._done
                    and event.start_samples <= position < event.end_samples
                ):
                    self._taking = _Taking(event)
                    break
            return
        taking = self._taking
        if position < taking.event.start_samples:
            self._taking = None
            if self.results.pop(taking.event.occurrence, None) is not None:
                self.version += 1
        elif position >= taking.deadline:
            self._finish(TapResult(taking.deadline, None), position)

    @property
    def taking(self) -> bool:
        return self._taking is not None

    def tap(self, position: int) -> bool:
        """A tap heard at ``position``; False when no tap step is being taken."""
        taking = self._taking
        if taking is None or position < taking.event.start_samples:
            return False
        if taking.taps and position <= taking.taps[-1]:
            return True
        taking.taps.append(position)
        result = taking.result()
        if len(taking.taps) == taking.needed:
            self._finish(result, position)
        else:
            self._record(taking.event.occurrence, result)
        return True

    def shown(self, position: int) -> TapShown | None:
        """What the screen shows at ``position``: the step being taken, or the pace just met."""
        taking = self._taking
        if taking is not None:
            both = taking.event.phases == "both"
            return TapShown(
                taking.event.whose,
                taking.needed - len(taking.taps),
                "out" if both and len(taking.taps) % 2 else "in",
            )
        for ended, shown in self._done.values():
            if ended <= position < ended + seconds_to_samples(Fraction(SHOW_MET_S)):
                return shown
        return None

    def _finish(self, result: TapResult, position: int) -> None:
        taking = self._taking
        assert taking is not None
        self._taking = None
        self._record(taking.event.occurrence, result)
        self._done[taking.event.occurrence] = (
            min(position, result.end_samples),
            TapShown(
                taking.event.whose,
                0,
                "in",
                met=result.met or taking.event.met,
                tapped=result.met is not None,
            ),
        )

    def _record(self, occurrence: int, result: TapResult) -> None:
        if self.results.get(occurrence) != result:
            self.results[occurrence] = result
            self.version += 1


__all__ = ["TapShown", "Tapping"]
