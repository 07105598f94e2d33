"""The step kinds with a rhythm under them: breathe, rock and walk.

Once a pair starts breathing, rocking or walking, the beat never stops under
them: each of these kinds places its tones or beats at exact times and only
then fits its spoken cues into the gaps (``Placer.cues``). Each class holds
its whole definition, as in ``steps``; ``RHYTHM`` lists them for ``steps``'
list of every kind.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar

import yaml

from ..timeline.events import BeatEvent, BreathPhase, ToneEvent
from ..timeline.placer import Pending
from ..units import round_half_up, seconds_to_samples
from .definition import PatternValue
from .keys import (
    Choice,
    Flag,
    Key,
    Kind,
    NotBoth,
    OneOf,
    Schema,
    StepInput,
    Value,
    Words,
    number,
    real,
    seconds,
    whole,
)
from .model import (
    BUILT_IN,
    PHASES,
    TONE_STYLES,
    Patch,
    Pattern,
    PhaseName,
    Script,
    Spoken,
    Step,
    Text,
    ToneStyle,
)
from .nodes import NodeReader
from .placeholders import fill

if TYPE_CHECKING:
    from ..timeline.placer import Placer

BEAT_S = Fraction(3, 10)
"""How long a movement beat sounds."""
CHIME_S = Fraction(2)
"""The longest a breath chime rings."""
SIDES = ("left", "right")


@dataclass(frozen=True)
class CueWords(Value[dict[str, Text | None]]):
    """The word said at the start of each phase or side; ``""`` or ``null`` is silent.

    Read with ``what`` naming the step, as its messages say "'cues' in step 2
    (breathe)" and "the inhale cue of step 2 (breathe)".
    """

    parts: tuple[str, ...]
    words: Mapping[str, str]
    """The default word of each part that has one."""

    def read(
        self, reader: NodeReader, node: yaml.Node, what: str, depth: int
    ) -> dict[str, Text | None] | None:
        cues = reader.mapping(node, f"'cues' in {what}", self.parts, depth)
        if cues is None:
            return None
        return {
            part: reader.text(cue.value, f"the {part} cue of {what}", depth + 1, allow_empty=True)
            for part, cue in cues.items()
        }

    def schema(self, doc: str, default: object = None) -> Schema:
        said = Words(silent_allowed=True)
        return {
            "type": "object",
            "description": doc,
            "additionalProperties": False,
            "properties": {
                part: said.schema(
                    f"said at the start of each {part}"
                    + (f" (default: {self.words[part]})" if part in self.words else "")
                )
                for part in self.parts
            },
        }

    def with_defaults(self, given: Mapping[str, Text | None]) -> dict[str, Text | None]:
        """The given words over the default ones."""
        defaults = {part: Text(word, BUILT_IN) for part, word in self.words.items()}
        return {part: given.get(part, defaults.get(part)) for part in self.parts}


CYCLES: Key[int] = Key("cycles", whole(1, 1000), "number of cycles")
MINUTES: Key[Fraction] = Key(
    "minutes", number(0, 240, low_open=True), "instead of a count: about this many minutes"
)


def count_or_minutes(given: StepInput, count: Key[int]) -> tuple[int | None, Fraction | None]:
    """The step's count, or its minutes: exactly one must be given."""
    counted = given.get(count)
    minutes = given.get(MINUTES)
    if given.given(count.name) and given.given(MINUTES.name):
        given.problem(
            given.key_node(MINUTES.name),
            f"{given.what} gives both '{count.name}' and '{MINUTES.name}'; keep one",
        )
        return None, None
    if not given.given(count.name) and not given.given(MINUTES.name):
        given.problem(given.loc, f"{given.what} needs '{count.name}' (or '{MINUTES.name}')")
    return counted, minutes


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


BREATH_CUES: Key[dict[str, Text | None]] = Key(
    "cues",
    CueWords(PHASES, {"inhale": "In", "hold": "Hold", "exhale": "Out"}),
    "the word at the start of each phase; '' or null is silent",
    called="{step}",
)
PATTERN: Key[Pattern] = Key("pattern", PatternValue(), "the first cycle's pattern")
TO: Key[Pattern] = Key("to", PatternValue(), "the last cycle's pattern")
COUNT: Key[bool] = Key("count", Flag(), "also speak 2, 3, ... on each whole second", default=False)
BREATHE_GUIDE: Key[int] = Key(
    "guide", whole(0, 1000), "speak cues only in the first N cycles (0: none)"
)
TONE: Key[ToneStyle] = Key("tone", Choice(TONE_STYLES), "this step's tone style")


@dataclass(frozen=True)
class Breathe(Step):
    """Exactly one of ``cycles`` and ``minutes`` is set.

    ``minutes`` stays unresolved because the pattern it divides may still be
    replaced by an override (``--pace``).
    """

    cycles: int | None
    minutes: Fraction | None
    pattern: Pattern | None
    to: Pattern | None
    cues: BreathCues
    count: bool
    guide: int | None
    tone: ToneStyle | None

    KIND: ClassVar[Kind] = Kind(
        "breathe",
        "breathe in a pattern for some cycles; 'to' slows or speeds it cycle by cycle",
        (CYCLES, MINUTES, PATTERN, TO, BREATH_CUES, COUNT, BREATHE_GUIDE, TONE),
        takes="takes keys, e.g. 'breathe: {cycles: 6}'",
        rules=(OneOf("cycles", "minutes"), NotBoth("to", "minutes")),
    )

    @classmethod
    def read(cls, given: StepInput) -> Breathe | None:
        cycles, minutes = count_or_minutes(given, CYCLES)
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
        if (cycles is None and minutes is None) or words is None:
            return None
        cues = BreathCues(**_cue_words(BREATH_CUES).with_defaults(words))
        return cls(given.path, given.loc, cycles, minutes, pattern, to, cues, count, guide, tone)

    def first_pattern(self, default: Pattern) -> Pattern:
        return self.pattern if self.pattern is not None else default

    def cycle_count(self, default: Pattern) -> int:
        if self.cycles is not None:
            return self.cycles
        assert self.minutes is not None
        return max(1, round_half_up(self.minutes * 60 / self.first_pattern(default).cycle_s))

    def duration_s(self, script: Script) -> Fraction:
        """Exact: with a linear ramp the cycles average the first and last pattern."""
        first = self.first_pattern(script.pattern)
        cycles = self.cycle_count(script.pattern)
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

    def utterances(self, script: Script) -> Iterator[Spoken]:
        if self.guide == 0:
            return
        first = self.first_pattern(script.pattern)
        last = self.to or first
        for phase in PHASES:
            cue = self.cues.of(phase)
            if cue is None:
                continue
            yield cue.source, None
            if self.count:
                longest = max(first.phase_s(phase), last.phase_s(phase))
                yield from ((str(k), None) for k in range(2, math.floor(longest) + 1))

    def place(self, placer: Placer) -> None:
        script = placer.script
        first = self.first_pattern(script.pattern)
        last = self.to or first
        cycles = self.cycle_count(script.pattern)
        guide = cycles if self.guide is None else self.guide
        style = self.tone or script.tones.style
        pending: list[Pending] = []
        for cycle in range(cycles):
            lengths = phase_lengths_s(first, last, cycle, cycles)
            for phase in PHASES:
                length_s = lengths[phase]
                if length_s == 0:
                    continue
                start, end_s = seconds_to_samples(placer.now_s), placer.now_s + length_s
                placer.breath(
                    BreathPhase(phase, start, seconds_to_samples(end_s), self.path, cycle + 1)
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
        placer.cues(self.path, self.KIND.name, self.loc, pending)

    def patched(self, patch: Patch) -> Step:
        step = self
        if patch.pattern is not None:
            step = replace(step, pattern=patch.pattern)
        if patch.tone is not None:
            step = replace(step, tone=patch.tone)
        return step

    def breath_pattern(self, default: Pattern) -> Pattern | None:
        return self.first_pattern(default)


PERIOD: Key[Fraction] = Key(
    "period", seconds(1, 30), "for one full sway, left then right", default=Fraction(4)
)
ROCK_CUES: Key[dict[str, Text | None]] = Key(
    "cues",
    CueWords(SIDES, {"left": "Left", "right": "Right"}),
    "the word at the start of each half sway",
    called="{step}",
)
ROCK_GUIDE: Key[int] = Key(
    "guide", whole(0, 1000), "speak cues only in the first N sways (0: none)", default=2
)
PAN_DOC = "how far left and right the beat moves, 0 to 1"
ROCK_PAN: Key[float] = Key("pan", real(0, 1), PAN_DOC, default=0.6)


@dataclass(frozen=True)
class Rock(Step):
    """Sways, each a beat to the left and half a period later one to the right."""

    period_s: Fraction
    cycles: int
    left: Text | None
    right: Text | None
    guide: int
    pan: float

    KIND: ClassVar[Kind] = Kind(
        "rock",
        "sway or rock together: a beat to the left, then to the right",
        (
            PERIOD,
            CYCLES,
            MINUTES,
            ROCK_CUES,
            ROCK_GUIDE,
            ROCK_PAN,
        ),
        takes="takes keys, e.g. 'rock: {period: 4, cycles: 8}'",
        rules=(OneOf("cycles", "minutes"),),
    )

    @classmethod
    def read(cls, given: StepInput) -> Rock | None:
        period = given.value(PERIOD)
        cycles, minutes = count_or_minutes(given, CYCLES)
        words: dict[str, Text | None] = {}
        cue_node = given.node(ROCK_CUES.name)
        if cue_node is not None:
            found = given.read(ROCK_CUES, cue_node)
            if found is None:
                return None
            words = found
        sides = _cue_words(ROCK_CUES).with_defaults(words)
        guide = given.value(ROCK_GUIDE)
        pan = given.value(ROCK_PAN)
        if minutes is not None:
            cycles = max(1, round_half_up(minutes * 60 / period))
        if cycles is None:
            return None
        return cls(given.path, given.loc, period, cycles, sides["left"], sides["right"], guide, pan)

    @property
    def duration_s(self) -> Fraction:
        return self.cycles * self.period_s

    def least_s(self, script: Script) -> Fraction:
        return self.duration_s

    def texts(self) -> Iterator[tuple[Text, str]]:
        for side, cue in zip(SIDES, (self.left, self.right), strict=True):
            if cue is not None and cue.loc.in_file:
                yield cue, f"the {side} cue of step {self.path}"

    def utterances(self, script: Script) -> Iterator[Spoken]:
        if self.guide > 0:
            yield from ((cue.source, None) for cue in (self.left, self.right) if cue is not None)

    def place(self, placer: Placer) -> None:
        half_s = self.period_s / 2
        pending: list[Pending] = []
        for cycle in range(self.cycles):
            for side, pan, offset_s, cue in (
                ("left", -self.pan, Fraction(0), self.left),
                ("right", self.pan, half_s, self.right),
            ):
                start_s = placer.now_s + cycle * self.period_s + offset_s
                placer.add(
                    BeatEvent(
                        seconds_to_samples(start_s),
                        seconds_to_samples(start_s + BEAT_S),
                        self.path,
                        phase=side,
                        cycle=cycle + 1,
                        pan=pan,
                        accent=None,
                    )
                )
                if cycle < self.guide and cue is not None:
                    words = fill(cue.source, placer.script.params)
                    pending.append(
                        Pending("cue", words, start_s, start_s + half_s, side, cycle + 1, cue)
                    )
        placer.now_s += self.duration_s
        placer.cues(self.path, self.KIND.name, self.loc, pending)


PACE: Key[Fraction] = Key(
    "pace", number(30, 180, unit="steps a minute"), "steps a minute", default=Fraction(90)
)
STEP_COUNT: Key[int] = Key("steps", whole(1, 50_000), "number of steps")
ACCENT: Key[int] = Key("accent", whole(1, 64), "every N-th step has a stronger beat", default=4)
WALK_PAN: Key[float] = Key("pan", real(0, 1), PAN_DOC, default=0.4)


@dataclass(frozen=True)
class Walk(Step):
    """Steps at ``pace``, beats alternating left and right, every ``accent``-th stronger."""

    pace_spm: Fraction
    steps: int
    accent: int
    pan: float

    KIND: ClassVar[Kind] = Kind(
        "walk",
        "walk in step: one beat a step, alternating left and right",
        (PACE, STEP_COUNT, MINUTES, ACCENT, WALK_PAN),
        takes="takes keys, e.g. 'walk: {pace: 90, steps: 120}'",
        rules=(OneOf("steps", "minutes"),),
    )

    @classmethod
    def read(cls, given: StepInput) -> Walk | None:
        pace = given.value(PACE)
        steps, minutes = count_or_minutes(given, STEP_COUNT)
        accent = given.value(ACCENT)
        pan = given.value(WALK_PAN)
        if minutes is not None:
            steps = max(1, round_half_up(minutes * pace))
        if steps is None:
            return None
        return cls(given.path, given.loc, pace, steps, accent, pan)

    @property
    def interval_s(self) -> Fraction:
        return Fraction(60) / self.pace_spm

    @property
    def duration_s(self) -> Fraction:
        return self.steps * self.interval_s

    def least_s(self, script: Script) -> Fraction:
        return self.duration_s

    def place(self, placer: Placer) -> None:
        for index in range(self.steps):
            start_s = placer.now_s + index * self.interval_s
            left = index % 2 == 0
            placer.add(
                BeatEvent(
                    seconds_to_samples(start_s),
                    seconds_to_samples(start_s + BEAT_S),
                    self.path,
                    phase="left" if left else "right",
                    cycle=index + 1,
                    pan=-self.pan if left else self.pan,
                    accent=index % self.accent == 0,
                )
            )
        placer.now_s += self.duration_s


def _cue_words(key: Key[dict[str, Text | None]]) -> CueWords:
    assert isinstance(key.value, CueWords)
    return key.value


RHYTHM: tuple[type[Step], ...] = (Breathe, Rock, Walk)
