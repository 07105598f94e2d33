"""The step kind ``tap``: where a partner's pace is taken, and the pace taps meet.

On the timeline (``show``, ``render``, a play without a terminal) the step
lasts ``breaths`` cycles of ``meet`` and meets the run's ``--met`` (else
``meet``). In a live play the taps decide both (``met_pace``; the live
session records them as a ``TapResult``), and the practice is timed again
from the last tap. The class holds the kind's whole definition, as in ``steps``.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar, Literal

from ..timeline.events import TapEvent
from ..units import samples_to_seconds, seconds_to_samples
from .keys import Key, Kind, StepInput
from .model import Loc, Pattern, Script, Step, Text
from .patterns import clamped_pattern
from .placeholders import fill
from .values import Choice, Words, whole

if TYPE_CHECKING:
    from ..timeline.placer import Placer

TapPhases = Literal["inhale", "both"]
TAP_PHASES: tuple[TapPhases, ...] = ("inhale", "both")
TIMEOUT_CYCLES = 2
"""Without a tap for this many cycles of ``meet``, the step ends and the pace met is ``meet``."""

BREATHS: Key[int] = Key(
    "breaths",
    whole(2, 12),
    "how many whole breaths to take the pace from",
    default=4,
    called="the breaths of {step}",
)
PHASES_TAPPED: Key[TapPhases] = Key(
    "phases",
    Choice(TAP_PHASES),
    "tap the start of each in-breath, or of each in- and out-breath",
    default="inhale",
)
WHOSE: Key[Text] = Key(
    "whose",
    Words(),
    "whose breath is tapped, shown large while tapping, e.g. '{b}'",
    called="'whose' in {step}",
)


@dataclass(frozen=True)
class Tap(Step):
    """A partner's pace, taken from ``breaths`` breaths tapped on the space bar."""

    breaths: int
    phases: TapPhases
    whose: Text | None

    KIND: ClassVar[Kind] = Kind(
        "tap",
        "take a partner's breathing pace from taps on the space bar ('pattern: met' uses it)",
        (BREATHS, PHASES_TAPPED, WHOSE),
        shorthand=BREATHS,
    )

    @classmethod
    def read(cls, given: StepInput) -> Tap | None:
        node = given.main_node()
        breaths = BREATHS.fallback
        if node is not None:
            value = given.read(BREATHS, node)
            if value is None:
                return None
            breaths = value
        return cls(
            given.path,
            given.loc,
            breaths,
            given.value(PHASES_TAPPED),
            given.get(WHOSE),
        )

    def least_s(self, script: Script) -> Fraction:
        return self.breaths * script.meet_pattern.cycle_s

    def texts(self) -> Iterator[tuple[Text, str]]:
        if self.whose is not None:
            yield self.whose, f"'whose' of step {self.path}"

    def place(self, placer: Placer) -> None:
        script = placer.script
        occurrence, result = placer.next_tap()
        meet = script.meet_pattern
        start_s = placer.now_s
        waits = TIMEOUT_CYCLES if placer.live else self.breaths
        end_s = start_s + waits * meet.cycle_s
        if result is not None:
            end_s = max(start_s, samples_to_seconds(result.end_samples))
        met = result.met if result is not None and result.met is not None else script.met_pattern
        placer.add(
            TapEvent(
                seconds_to_samples(start_s),
                seconds_to_samples(end_s),
                self.path,
                breaths=self.breaths,
                phases=self.phases,
                whose=fill(self.whose.source, script.params) if self.whose is not None else None,
                met=met,
                meet=meet,
                occurrence=occurrence,
            )
        )
        placer.met = met
        placer.now_s = end_s


def taps_needed(breaths: int, phases: str) -> int:
    """Taps that span ``breaths`` whole breaths: each in-breath's start, and the next one's
    (with ``both``, each out-breath's start too)."""
    return 2 * breaths + 1 if phases == "both" else breaths + 1


def met_pace(taps_s: Sequence[Fraction], meet: Pattern, phases: str, loc: Loc) -> Pattern:
    """The pace of tapped breaths: their median cycle, split as ``meet`` is (with ``both``,
    at the median measured split of in- and out-breath); each phase within its range.

    ``taps_s`` are the tap times, in order: in-breath starts (with ``both``,
    in- and out-breath starts taking turns, an in-breath first and last).
    """
    step = 2 if phases == "both" else 1
    starts = list(taps_s[::step])
    cycles = [later - earlier for earlier, later in itertools.pairwise(starts)]
    if not cycles:
        raise ValueError("a pace needs at least two in-breath taps")
    cycle_s = Fraction(statistics.median(cycles))
    breathing_in = meet.inhale_s + meet.hold_s
    share = breathing_in / meet.cycle_s
    if phases == "both":
        shares = [
            (taps_s[index + 1] - taps_s[index]) / cycle
            for index, cycle in zip(range(0, len(taps_s) - 1, 2), cycles, strict=False)
        ]
        share = Fraction(statistics.median(shares))
    in_s, out_s = cycle_s * share, cycle_s * (1 - share)
    breathing_out = meet.exhale_s + meet.rest_s
    hold_share = meet.hold_s / breathing_in
    rest_share = meet.rest_s / breathing_out
    return clamped_pattern(
        [in_s * (1 - hold_share), in_s * hold_share, out_s * (1 - rest_share), out_s * rest_share],
        loc,
    )
