"""The step kinds that speak, wait, mark and repeat, and the list of every kind.

Each kind is one class holding its whole definition: ``KIND`` (its word,
keys, shorthand and rules, which the reader and the schema follow), how it
reads itself (``read``), what it speaks, how long it lasts, how it places its
events (``place``) and what a run's options change in it (``patched``). The
kinds with a rhythm under them are in ``breathe`` and ``movement``;
``STEP_KINDS`` lists them all, in the order messages and the schema name them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar

from ..timeline.events import BellEvent, SectionEvent
from ..units import samples_to_seconds, seconds_to_samples
from .breathe import Breathe
from .keys import Has, Key, Kind, Needs, StepInput
from .model import Patch, Script, Spoken, Step, Text, Voice, VoiceRef
from .movement import MOVEMENT
from .tap import Tap
from .values import Plain, StepList, Words, seconds, whole
from .voices import VoiceChoice

if TYPE_CHECKING:
    from ..timeline.placer import Placer

TEXT: Key[Text] = Key("text", Words(), "the words to speak", called="the text of {step}")
AFTER: Key[Fraction] = Key(
    "after", seconds(0, 3600), "quiet after the words; default: the script's gap"
)
VOICE: Key[Voice | VoiceRef] = Key(
    "voice", VoiceChoice(), "a name from 'voices', or a voice", called="{step}"
)


@dataclass(frozen=True)
class Say(Step):
    """Words, then quiet: ``after`` seconds, or the script's ``gap``."""

    text: Text
    after_s: Fraction | None
    voice: Voice | VoiceRef | None

    KIND: ClassVar[Kind] = Kind(
        "say",
        "speak some words, then stay quiet for 'after' seconds",
        (TEXT, AFTER, VOICE),
        shorthand=replace(TEXT, doc="the words to speak; {a} and {b} are filled from params"),
        rules=(Needs("text"),),
    )

    @classmethod
    def read(cls, given: StepInput) -> Say | None:
        if given.shorthand is not None and given.given("text"):
            given.problem(given.key_node("text"), f"{given.what} gives its text twice")
            return None
        node = given.main_node()
        if node is None:
            given.problem(given.loc, f"{given.what} needs some text: 'say: Hello'")
            return None
        text = given.read(TEXT, node)
        after = given.get(AFTER)
        voice = given.get(VOICE)
        if text is None:
            return None
        return cls(given.path, given.loc, text, after, voice)

    def least_s(self, script: Script) -> Fraction:
        return self.after_s if self.after_s is not None else script.gap_s

    def place(self, placer: Placer) -> None:
        length = placer.speak(self.path, self.text, self.voice)
        if length is None:
            return
        after = self.after_s if self.after_s is not None else placer.script.gap_s
        placer.now_s += samples_to_seconds(length) + after

    def texts(self) -> Iterator[tuple[Text, str]]:
        yield self.text, f"the text of step {self.path}"

    def utterances(self, script: Script) -> Iterator[Spoken]:
        yield self.text.source, self.voice

    def voices(self) -> Iterator[Voice | VoiceRef]:
        if self.voice is not None:
            yield self.voice

    def patched(self, patch: Patch) -> Step:
        if patch.voice is None or not isinstance(self.voice, Voice):
            return self
        return replace(self, voice=patch.voice_over(self.voice))


SECONDS: Key[Fraction] = Key(
    "seconds",
    seconds(0, 3600, low_open=True),
    "seconds of quiet",
    called="the pause of step {path}",
)


@dataclass(frozen=True)
class Pause(Step):
    seconds: Fraction

    KIND: ClassVar[Kind] = Kind(
        "pause", "quiet for some seconds", (SECONDS,), shorthand=SECONDS, rules=(Needs("seconds"),)
    )

    @classmethod
    def read(cls, given: StepInput) -> Pause | None:
        node = given.main_node()
        if node is None:
            given.problem(given.loc, f"{given.what} needs its seconds: 'pause: 3'")
            return None
        value = given.read(SECONDS, node)
        return cls(given.path, given.loc, value) if value is not None else None

    def least_s(self, script: Script) -> Fraction:
        return self.seconds

    def place(self, placer: Placer) -> None:
        placer.now_s += self.seconds


TITLE: Key[str] = Key("title", Plain(), "the chapter's title", called="the title of section {path}")


@dataclass(frozen=True)
class Section(Step):
    """The start of a chapter."""

    title: str

    KIND: ClassVar[Kind] = Kind(
        "section",
        "start a chapter; takes no time",
        (TITLE,),
        shorthand=TITLE,
        rules=(Needs("title"),),
    )

    @classmethod
    def read(cls, given: StepInput) -> Section | None:
        node = given.main_node()
        if node is None:
            given.problem(given.loc, f"{given.what} needs a title: 'section: Arriving'")
            return None
        title = given.read(TITLE, node)
        return cls(given.path, given.loc, title.strip()) if title else None

    def least_s(self, script: Script) -> Fraction:
        return Fraction(0)

    def place(self, placer: Placer) -> None:
        at = seconds_to_samples(placer.now_s)
        placer.add(SectionEvent(at, at, self.path, title=self.title))


STRIKES: Key[int] = Key(
    "strikes", whole(1, 20), "number of strikes", default=1, called="the strikes of {step}"
)
EVERY: Key[Fraction] = Key(
    "every", seconds(0, 600, low_open=True), "between strikes", default=Fraction(5)
)
RING: Key[Fraction] = Key(
    "ring", seconds(Fraction(1, 2), 60), "how long the last strike rings", default=Fraction(5)
)


@dataclass(frozen=True)
class Bell(Step):
    strikes: int
    every_s: Fraction
    ring_s: Fraction

    KIND: ClassVar[Kind] = Kind(
        "bell",
        "a struck bowl; lasts (strikes - 1) x every + ring",
        (STRIKES, EVERY, RING),
        shorthand=STRIKES,
    )

    @classmethod
    def read(cls, given: StepInput) -> Bell | None:
        node = given.main_node()
        strikes = STRIKES.fallback
        if node is not None:
            value = given.read(STRIKES, node)
            if value is None:
                return None
            strikes = value
        return cls(given.path, given.loc, strikes, given.value(EVERY), given.value(RING))

    @property
    def duration_s(self) -> Fraction:
        return (self.strikes - 1) * self.every_s + self.ring_s

    def least_s(self, script: Script) -> Fraction:
        return self.duration_s

    def place(self, placer: Placer) -> None:
        for strike in range(self.strikes):
            start_s = placer.now_s + strike * self.every_s
            placer.add(
                BellEvent(
                    seconds_to_samples(start_s),
                    seconds_to_samples(start_s + self.ring_s),
                    self.path,
                )
            )
        placer.now_s += self.duration_s


TIMES: Key[int] = Key("times", whole(1, 1000), "how many times")
STEPS: Key[tuple[Step, ...]] = Key("steps", StepList(), "what happens, in order")


@dataclass(frozen=True)
class Repeat(Step):
    times: int
    steps: tuple[Step, ...]

    KIND: ClassVar[Kind] = Kind(
        "repeat",
        "play some steps several times",
        (TIMES, STEPS),
        takes="takes 'times' and 'steps', e.g. 'repeat: {times: 3, steps: [...]}'",
        rules=(Has("times"), Has("steps")),
    )

    @classmethod
    def read(cls, given: StepInput) -> Repeat | None:
        for required in (TIMES, STEPS):
            if not given.given(required.name):
                given.problem(given.loc, f"{given.what} needs '{required.name}'")
        times = given.get(TIMES)
        node = given.node(STEPS.name)
        steps = given.steps(node) if node is not None else ()
        if times is None or not steps:
            return None
        return cls(given.path, given.loc, times, steps)

    @property
    def inner_steps(self) -> tuple[Step, ...]:
        return self.steps

    def expanded_count(self) -> int:
        return self.times * sum(step.expanded_count() for step in self.steps)

    def least_s(self, script: Script) -> Fraction:
        return self.times * sum((step.least_s(script) for step in self.steps), Fraction(0))

    def place(self, placer: Placer) -> None:
        for _ in range(self.times):
            placer.play(self.steps)

    def patched(self, patch: Patch) -> Step:
        return replace(self, steps=tuple(step.patched(patch) for step in self.steps))


_KINDS: tuple[type[Step], ...] = (Say, Pause, Section, Bell, Breathe, *MOVEMENT, Tap, Repeat)
STEP_KINDS: dict[str, type[Step]] = {kind.KIND.name: kind for kind in _KINDS}
"""Every step kind by its word, in the order messages and the schema list them."""


def walk_steps(steps: tuple[Step, ...]) -> Iterator[Step]:
    """Each step as written, depth first (a repeat's steps once, not ``times`` times)."""
    for step in steps:
        yield step
        yield from walk_steps(step.inner_steps)
