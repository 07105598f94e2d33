"""The step kinds ``rock`` and ``walk``: moving together on a beat, left then right.

The beats are placed at exact times first; rock's cues are then fitted into
the half sways (``Placer.cues``). Each class holds its kind's whole
definition, as in ``steps``; ``MOVEMENT`` lists them for ``steps.STEP_KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar

from ..timeline.events import BeatEvent, MovePhase
from ..timeline.placer import Pending
from ..units import round_half_up, seconds_to_samples
from . import over
from .breathe import CYCLES, MINUTES
from .keys import Key, Kind, OneOf, StepInput
from .languages import LANGUAGE_WORDS, words_for
from .model import BUILT_IN, Loc, Patch, Script, Spoken, Step, Text, Voice, VoiceRef
from .over import OverItem, OverItems
from .placeholders import fill
from .values import CueWords, Flag, number, real, seconds, whole

if TYPE_CHECKING:
    from ..timeline.placer import Placer

BEAT_S = Fraction(3, 10)
"""How long a movement beat sounds."""
SIDES = ("left", "right")

PERIOD: Key[Fraction] = Key(
    "period", seconds(1, 30), "for one full sway, left then right", default=Fraction(4)
)
SIDE_WORDS = CueWords(SIDES, needed=SIDES)
FACING_SAID = {"left": "Sway", "right": "Back"}


@dataclass(frozen=True)
class FacingWords(CueWords):
    """The words of partners who face each other: one's left is the other's right, so neither
    side is named. Default words ("Sway", "Back") in English only; a step in another language
    that speaks its cues gives its own, as in a language without default words."""

    def with_defaults(
        self, given: Mapping[str, Text | None], language: str
    ) -> dict[str, Text | None]:
        said = FACING_SAID if words_for(language) is LANGUAGE_WORDS["en"] else {}
        defaults = {part: Text(word, BUILT_IN) for part, word in said.items()}
        return {part: given.get(part, defaults.get(part)) for part in self.parts}

    def of_step(
        self, given: Mapping[str, Text | None], step: StepInput, *, speaks: bool
    ) -> dict[str, Text | None]:
        missing = [part for part in self.needed if part not in given]
        if speaks and missing and words_for(step.language) is not LANGUAGE_WORDS["en"]:
            step.problem(
                step.key_node("cues") if step.given("cues") else step.loc,
                f"{step.what} has partners facing each other and speaks cue words, but "
                f"coreg-audio has words for facing partners ('Sway', 'Back') only in English; "
                f"give the step its own {' and '.join(missing)} cue"
                f"{'s' if len(missing) > 1 else ''}, e.g. 'cues: {{left: ..., right: ...}}', "
                "or 'guide: 0' for none",
            )
        return self.with_defaults(given, step.language)


FACING_WORDS = FacingWords(SIDES, needed=SIDES)
FACING: Key[bool] = Key(
    "facing",
    Flag(),
    "the partners face each other (one mirrors the other): neither side is named",
    default=False,
)
ROCK_CUES: Key[dict[str, Text | None]] = Key(
    "cues",
    SIDE_WORDS,
    "the word at the start of each half sway",
    called="{step}",
)
ROCK_GUIDE: Key[int] = Key(
    "guide", whole(0, 1000), "speak cues only in the first N sways (0: none)", default=2
)
PAN_DOC = "how far left and right the beat moves, 0 to 1"
ROCK_PAN: Key[float] = Key("pan", real(0, 1), PAN_DOC, default=0.6)
ROCK_SAY: Key[tuple[OverItem, ...]] = Key(
    "say",
    OverItems(SIDES, "left", 1000, "sway"),
    "words spoken over the swaying, each from the start of a half of a sway",
    called="{step}",
)


@dataclass(frozen=True)
class Rock(Step):
    """Sways, each a beat to the left and half a period later one to the right."""

    period_s: Fraction
    cycles: int
    left: Text | None
    right: Text | None
    guide: int
    pan: float
    say: tuple[OverItem, ...]
    facing: bool

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
            ROCK_SAY,
            FACING,
        ),
        takes="takes keys, e.g. 'rock: {period: 4, cycles: 8}'",
        rules=(OneOf("cycles", "minutes"),),
    )

    @classmethod
    def read(cls, given: StepInput) -> Rock | None:
        period = given.value(PERIOD)
        cycles, minutes = given.get(CYCLES), given.get(MINUTES)
        if not given.exactly_one(CYCLES, MINUTES):
            cycles = minutes = None
        words: dict[str, Text | None] = {}
        cue_node = given.node(ROCK_CUES.name)
        if cue_node is not None:
            found = given.read(ROCK_CUES, cue_node)
            if found is None:
                return None
            words = found
        guide = given.value(ROCK_GUIDE)
        facing = given.value(FACING)
        sides = (FACING_WORDS if facing else SIDE_WORDS).of_step(words, given, speaks=guide > 0)
        pan = given.value(ROCK_PAN)
        say_node = given.node(ROCK_SAY.name)
        say = given.read(ROCK_SAY, say_node) if say_node is not None else ()
        if minutes is not None:
            cycles = max(1, round_half_up(minutes * 60 / period))
        if cycles is None or say is None:
            return None
        return cls(
            given.path,
            given.loc,
            period,
            cycles,
            sides["left"],
            sides["right"],
            guide,
            pan,
            say,
            facing,
        )

    @property
    def duration_s(self) -> Fraction:
        return self.cycles * self.period_s

    def least_s(self, script: Script) -> Fraction:
        return self.duration_s

    def texts(self) -> Iterator[tuple[Text, str]]:
        for side, cue in zip(SIDES, (self.left, self.right), strict=True):
            if cue is not None and cue.loc.in_file:
                yield cue, f"the {side} cue of step {self.path}"
        yield from over.texts(self.say, self.path)

    def voices(self) -> Iterator[Voice | VoiceRef]:
        return over.voices(self.say)

    def utterances(self, script: Script) -> Iterator[Spoken]:
        yield from ((item.text.source, item.voice) for item in self.say)
        if self.guide > 0:
            yield from ((cue.source, None) for cue in (self.left, self.right) if cue is not None)

    def place(self, placer: Placer) -> None:
        half_s = self.period_s / 2
        pending: list[Pending] = []
        starts: dict[tuple[int, str], Fraction] = {}
        for cycle in range(self.cycles):
            for side, pan, offset_s, cue in (
                ("left", -self.pan, Fraction(0), self.left),
                ("right", self.pan, half_s, self.right),
            ):
                start_s = placer.now_s + cycle * self.period_s + offset_s
                starts[(cycle + 1, side)] = start_s
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
                placer.move(
                    MovePhase(
                        side,
                        seconds_to_samples(start_s),
                        seconds_to_samples(start_s + half_s),
                        self.path,
                        cycle + 1,
                        word=fill(cue.source, placer.script.params) if cue is not None else None,
                        facing=self.facing,
                    )
                )
                if cycle < self.guide and cue is not None:
                    words = fill(cue.source, placer.script.params)
                    pending.append(
                        Pending("cue", words, start_s, start_s + half_s, side, cycle + 1, cue)
                    )
        placer.now_s += self.duration_s
        pending += over.pending(self.say, self.what, starts, placer.now_s, placer.script.params)
        placer.cues(self.path, self.KIND.name, self.loc, pending)

    def check(self, script: Script, problem: Callable[[Loc, str], None]) -> None:
        cues = dict(zip(SIDES, (self.left, self.right), strict=True))

        def cue(cycle: int, side: str) -> Text | None:
            return cues[side] if cycle <= self.guide else None

        over.check(self.say, self.what, self.cycles, "sways", problem, cue=cue)

    def patched(self, patch: Patch) -> Step:
        return replace(self, say=over.patched(self.say, patch))


PACE: Key[Fraction] = Key(
    "pace", number(30, 180, unit="steps a minute"), "steps a minute", default=Fraction(90)
)
STEP_COUNT: Key[int] = Key("steps", whole(1, 50_000), "number of steps")
ACCENT: Key[int] = Key("accent", whole(1, 64), "every N-th step has a stronger beat", default=4)
WALK_PAN: Key[float] = Key("pan", real(0, 1), PAN_DOC, default=0.4)
WALK_SAY: Key[tuple[OverItem, ...]] = Key(
    "say",
    OverItems((), None, 50_000, "step"),
    "words spoken over the walking, each from one step's beat",
    called="{step}",
)


@dataclass(frozen=True)
class Walk(Step):
    """Steps at ``pace``, beats alternating left and right, every ``accent``-th stronger."""

    pace_spm: Fraction
    steps: int
    accent: int
    pan: float
    say: tuple[OverItem, ...]
    facing: bool

    KIND: ClassVar[Kind] = Kind(
        "walk",
        "walk in step: one beat a step, alternating left and right",
        (PACE, STEP_COUNT, MINUTES, ACCENT, WALK_PAN, WALK_SAY, FACING),
        takes="takes keys, e.g. 'walk: {pace: 90, steps: 120}'",
        rules=(OneOf("steps", "minutes"),),
    )

    @classmethod
    def read(cls, given: StepInput) -> Walk | None:
        pace = given.value(PACE)
        steps, minutes = given.get(STEP_COUNT), given.get(MINUTES)
        if not given.exactly_one(STEP_COUNT, MINUTES):
            steps = minutes = None
        accent = given.value(ACCENT)
        pan = given.value(WALK_PAN)
        say_node = given.node(WALK_SAY.name)
        say = given.read(WALK_SAY, say_node) if say_node is not None else ()
        facing = given.value(FACING)
        if minutes is not None:
            steps = max(1, round_half_up(minutes * pace))
        if steps is None or say is None:
            return None
        return cls(given.path, given.loc, pace, steps, accent, pan, say, facing)

    @property
    def interval_s(self) -> Fraction:
        return Fraction(60) / self.pace_spm

    @property
    def duration_s(self) -> Fraction:
        return self.steps * self.interval_s

    def least_s(self, script: Script) -> Fraction:
        return self.duration_s

    def texts(self) -> Iterator[tuple[Text, str]]:
        return over.texts(self.say, self.path)

    def voices(self) -> Iterator[Voice | VoiceRef]:
        return over.voices(self.say)

    def utterances(self, script: Script) -> Iterator[Spoken]:
        return ((item.text.source, item.voice) for item in self.say)

    def place(self, placer: Placer) -> None:
        starts = {
            (item.cycle, _side(item.cycle - 1)): placer.now_s + (item.cycle - 1) * self.interval_s
            for item in self.say
        }
        sides = SIDE_WORDS.with_defaults({}, placer.script.language)
        for index in range(self.steps):
            start_s = placer.now_s + index * self.interval_s
            side = SIDES[index % 2]
            accent = index % self.accent == 0
            placer.add(
                BeatEvent(
                    seconds_to_samples(start_s),
                    seconds_to_samples(start_s + BEAT_S),
                    self.path,
                    phase=side,
                    cycle=index + 1,
                    pan=-self.pan if side == "left" else self.pan,
                    accent=accent,
                )
            )
            word = sides[side]
            placer.move(
                MovePhase(
                    side,
                    seconds_to_samples(start_s),
                    seconds_to_samples(start_s + self.interval_s),
                    self.path,
                    index + 1,
                    word=None if self.facing or word is None else word.source,
                    facing=self.facing,
                    accent=accent,
                )
            )
        placer.now_s += self.duration_s
        if self.say:
            spoken = over.pending(
                self.say,
                self.what,
                starts,
                placer.now_s,
                placer.script.params,
                lambda number: _side(number - 1),
            )
            placer.cues(self.path, self.KIND.name, self.loc, spoken)

    def check(self, script: Script, problem: Callable[[Loc, str], None]) -> None:
        over.check(self.say, self.what, self.steps, "steps", problem)

    def patched(self, patch: Patch) -> Step:
        return replace(self, say=over.patched(self.say, patch))


def _side(index: int) -> str:
    """The side of a walk's 0-based step ``index``: even steps left, odd steps right."""
    return SIDES[index % 2]


MOVEMENT: tuple[type[Step], ...] = (Rock, Walk)
