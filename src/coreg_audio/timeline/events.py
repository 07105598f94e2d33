"""The compiled practice: events at whole samples, and nothing that sounds.

Holding no audio keeps timing testable as plain data, and lets ``show`` print
the exact schedule that ``render`` and ``play`` will follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from ..format.model import PHASES, Pattern, ToneStyle
from ..speech.voice import VoiceSettings
from ..time_text import mm_ss_tenths
from ..units import SAMPLE_RATE_HZ, samples_to_float_s

EventKind = Literal["speech", "cue", "count", "tone", "beat", "bell", "section", "tap"]


@dataclass(frozen=True)
class Event:
    """Something that happens, at whole samples; ``step`` is the path of the step that made it.

    Each kind is its own class with exactly the fields it always has, so a
    consumer that has matched a kind never checks a field for ``None``.
    """

    start_samples: int
    end_samples: int
    step: str

    kind: ClassVar[EventKind]
    spoken: ClassVar[bool] = False
    sounds: ClassVar[bool] = True
    """Whether the mixer has a sound for it (a section or a tap step makes none)."""

    @property
    def length_samples(self) -> int:
        return self.end_samples - self.start_samples

    def details(self) -> dict[str, Any]:
        """The kind's own fields as ``show --json`` lists them, in the specification's order."""
        return {}

    def describe(self) -> str:
        """A few words for the readable schedule."""
        return ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": samples_to_float_s(self.start_samples),
            "end": samples_to_float_s(self.end_samples),
            **self.details(),
            "step": self.step,
        }


@dataclass(frozen=True)
class CycleEvent(Event):
    """An event at one phase (breathe) or side (rock, walk) of a 1-based cycle of its step."""

    phase: str
    cycle: int


@dataclass(frozen=True)
class SpokenEvent(Event):
    """Words, in a voice, at a volume (a gain in the mix, after loudness normalization)."""

    text: str
    voice: VoiceSettings
    volume: float

    spoken: ClassVar[bool] = True

    def describe(self) -> str:
        return self.text


@dataclass(frozen=True)
class SpeechEvent(SpokenEvent):
    """A ``say``."""

    kind: ClassVar[EventKind] = "speech"

    def details(self) -> dict[str, Any]:
        return {"text": self.text}


@dataclass(frozen=True)
class SpeechOverEvent(SpeechEvent, CycleEvent):
    """Words spoken over a breathe, rock or walk step (an item of its ``say`` list).

    It starts at ``phase`` of ``cycle`` of its step (for a walk, ``cycle`` is the
    step's beat and ``phase`` its side) while the step's rhythm goes on under it.
    """

    def details(self) -> dict[str, Any]:
        return {"text": self.text, "phase": self.phase, "cycle": self.cycle}

    def describe(self) -> str:
        return f"{self.text}  (over {self.phase}, cycle {self.cycle})"


@dataclass(frozen=True)
class CueEvent(SpokenEvent, CycleEvent):
    """The word that starts a phase or a side."""

    kind: ClassVar[EventKind] = "cue"

    def details(self) -> dict[str, Any]:
        return {"text": self.text, "phase": self.phase, "cycle": self.cycle}


@dataclass(frozen=True)
class CountEvent(SpokenEvent, CycleEvent):
    """A number counted on a whole second of a phase."""

    kind: ClassVar[EventKind] = "count"

    def details(self) -> dict[str, Any]:
        return {"text": self.text, "phase": self.phase, "cycle": self.cycle}


@dataclass(frozen=True)
class ToneEvent(CycleEvent):
    """A breath tone through (glide) or at the start of (chime) a phase."""

    style: ToneStyle
    level_db: float
    pitch_hz: float

    kind: ClassVar[EventKind] = "tone"

    def details(self) -> dict[str, Any]:
        return {"phase": self.phase, "cycle": self.cycle, "style": self.style}

    def describe(self) -> str:
        return f"{self.style} {self.phase}"


@dataclass(frozen=True)
class BeatEvent(CycleEvent):
    """A movement beat at ``pan`` (-1 left, 1 right); ``accent`` is None where none is stronger."""

    pan: float
    accent: bool | None

    kind: ClassVar[EventKind] = "beat"

    def details(self) -> dict[str, Any]:
        data: dict[str, Any] = {"phase": self.phase, "cycle": self.cycle, "pan": self.pan}
        if self.accent is not None:
            data["accent"] = self.accent
        return data

    def describe(self) -> str:
        return f"{self.phase}{' (accent)' if self.accent else ''}"


@dataclass(frozen=True)
class BellEvent(Event):
    """A struck bowl ringing until ``end_samples``."""

    kind: ClassVar[EventKind] = "bell"

    def describe(self) -> str:
        return f"bell, rings {samples_to_float_s(self.length_samples):g} s"


@dataclass(frozen=True)
class SectionEvent(Event):
    """The start of a chapter; takes no time."""

    title: str

    kind: ClassVar[EventKind] = "section"
    sounds: ClassVar[bool] = False

    def details(self) -> dict[str, Any]:
        return {"title": self.title}


@dataclass(frozen=True)
class TapEvent(Event):
    """Where a partner's pace is taken (a ``tap`` step); it makes no sound.

    ``met`` is the pace the step met (the run's ``--met``, else ``meet``,
    where nobody taps); ``meet`` is the pace assumed while waiting for taps.
    ``occurrence`` counts the tap steps as they play (0 first), repeats
    included: a live play records each one's taps under it.
    """

    breaths: int
    phases: Literal["inhale", "both"]
    whose: str | None
    met: Pattern
    meet: Pattern
    occurrence: int

    kind: ClassVar[EventKind] = "tap"
    sounds: ClassVar[bool] = False

    def details(self) -> dict[str, Any]:
        return {
            "breaths": self.breaths,
            "phases": self.phases,
            "met": {phase: float(self.met.phase_s(phase)) for phase in PHASES},
        }

    def describe(self) -> str:
        taps = "in- and out-breaths" if self.phases == "both" else "in-breaths"
        whose = f"{self.whose}'s " if self.whose else ""
        return f"tap {self.breaths} of {whose}{taps}; pace met {pattern_text(self.met)}"


def pattern_text(pattern: Pattern) -> str:
    """A pattern as a script writes it: 4-6, 4-7-8, 4-4-4-4 (decimals as needed)."""
    lengths = [float(pattern.phase_s(phase)) for phase in PHASES]
    if lengths[3] == 0:
        lengths = lengths[:3] if lengths[1] else [lengths[0], lengths[2]]
    return "-".join(f"{length:.2f}".rstrip("0").rstrip(".") for length in lengths)


@dataclass(frozen=True)
class Chapter:
    """One section of the track, in samples from the track's first sample."""

    title: str
    start_samples: int
    end_samples: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_samples <= self.end_samples:
            raise ValueError(
                f"chapter {self.title!r} must have 0 <= start <= end, "
                f"not {self.start_samples}..{self.end_samples} samples"
            )


@dataclass(frozen=True)
class BreathPhase:
    """One phase of a breathe step, rest included, in track samples: what a pacer follows.

    Kept beside the events rather than among them: the events are the sounds
    and words ``show --json`` lists, and a phase may have neither.
    """

    phase: str
    start_samples: int
    end_samples: int
    step: str
    cycle: int
    word: str | None = None
    """What the screen calls the phase: the step's cue word, placeholders filled, spoken or not."""


@dataclass(frozen=True)
class MovePhase:
    """One half sway (rock) or one step (walk), in track samples: what the screen follows.

    ``word`` is what the screen calls it (rock: the step's cue word); ``facing``
    says the partners face each other, so the screen names no side.
    """

    phase: str
    start_samples: int
    end_samples: int
    step: str
    cycle: int
    word: str | None = None
    facing: bool = False
    accent: bool | None = None


@dataclass(frozen=True)
class AmbienceBed:
    """The ambience under the whole track, resolved to what the mixer needs."""

    sound: str
    level_db: float
    duck_db: float
    fade_in_samples: int
    fade_out_samples: int


@dataclass(frozen=True)
class Timeline:
    title: str
    author: str
    summary: str | None
    duration_samples: int
    events: tuple[Event, ...]
    chapters: tuple[Chapter, ...]
    ambience: AmbienceBed | None = None
    breaths: tuple[BreathPhase, ...] = ()
    """Every phase of every breathe step, in time order."""
    moves: tuple[MovePhase, ...] = ()
    """Every half sway and every step of the rock and walk steps, in time order."""
    sample_rate_hz: int = SAMPLE_RATE_HZ
    """The rate every sample count here is at; what the mixer and the outputs run at."""

    @property
    def duration_s(self) -> float:
        return samples_to_float_s(self.duration_samples)

    def spoken_events(self) -> list[SpokenEvent]:
        return [event for event in self.events if isinstance(event, SpokenEvent)]

    def tap_events(self) -> list[TapEvent]:
        return [event for event in self.events if isinstance(event, TapEvent)]

    def to_json(self) -> dict[str, Any]:
        """The document ``show --json`` prints, as practice-format.md defines it."""
        return {
            "title": self.title,
            "sample_rate": self.sample_rate_hz,
            "duration": self.duration_s,
            "sections": [
                {
                    "title": chapter.title,
                    "start": samples_to_float_s(chapter.start_samples),
                    "end": samples_to_float_s(chapter.end_samples),
                }
                for chapter in self.chapters
            ],
            "events": [event.to_json() for event in self.events],
        }

    def to_text(self) -> str:
        """A readable schedule: time, section, kind and words, one line per event."""
        lines = [f"{self.title}  ({mm_ss_tenths(self.duration_samples)})"]
        section = self.chapters[0].title if self.chapters else ""
        for event in self.events:
            if isinstance(event, SectionEvent):
                section = event.title
                continue
            lines.append(
                f"{mm_ss_tenths(event.start_samples):>9}  {section[:24]:<24}  "
                f"{event.kind:<7}  {event.describe()}".rstrip()
            )
        return "\n".join(lines)
