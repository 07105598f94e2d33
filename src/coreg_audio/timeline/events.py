"""The compiled practice: events at whole samples, and nothing that sounds.

Holding no audio keeps timing testable as plain data, and lets ``show`` print
the exact schedule that ``render`` and ``play`` will follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..format.model import ToneStyle
from ..speech.voice import VoiceSettings
from ..units import SAMPLE_RATE_HZ, samples_to_float_s

EventKind = Literal["speech", "cue", "count", "tone", "beat", "bell", "section"]
SPOKEN_KINDS: tuple[EventKind, ...] = ("speech", "cue", "count")


@dataclass(frozen=True)
class Event:
    """One thing that happens; fields beyond the first four belong to some kinds only."""

    kind: EventKind
    start_samples: int
    end_samples: int
    step: str
    text: str | None = None
    phase: str | None = None
    cycle: int | None = None
    style: ToneStyle | None = None
    pan: float | None = None
    accent: bool | None = None
    title: str | None = None
    voice: VoiceSettings | None = None
    volume: float = 1.0
    level_db: float = 0.0
    pitch_hz: float | None = None

    @property
    def spoken(self) -> bool:
        return self.kind in SPOKEN_KINDS

    @property
    def length_samples(self) -> int:
        return self.end_samples - self.start_samples

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "start": samples_to_float_s(self.start_samples),
            "end": samples_to_float_s(self.end_samples),
        }
        optional = {
            "text": self.text,
            "title": self.title,
            "phase": self.phase,
            "cycle": self.cycle,
            "style": self.style,
            "pan": self.pan,
            "accent": self.accent,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        data["step"] = self.step
        return data


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

    @property
    def duration_s(self) -> float:
        return samples_to_float_s(self.duration_samples)

    def spoken_events(self) -> list[Event]:
        return [event for event in self.events if event.spoken]

    def to_json(self) -> dict[str, Any]:
        """The document ``show --json`` prints, as practice-format.md defines it."""
        return {
            "title": self.title,
            "sample_rate": SAMPLE_RATE_HZ,
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
        lines = [f"{self.title}  ({clock_mm_ss(self.duration_samples)})"]
        section = self.chapters[0].title if self.chapters else ""
        for event in self.events:
            if event.kind == "section":
                section = event.title or ""
                continue
            lines.append(
                f"{clock_mm_ss(event.start_samples):>9}  {section[:24]:<24}  "
                f"{event.kind:<7}  {_describe(event)}".rstrip()
            )
        return "\n".join(lines)


def clock_mm_ss(samples: int) -> str:
    """mm:ss.s (minutes grow past 59 rather than wrapping into hours)."""
    tenths = round(samples * 10 / SAMPLE_RATE_HZ)
    return f"{tenths // 600:02d}:{tenths % 600 // 10:02d}.{tenths % 10}"


def _describe(event: Event) -> str:
    if event.text is not None:
        return event.text
    if event.kind == "tone":
        return f"{event.style} {event.phase}"
    if event.kind == "beat":
        return f"{event.phase}{' (accent)' if event.accent else ''}"
    if event.kind == "bell":
        return f"bell, rings {samples_to_float_s(event.length_samples):g} s"
    return ""
