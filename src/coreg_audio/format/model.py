"""The practice as frozen data, every part carrying where it was written.

Values here are already checked for type and range by the reader; times are
exact ``Fraction`` seconds so the compiler can place events without drift.
Nothing here has a default of its own: the format's definition (``toplevel``,
``patterns``, ``voices``, ``sounds`` and the step kinds) gives every default,
and each step kind's class (a ``Step``) says how it reads, speaks, lasts and
is placed on the timeline.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from ..timeline.placer import Placer
    from .keys import Kind, StepInput

PhaseName = Literal["inhale", "hold", "exhale", "rest"]
PHASES: tuple[PhaseName, ...] = ("inhale", "hold", "exhale", "rest")
ToneStyle = Literal["glide", "chime", "none"]
TONE_STYLES: tuple[ToneStyle, ...] = ("glide", "chime", "none")


@dataclass(frozen=True, order=True)
class Loc:
    """Where a value was written: a 1-based line and column of the script file.

    Line 0 is nowhere in the file: a value given for one run (``given``) names
    the option that gave it, as the caller spells it; ``BUILT_IN`` is a default
    of the format itself.
    """

    line: int
    column: int
    option: str = ""

    @classmethod
    def given(cls, option: str) -> Loc:
        """A value given for this run by ``option`` (the CLI: a flag such as ``--voice``)."""
        return cls(0, 0, option)

    @property
    def in_file(self) -> bool:
        return self.line > 0

    @property
    def is_given(self) -> bool:
        return not self.in_file and bool(self.option)


BUILT_IN = Loc(0, 0)
"""Where the format's own defaults are written: nowhere in the file."""


@dataclass(frozen=True)
class Text:
    """Spoken text as written, placeholders unfilled.

    ``verbatim`` says the text appears character for character in the file at
    ``loc`` (a plain or simply quoted one-line scalar), so a placeholder's own
    column can be pointed at.
    """

    source: str
    loc: Loc
    verbatim: bool = False


@dataclass(frozen=True)
class Pattern:
    inhale_s: Fraction
    hold_s: Fraction
    exhale_s: Fraction
    rest_s: Fraction
    loc: Loc

    def phase_s(self, phase: PhaseName) -> Fraction:
        return {
            "inhale": self.inhale_s,
            "hold": self.hold_s,
            "exhale": self.exhale_s,
            "rest": self.rest_s,
        }[phase]

    @property
    def cycle_s(self) -> Fraction:
        return self.inhale_s + self.hold_s + self.exhale_s + self.rest_s


@dataclass(frozen=True)
class MetPace:
    """``pattern: met``: the pace met at the most recent ``tap`` step (``meet`` before any)."""

    loc: Loc


@dataclass(frozen=True)
class Voice:
    """A voice as written: a field left ``None`` is taken from an outer voice."""

    loc: Loc
    engine: str | None = None
    name: str | None = None
    rate_wpm: int | None = None
    pitch: int | None = None
    volume: float | None = None

    def over(self, base: Voice) -> Voice:
        """This voice's fields where given, ``base``'s elsewhere."""
        return Voice(
            loc=self.loc,
            engine=self.engine if self.engine is not None else base.engine,
            name=self.name if self.name is not None else base.name,
            rate_wpm=self.rate_wpm if self.rate_wpm is not None else base.rate_wpm,
            pitch=self.pitch if self.pitch is not None else base.pitch,
            volume=self.volume if self.volume is not None else base.volume,
        )


@dataclass(frozen=True)
class VoiceRef:
    """A `say`'s ``voice: NAME``, naming an entry of ``voices``."""

    name: str
    loc: Loc


@dataclass(frozen=True)
class Ambience:
    sound: str
    loc: Loc
    level_db: float
    duck_db: float
    fade_s: Fraction | None
    sound_loc: Loc | None

    @property
    def is_none(self) -> bool:
        return self.sound == "none"


@dataclass(frozen=True)
class Tones:
    style: ToneStyle
    loc: Loc
    level_db: float
    pitch_hz: float


@dataclass(frozen=True)
class Patch:
    """What the options of one run change in every step (see ``overrides``)."""

    pattern: Pattern | None = None
    tone: ToneStyle | None = None
    voice: Voice | None = None

    def voice_over(self, voice: Voice) -> Voice:
        """``voice`` with the patch's fields; it keeps its place unless the patch renames it."""
        if self.voice is None:
            return voice
        merged = self.voice.over(voice)
        return merged if self.voice.name is not None else replace(merged, loc=voice.loc)


Spoken = tuple[str, Voice | VoiceRef | None]
"""A text as written (placeholders unfilled) and its voice; ``None`` is the script's voice."""


@dataclass(frozen=True)
class Step(ABC):
    """One step as written, at its dotted ``path`` ("4.2": the second inside the fourth).

    Each kind of step is a subclass (``steps``, ``breathe``, ``movement``) that holds its
    whole definition: ``KIND`` (its name, keys and documentation), how it reads
    (``read``), what it speaks, how long it lasts, how it is placed on the
    timeline and what a run's options change in it. Everything else dispatches
    through these methods.
    """

    path: str
    loc: Loc

    KIND: ClassVar[Kind]

    @classmethod
    @abstractmethod
    def read(cls, given: StepInput) -> Step | None:
        """The step from its keys; ``None`` (with the problem recorded) when it cannot be made."""

    @abstractmethod
    def least_s(self, script: Script) -> Fraction:
        """How long the step lasts with every spoken text taken as instantaneous."""

    @abstractmethod
    def place(self, placer: Placer) -> None:
        """Put the step's events on the timeline from ``placer.now_s`` and move it on."""

    @property
    def what(self) -> str:
        """How messages name the step: "step 2.1 (breathe)"."""
        return f"step {self.path} ({self.KIND.name})"

    @property
    def inner_steps(self) -> tuple[Step, ...]:
        """The steps written inside this one (a repeat's), once."""
        return ()

    def expanded_count(self) -> int:
        """How many steps this one plays, repeats expanded."""
        return 1

    def texts(self) -> Iterator[tuple[Text, str]]:
        """Each text written in this step that is spoken, with how messages name it."""
        return iter(())

    def utterances(self, script: Script) -> Iterator[Spoken]:
        """Everything the step may speak at its voice's own rate (inner steps not included)."""
        return iter(())

    def voices(self) -> Iterator[Voice | VoiceRef]:
        """The voices written in this step."""
        return iter(())

    def patched(self, patch: Patch) -> Step:
        """The step as a run's options change it."""
        return self

    def check(self, script: Script, problem: Callable[[Loc, str], None]) -> None:  # noqa: B027
        """Report what only the whole script shows, such as a cycle its pattern does not have."""

    def breath_pattern(self, default: Pattern) -> Pattern | None:
        """The pattern a listener first breathes in this step, if it is a breathing step."""
        return None


@dataclass(frozen=True)
class Script:
    """One practice, as the author wrote it (after overrides, if any).

    The keys of ``toplevel.TOP_LEVEL`` fill the fields they name;
    ``steps_loc`` and ``language_loc`` are where ``steps:`` and the language
    are written (the top of the file when they are not).
    """

    name: str
    path: Path
    display_path: str
    title: str
    steps: tuple[Step, ...]
    steps_loc: Loc
    summary: str | None
    author: str
    language: str
    language_loc: Loc
    params: Mapping[str, str]
    voice: Voice
    voices: Mapping[str, Voice]
    ambience: Ambience | None
    tones: Tones
    pattern: Pattern
    meet: Pattern | None
    """The pace assumed where nobody taps; ``None``: ``pattern`` (see ``meet_pattern``)."""
    lead_s: Fraction
    tail_s: Fraction
    gap_s: Fraction
    met: Pattern | None = None
    """The pace met at every ``tap`` step, given for the run (``--met``): nobody taps."""

    @property
    def meet_pattern(self) -> Pattern:
        return self.meet if self.meet is not None else self.pattern

    @property
    def met_pattern(self) -> Pattern:
        """The pace a ``tap`` step meets where nobody taps: the run's ``met``, else ``meet``."""
        return self.met if self.met is not None else self.meet_pattern

    @property
    def folder(self) -> Path:
        return self.path.parent
