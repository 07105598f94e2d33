"""The practice as frozen data, every part carrying where it was written.

Values here are already checked for type and range by the reader; times are
exact ``Fraction`` seconds so the compiler can place events without drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Literal, TypeAlias

from ..units import round_half_up

PhaseName = Literal["inhale", "hold", "exhale", "rest"]
PHASES: tuple[PhaseName, ...] = ("inhale", "hold", "exhale", "rest")
ToneStyle = Literal["glide", "chime", "none"]
TONE_STYLES: tuple[ToneStyle, ...] = ("glide", "chime", "none")


@dataclass(frozen=True, order=True)
class Loc:
    """1-based line and column in the script file."""

    line: int
    column: int


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
class Voice:
    """A voice as written: every field may be left to an outer voice."""

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
    level_db: float = -20.0
    duck_db: float = 6.0
    fade_s: Fraction | None = None
    sound_loc: Loc | None = None

    @property
    def is_none(self) -> bool:
        return self.sound == "none"


@dataclass(frozen=True)
class Tones:
    style: ToneStyle
    loc: Loc
    level_db: float = -12.0
    pitch_hz: float = 196.0


@dataclass(frozen=True)
class Say:
    path: str
    loc: Loc
    text: Text
    after_s: Fraction | None = None
    voice: Voice | VoiceRef | None = None


@dataclass(frozen=True)
class Pause:
    path: str
    loc: Loc
    seconds: Fraction


@dataclass(frozen=True)
class Section:
    path: str
    loc: Loc
    title: str


@dataclass(frozen=True)
class Bell:
    path: str
    loc: Loc
    strikes: int = 1
    every_s: Fraction = Fraction(5)
    ring_s: Fraction = Fraction(5)

    @property
    def duration_s(self) -> Fraction:
        return (self.strikes - 1) * self.every_s + self.ring_s


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


@dataclass(frozen=True)
class Breathe:
    """Exactly one of ``cycles`` and ``minutes`` is set.

    ``minutes`` stays unresolved because the pattern it divides may still be
    replaced by an override (``--pace``).
    """

    path: str
    loc: Loc
    cycles: int | None
    minutes: Fraction | None
    pattern: Pattern | None
    to: Pattern | None
    cues: BreathCues
    count: bool = False
    guide: int | None = None
    tone: ToneStyle | None = None

    def first_pattern(self, default: Pattern) -> Pattern:
        return self.pattern if self.pattern is not None else default

    def cycle_count(self, default: Pattern) -> int:
        if self.cycles is not None:
            return self.cycles
        assert self.minutes is not None
        return max(1, round_half_up(self.minutes * 60 / self.first_pattern(default).cycle_s))


@dataclass(frozen=True)
class Rock:
    path: str
    loc: Loc
    period_s: Fraction
    cycles: int
    left: Text | None
    right: Text | None
    guide: int = 2
    pan: float = 0.6

    @property
    def duration_s(self) -> Fraction:
        return self.cycles * self.period_s


@dataclass(frozen=True)
class Walk:
    path: str
    loc: Loc
    pace_spm: Fraction
    steps: int
    accent: int = 4
    pan: float = 0.4

    @property
    def interval_s(self) -> Fraction:
        return Fraction(60) / self.pace_spm

    @property
    def duration_s(self) -> Fraction:
        return self.steps * self.interval_s


@dataclass(frozen=True)
class Repeat:
    path: str
    loc: Loc
    times: int
    steps: tuple[Step, ...]


Step: TypeAlias = Say | Pause | Section | Bell | Breathe | Rock | Walk | Repeat


@dataclass(frozen=True)
class Script:
    """One practice, as the author wrote it (after overrides, if any)."""

    name: str
    path: Path
    display_path: str
    title: str
    steps: tuple[Step, ...]
    steps_loc: Loc
    summary: str | None = None
    author: str = "coreg-audio"
    language: str = "en"
    language_loc: Loc = Loc(1, 1)
    params: dict[str, str] = field(default_factory=dict)
    voice: Voice = Voice(loc=Loc(1, 1))
    voices: dict[str, Voice] = field(default_factory=dict)
    ambience: Ambience | None = None
    tones: Tones = Tones(style="glide", loc=Loc(1, 1))
    pattern: Pattern = Pattern(Fraction(4), Fraction(0), Fraction(6), Fraction(0), Loc(1, 1))
    lead_s: Fraction = Fraction(1)
    tail_s: Fraction = Fraction(3)
    gap_s: Fraction = Fraction(1)

    @property
    def folder(self) -> Path:
        return self.path.parent
