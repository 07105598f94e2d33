"""The step kind ``breathe``: a pattern of phases, cycle after cycle, with tones and cues.

Once a pair starts breathing the beat never stops under them: the phases and
their tones are placed at exact times first, and only then are the cues and
counts fitted into the gaps between them (``Placer.cues``). The class holds
the kind's whole definition, as in ``steps``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar, cast

from ..timeline.events import BreathPhase, ToneEvent
from ..timeline.placer import Pending
from ..units import round_half_up, seconds_to_samples
from . import over
from .keys import Key, Kind, NotBoth, OneOf, StepInput
from .model import (
    PHASES,
    TONE_STYLES,
    Loc,
    MetPace,
    Patch,
    Pattern,
    PhaseName,
    Script,
    Spoken,
    Step,
    Text,
    ToneStyle,
    Voice,
    VoiceRef,
)
from .over import OverItem, OverItems
from .patterns import PaceValue, PatternValue
from .placeholders import fill
from .values import Choice, CueWords, Flag, number, whole

if TYPE_CHECKING:
    from ..timeline.placer import Placer

CHIME_S = Fraction(2)
"""The longest a breath chime rings."""
MET_COUNTS_UP_TO = 12
"""A counting step at the pace met says numbers up to here ready-made: a tapped pace may be slow."""
CYCLES: Key[int] = Key("cycles", whole(1, 1000), "number of cycles")
MINUTES: Key[Fraction] = Key(
    "minutes", number(0, 240, low_open=True), "instead of a count: about this many minutes"
)


def phase_lengths_s(
    first: Pattern, last: Pattern, cycle: int, cycles: int
) -> dict[PhaseName, Fraction]:
    """Each phase of 0-based ``cycle``: moving linearly from ``first`` to ``last``."""
    if cycles == 1:
        return {phase: first.phase_s(phase) for phase in PHASES}
    return {
        phase: first.phase_s(phase)
        + (last.phase_s(phase) - first.phase_s(phase)) * cycle / (cycles - 1)
        for phase in PHASES
    }


@dataclass(frozen=True)
class BreathCues:
    """The word at the start of each phase; ``None`` is silent."""

    inhale: Text | None
    hold: Text | None
    exhale: Text | None
    rest: Text | None

    def of(self, phase: PhaseName) -> Text | None:
        return {"inhale": self.inhale, "hold": self.hold, "exhale": self.exhale, "rest": self.rest}[
            phase
        ]


BREATH_WORDS = CueWords(PHASES, needed=("inhale", "exhale"))
BREATH_CUES: Key[dict[str, Text | None]] = Key(
    "cues",
    BREATH_WORDS,
    "the word at the start of each phase; '' or null is silent",
    called="{step}",
)
PATTERN: Key[Pattern | MetPace] = Key(
    "pattern", PaceValue(), "the first cycle's pattern, or 'met': the pace met at a tap step"
)
TO: Key[Pattern] = Key("to", PatternValue(), "the last cycle's pattern")
COUNT: Key[bool] = Key("count", Flag(), "also speak 2, 3, ... on each whole second", default=False)
BREATHE_GUIDE: Key[int] = Key(
    "guide", whole(0, 1000), "speak cues only in the first N cycles (0: none)"
)
TONE: Key[ToneStyle] = Key("tone", Choice(TONE_STYLES), "this step's tone style")
BREATHE_SAY: Key[tuple[OverItem, ...]] = Key(
    "say",
    OverItems(PHASES, "exhale", 1000, "cycle"),
    "words spoken over the breathing, each from the start of a phase of a cycle",
    called="{step}",
)


@dataclass(frozen=True)
class Breathe(Step):
    """Exactly one of ``cycles`` and ``minutes`` is set.

    ``minutes`` stays unresolved because the pattern it divides may still be
    replaced by an override (``--pace``).
    """

    cycles: int | None
    minutes: Fraction | None
    pattern: Pattern | MetPace | None
    to: Pattern | None
    cues: BreathCues
    count: bool
    guide: int | None
    tone: ToneStyle | None
    say: tuple[OverItem, ...]

    KIND: ClassVar[Kind] = Kind(
        "breathe",
        "breathe in a pattern for some cycles; 'to' slows or speeds it cycle by cycle",
        (CYCLES, MINUTES, PATTERN, TO, BREATH_CUES, COUNT, BREATHE_GUIDE, TONE, BREATHE_SAY),
        takes="takes keys, e.g. 'breathe: {cycles: 6}'",
        rules=(OneOf("cycles", "minutes"), NotBoth("to", "minutes")),
    )

    @classmethod
    def read(cls, given: StepInput) -> Breathe | None:
        cycles, minutes = given.get(CYCLES), given.get(MINUTES)
        if not given.exactly_one(CYCLES, MINUTES):
            cycles = minutes = None
        pattern = given.get(PATTERN)
        to = given.get(TO)
        if given.given(TO.name) and given.given(MINUTES.name):
            given.problem(
                given.key_node(TO.name),
                f"{given.what} cannot use 'to' with 'minutes'; give "
                "'cycles' so the change has a known number of steps",
            )
            return None
        cue_node = given.node(BREATH_CUES.name)
        words = given.read(BREATH_CUES, cue_node) if cue_node is not None else {}
        count = given.value(COUNT)
        guide = given.get(BREATHE_GUIDE)
        tone = given.get(TONE)
        say_node = given.node(BREATHE_SAY.name)
        say = given.read(BREATHE_SAY, say_node) if say_node is not None else ()
        if (cycles is None and minutes is None) or words is None or say is None:
            return None
        cues = BreathCues(**BREATH_WORDS.of_step(words, given, speaks=guide != 0))
        return cls(
            given.path, given.loc, cycles, minutes, pattern, to, cues, count, guide, tone, say
        )

    def first_pattern(self, default: Pattern, met: Pattern) -> Pattern:
        """The first cycle's pattern: its own, ``met`` for ``pattern: met``, else ``default``."""
        if isinstance(self.pattern, MetPace):
            return met
        return self.pattern if self.pattern is not None else default

    def cycle_count(self, default: Pattern, met: Pattern) -> int:
        if self.cycles is not None:
            return self.cycles
        assert self.minutes is not None
        return max(1, round_half_up(self.minutes * 60 / self.first_pattern(default, met).cycle_s))

    def duration_s(self, script: Script) -> Fraction:
        """Exact: with a linear ramp the cycles average the first and last pattern.

        A step at ``pattern: met`` is timed with the pace met where nobody taps.
        """
        first = self.first_pattern(script.pattern, script.met_pattern)
        cycles = self.cycle_count(script.pattern, script.met_pattern)
        if self.to is None or cycles == 1:
            return cycles * first.cycle_s
        return cycles * (first.cycle_s + self.to.cycle_s) / 2

    def least_s(self, script: Script) -> Fraction:
        return self.duration_s(script)

    def texts(self) -> Iterator[tuple[Text, str]]:
        for phase in PHASES:
            cue = self.cues.of(phase)
            if cue is not None and cue.loc.in_file:
                yield cue, f"the {phase} cue of step {self.path}"
        yield from over.texts(self.say, self.path)

    def voices(self) -> Iterator[Voice | VoiceRef]:
        return over.voices(self.say)

    def utterances(self, script: Script) -> Iterator[Spoken]:
        yield from ((item.text.source, item.voice) for item in self.say)
        if self.guide == 0:
            return
        first = self.first_pattern(script.pattern, script.met_pattern)
        last = self.to or first
        for phase in PHASES:
            cue = self.cues.of(phase)
            if cue is None:
                continue
            yield cue.source, None
            if self.count:
                longest = max(first.phase_s(phase), last.phase_s(phase))
                if isinstance(self.pattern, MetPace):
                    longest = max(longest, Fraction(MET_COUNTS_UP_TO))
                yield from ((str(k), None) for k in range(2, math.floor(longest) + 1))

    def place(self, placer: Placer) -> None:
        script = placer.script
        first = self.first_pattern(script.pattern, placer.met)
        last = self.to or first
        cycles = self.cycle_count(script.pattern, placer.met)
        guide = cycles if self.guide is None else self.guide
        style = self.tone or script.tones.style
        shown = self.shown_words(script)
        pending: list[Pending] = []
        starts: dict[tuple[int, str], Fraction] = {}
        for cycle in range(cycles):
            lengths = phase_lengths_s(first, last, cycle, cycles)
            for phase in PHASES:
                length_s = lengths[phase]
                if length_s == 0:
                    continue
                starts[(cycle + 1, phase)] = placer.now_s
                start, end_s = seconds_to_samples(placer.now_s), placer.now_s + length_s
                placer.breath(
                    BreathPhase(
                        phase,
                        start,
                        seconds_to_samples(end_s),
                        self.path,
                        cycle + 1,
                        word=shown[phase],
                    )
                )
                if style != "none" and phase != "rest":
                    tone_s = length_s if style == "glide" else min(length_s, CHIME_S)
                    placer.add(
                        ToneEvent(
                            start,
                            seconds_to_samples(placer.now_s + tone_s),
                            self.path,
                            phase=phase,
                            cycle=cycle + 1,
                            style=style,
                            level_db=script.tones.level_db,
                            pitch_hz=script.tones.pitch_hz,
                        )
                    )
                cue = self.cues.of(phase)
                if cycle < guide and cue is not None:
                    words = fill(cue.source, script.params)
                    pending.append(
                        Pending("cue", words, placer.now_s, end_s, phase, cycle + 1, cue)
                    )
                    if self.count:
                        pending.extend(
                            Pending(
                                "count", str(k), placer.now_s + k - 1, end_s, phase, cycle + 1, None
                            )
                            for k in range(2, math.floor(length_s) + 1)
                        )
                placer.now_s = end_s
        pending += over.pending(self.say, self.what, starts, placer.now_s, script.params)
        placer.cues(self.path, self.KIND.name, self.loc, pending)

    def shown_words(self, script: Script) -> dict[PhaseName, str | None]:
        """What a screen calls each phase: the step's cue word (spoken or not), else the
        format's default word for the phase, placeholders filled."""
        defaults = BREATH_WORDS.with_defaults({}, script.language)
        shown: dict[PhaseName, str | None] = {}
        for phase in PHASES:
            word = self.cues.of(phase) or defaults[phase]
            shown[phase] = fill(word.source, script.params) if word is not None else None
        return shown

    def check(self, script: Script, problem: Callable[[Loc, str], None]) -> None:
        first = self.first_pattern(script.pattern, script.met_pattern)
        last = self.to or first
        cycles = self.cycle_count(script.pattern, script.met_pattern)
        guide = cycles if self.guide is None else self.guide

        def length_s(cycle: int, phase: str) -> Fraction:
            return phase_lengths_s(first, last, cycle - 1, cycles)[cast(PhaseName, phase)]

        def cue(cycle: int, phase: str) -> Text | None:
            return self.cues.of(cast(PhaseName, phase)) if cycle <= guide else None

        over.check(self.say, self.what, cycles, "cycles", problem, length_s, cue)

    def patched(self, patch: Patch) -> Step:
        step = replace(self, say=over.patched(self.say, patch))
        if patch.pattern is not None and not isinstance(self.pattern, MetPace):
            step = replace(step, pattern=patch.pattern)
        if patch.tone is not None:
            step = replace(step, tone=patch.tone)
        return step

    def breath_pattern(self, default: Pattern) -> Pattern | None:
        return self.first_pattern(default, default)
