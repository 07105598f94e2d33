"""Place every event of a practice on the timeline, in exact time.

Times are ``Fraction`` seconds while the timeline is built and each event is
rounded to a sample once, so a thousand phases land where the arithmetic puts
them. The only thing the compiler needs from speech is each clip's length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, Protocol

from ..errors import CoregError, Problem, ScriptError, UsageError, VoiceNotFound
from ..format.model import (
    PHASES,
    Bell,
    Breathe,
    Loc,
    Pattern,
    Pause,
    PhaseName,
    Repeat,
    Rock,
    Say,
    Script,
    Section,
    Step,
    Text,
    Voice,
    VoiceRef,
    Walk,
)
from ..format.placeholders import fill
from ..format.validate import MAX_DURATION_S, ambience_path, clock, walk_steps
from ..speech.voice import DEFAULT_ENGINE, DEFAULT_RATE_WPM, MAX_SPEEDUP, VoiceSettings
from ..units import SAMPLE_RATE_HZ, samples_to_seconds, seconds_to_samples
from .events import (
    AmbienceBed,
    BeatEvent,
    BellEvent,
    BreathPhase,
    Chapter,
    CountEvent,
    CueEvent,
    Event,
    SectionEvent,
    SpeechEvent,
    Timeline,
    ToneEvent,
)

BEAT_S = Fraction(3, 10)
CHIME_S = Fraction(2)


class SpeechLengths(Protocol):
    """How long a text lasts when spoken; the real one synthesizes (through its cache)."""

    def length_samples(self, text: str, voice: VoiceSettings) -> int: ...


def compile_timeline(script: Script, speech: SpeechLengths) -> Timeline:
    """The timeline of a valid script; raises ``ScriptError`` when spoken items do not fit."""
    builder = _Builder(script, speech)
    builder.steps(script.steps)
    end_s = builder.t + script.tail_s
    if end_s > MAX_DURATION_S:
        builder.problem(
            script.steps_loc,
            f"the practice lasts {clock(end_s)}; at most "
            f"{clock(Fraction(MAX_DURATION_S))} is allowed",
        )
    builder.report_fit_problems()
    if builder.problems:
        raise ScriptError(builder.problems)
    duration_samples = seconds_to_samples(end_s)
    events = tuple(sorted(builder.events, key=lambda event: event.start_samples))
    return Timeline(
        title=script.title,
        author=script.author,
        summary=script.summary,
        duration_samples=duration_samples,
        events=events,
        chapters=chapters(script, events, duration_samples),
        ambience=ambience_bed(script),
        breaths=tuple(builder.breaths),
    )


def voice_settings(script: Script, chosen: Voice | VoiceRef | None) -> tuple[VoiceSettings, float]:
    """The settings a spoken item is synthesized with, and its volume (a mix gain)."""
    voice = script.voice
    if isinstance(chosen, VoiceRef):
        voice = script.voices[chosen.name].over(script.voice)
    elif isinstance(chosen, Voice):
        voice = chosen.over(script.voice)
    settings = VoiceSettings(
        engine=voice.engine or DEFAULT_ENGINE,
        name=voice.name,
        language=script.language,
        rate_wpm=voice.rate_wpm or DEFAULT_RATE_WPM,
        pitch=voice.pitch,
    )
    return settings, voice.volume if voice.volume is not None else 1.0


def voice_name_locs(script: Script) -> dict[str, Loc]:
    """Where each voice name is first written: the script's voice, then ``voices``, then says.

    Line 0 means the command line (``--voice``).
    """
    written = [script.voice, *script.voices.values()]
    written += [
        step.voice
        for step in walk_steps(script.steps)
        if isinstance(step, Say) and isinstance(step.voice, Voice)
    ]
    locs: dict[str, Loc] = {}
    for voice in written:
        if voice.name is not None:
            locs.setdefault(voice.name, voice.loc)
    return locs


def spoken_requests(script: Script) -> set[tuple[str, VoiceSettings]]:
    """Every (text, voice) the script speaks at its own rate, for synthesizing in one batch."""
    requests: set[tuple[str, VoiceSettings]] = set()
    cue_voice, _ = voice_settings(script, None)
    for step in walk_steps(script.steps):
        if isinstance(step, Say):
            settings, _ = voice_settings(script, step.voice)
            requests.add((fill(step.text.source, script.params), settings))
        elif isinstance(step, Breathe):
            first = step.first_pattern(script.pattern)
            last = step.to or first
            for phase in PHASES:
                cue = step.cues.of(phase)
                if cue is None or step.guide == 0:
                    continue
                requests.add((fill(cue.source, script.params), cue_voice))
                if step.count:
                    longest = max(first.phase_s(phase), last.phase_s(phase))
                    requests.update((str(k), cue_voice) for k in range(2, math.floor(longest) + 1))
        elif isinstance(step, Rock) and step.guide > 0:
            for cue in (step.left, step.right):
                if cue is not None:
                    requests.add((fill(cue.source, script.params), cue_voice))
    return requests


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


def chapters(
    script: Script, events: tuple[Event, ...], duration_samples: int
) -> tuple[Chapter, ...]:
    """Sections as chapters; what comes before the first one is a chapter named after the title."""
    sections = [event for event in events if isinstance(event, SectionEvent)]
    if not sections:
        return (Chapter(script.title, 0, duration_samples),)
    found: list[tuple[str, int]] = [(event.title, event.start_samples) for event in sections]
    if found[0][1] > seconds_to_samples(script.lead_s):
        found.insert(0, (script.title, 0))
    else:
        found[0] = (found[0][0], 0)
    ends = [start for _, start in found[1:]] + [duration_samples]
    return tuple(
        Chapter(title, start, end) for (title, start), end in zip(found, ends, strict=True)
    )


def ambience_bed(script: Script) -> AmbienceBed | None:
    ambience = script.ambience
    if ambience is None or ambience.is_none:
        return None
    path = ambience_path(script)
    return AmbienceBed(
        sound=str(path) if path is not None else ambience.sound,
        level_db=ambience.level_db,
        duck_db=ambience.duck_db,
        fade_in_samples=seconds_to_samples(
            ambience.fade_s if ambience.fade_s is not None else script.lead_s
        ),
        fade_out_samples=seconds_to_samples(
            ambience.fade_s if ambience.fade_s is not None else script.tail_s
        ),
    )


@dataclass(frozen=True)
class _Spoken:
    """A cue or count waiting for its slot to be known."""

    kind: Literal["cue", "count"]
    text: str
    start_s: Fraction
    phase_end_s: Fraction
    phase: str
    cycle: int
    source: Text | None


@dataclass
class _Unspeakable(Exception):
    """A clip could not be made; the problem is already recorded."""


@dataclass
class _FitFailure:
    loc: Loc
    message: str
    more: int = 0


@dataclass
class _Builder:
    script: Script
    speech: SpeechLengths
    t: Fraction = field(init=False)
    events: list[Event] = field(default_factory=list)
    breaths: list[BreathPhase] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _fits: dict[tuple[str, VoiceSettings, int], tuple[VoiceSettings, int] | None] = field(
        default_factory=dict
    )
    _failures: dict[tuple[str, str, str, str], _FitFailure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.t = self.script.lead_s
        self.cue_voice, self.cue_volume = voice_settings(self.script, None)
        self.voice_name_locs = voice_name_locs(self.script)

    def problem(self, loc: Loc, message: str) -> None:
        self.problems.append(Problem(self.script.display_path, loc.line, loc.column, message))

    def length(self, text: str, voice: VoiceSettings, loc: Loc) -> int:
        """The clip's length; a voice or text the engine refuses becomes a problem.

        An unknown voice is reported once, where its name is written (a voice
        chosen by language alone, at ``language``); anything else at ``loc``,
        the words.
        """
        try:
            return self.speech.length_samples(text, voice)
        except VoiceNotFound as error:
            named = self.voice_name_locs.get(voice.name, loc) if voice.name else None
            if named is not None and not named.line:
                raise UsageError(f"--voice {voice.name}: {error}") from None
            self.problem(named or self.script.language_loc, str(error))
        except CoregError as error:
            if error.exit_code != 1:
                raise
            self.problem(loc, str(error))
        raise _Unspeakable

    def steps(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            if isinstance(step, Say):
                self.say(step)
            elif isinstance(step, Pause):
                self.t += step.seconds
            elif isinstance(step, Section):
                at = seconds_to_samples(self.t)
                self.events.append(SectionEvent(at, at, step.path, title=step.title))
            elif isinstance(step, Bell):
                self.bell(step)
            elif isinstance(step, Breathe):
                self.breathe(step)
            elif isinstance(step, Rock):
                self.rock(step)
            elif isinstance(step, Walk):
                self.walk(step)
            elif isinstance(step, Repeat):
                for _ in range(step.times):
                    self.steps(step.steps)
            if self.problems and len(self.problems) > 200:
                return

    def say(self, step: Say) -> None:
        settings, volume = voice_settings(self.script, step.voice)
        text = fill(step.text.source, self.script.params)
        try:
            length = self.length(text, settings, step.text.loc)
        except _Unspeakable:
            return
        start = seconds_to_samples(self.t)
        self.events.append(
            SpeechEvent(start, start + length, step.path, text=text, voice=settings, volume=volume)
        )
        after = step.after_s if step.after_s is not None else self.script.gap_s
        self.t += samples_to_seconds(length) + after

    def bell(self, step: Bell) -> None:
        for strike in range(step.strikes):
            start_s = self.t + strike * step.every_s
            self.events.append(
                BellEvent(
                    seconds_to_samples(start_s),
                    seconds_to_samples(start_s + step.ring_s),
                    step.path,
                )
            )
        self.t += step.duration_s

    def breathe(self, step: Breathe) -> None:
        script = self.script
        first = step.first_pattern(script.pattern)
        last = step.to or first
        cycles = step.cycle_count(script.pattern)
        guide = cycles if step.guide is None else step.guide
        style = step.tone or script.tones.style
        spoken: list[_Spoken] = []
        for cycle in range(cycles):
            lengths = phase_lengths_s(first, last, cycle, cycles)
            for phase in PHASES:
                length_s = lengths[phase]
                if length_s == 0:
                    continue
                self.breaths.append(
                    BreathPhase(
                        phase,
                        seconds_to_samples(self.t),
                        seconds_to_samples(self.t + length_s),
                        step.path,
                        cycle + 1,
                    )
                )
                if style != "none" and phase != "rest":
                    tone_s = length_s if style == "glide" else min(length_s, CHIME_S)
                    self.events.append(
                        ToneEvent(
                            seconds_to_samples(self.t),
                            seconds_to_samples(self.t + tone_s),
                            step.path,
                            phase=phase,
                            cycle=cycle + 1,
                            style=style,
                            level_db=script.tones.level_db,
                            pitch_hz=script.tones.pitch_hz,
                        )
                    )
                cue = step.cues.of(phase)
                if cycle < guide and cue is not None:
                    end_s = self.t + length_s
                    spoken.append(
                        _Spoken(
                            "cue",
                            fill(cue.source, script.params),
                            self.t,
                            end_s,
                            phase,
                            cycle + 1,
                            cue,
                        )
                    )
                    if step.count:
                        spoken.extend(
                            _Spoken("count", str(k), self.t + k - 1, end_s, phase, cycle + 1, None)
                            for k in range(2, math.floor(length_s) + 1)
                        )
                self.t += length_s
        self.place_spoken(step.path, "breathe", step.loc, spoken)

    def rock(self, step: Rock) -> None:
        half_s = step.period_s / 2
        spoken: list[_Spoken] = []
        for cycle in range(step.cycles):
            for side, pan, offset_s, cue in (
                ("left", -step.pan, Fraction(0), step.left),
                ("right", step.pan, half_s, step.right),
            ):
                start_s = self.t + cycle * step.period_s + offset_s
                self.events.append(
                    BeatEvent(
                        seconds_to_samples(start_s),
                        seconds_to_samples(start_s + BEAT_S),
                        step.path,
                        phase=side,
                        cycle=cycle + 1,
                        pan=pan,
                        accent=None,
                    )
                )
                if cycle < step.guide and cue is not None:
                    spoken.append(
                        _Spoken(
                            "cue",
                            fill(cue.source, self.script.params),
                            start_s,
                            start_s + half_s,
                            side,
                            cycle + 1,
                            cue,
                        )
                    )
        self.t += step.duration_s
        self.place_spoken(step.path, "rock", step.loc, spoken)

    def walk(self, step: Walk) -> None:
        for index in range(step.steps):
            start_s = self.t + index * step.interval_s
            left = index % 2 == 0
            self.events.append(
                BeatEvent(
                    seconds_to_samples(start_s),
                    seconds_to_samples(start_s + BEAT_S),
                    step.path,
                    phase="left" if left else "right",
                    cycle=index + 1,
                    pan=-step.pan if left else step.pan,
                    accent=index % step.accent == 0,
                )
            )
        self.t += step.duration_s

    def place_spoken(self, path: str, kind: str, loc: Loc, spoken: list[_Spoken]) -> None:
        """Give each cue and count a clip that ends before the next one (or its phase) begins."""
        for index, item in enumerate(spoken):
            slot_end_s = spoken[index + 1].start_s if index + 1 < len(spoken) else item.phase_end_s
            at_phase_end = slot_end_s == item.phase_end_s
            start = seconds_to_samples(item.start_s)
            slot = seconds_to_samples(slot_end_s) - start
            where = item.source.loc if item.source is not None and item.source.loc.line else loc
            try:
                fitted = self.fit(item.text, slot, where)
            except _Unspeakable:
                continue
            if fitted is None:
                self.fit_failure(path, kind, where, item, slot, at_phase_end)
                continue
            voice, length = fitted
            made = CueEvent if item.kind == "cue" else CountEvent
            self.events.append(
                made(
                    start,
                    start + length,
                    path,
                    text=item.text,
                    phase=item.phase,
                    cycle=item.cycle,
                    voice=voice,
                    volume=self.cue_volume,
                )
            )

    def fit(self, text: str, slot: int, loc: Loc) -> tuple[VoiceSettings, int] | None:
        """The voice (sped up by at most MAX_SPEEDUP) whose clip of ``text`` fits ``slot``."""
        key = (text, self.cue_voice, slot)
        if key in self._fits:
            return self._fits[key]
        base = self.cue_voice
        length = self.length(text, base, loc)
        result: tuple[VoiceSettings, int] | None = (base, length) if length <= slot else None
        fastest = math.floor(base.rate_wpm * MAX_SPEEDUP)
        rate = base.rate_wpm
        for _ in range(3):
            if result is not None or rate >= fastest:
                break
            rate = min(fastest, max(rate + 1, math.ceil(rate * length / max(slot, 1))))
            faster = base.faster(rate)
            length = self.length(text, faster, loc)
            if length <= slot:
                result = (faster, length)
        self._fits[key] = result
        return result

    def fit_failure(
        self, path: str, kind: str, loc: Loc, item: _Spoken, slot: int, at_phase_end: bool
    ) -> None:
        key = (path, item.phase, item.kind, item.text)
        if key in self._failures:
            self._failures[key].more += 1
            return
        base = self.speech.length_samples(item.text, self.cue_voice)
        fastest = self.cue_voice.faster(math.floor(self.cue_voice.rate_wpm * MAX_SPEEDUP))
        quickest = self.speech.length_samples(item.text, fastest)
        what = "cue" if item.kind == "cue" else "count"
        where = "before its phase ends" if at_phase_end else "before the next spoken item"
        message = (
            f"step {path} ({kind}), cycle {item.cycle}, {item.phase}: the {what} "
            f"'{item.text}' needs {_s(base)} ({_s(quickest)} spoken {MAX_SPEEDUP:g}x "
            f"faster) but has {_s(slot)} {where}; lengthen the phase, shorten the "
            "words or raise the voice's rate"
        )
        self._failures[key] = _FitFailure(loc, message)

    def report_fit_problems(self) -> None:
        for failure in self._failures.values():
            more = (
                f" (and the same in {failure.more} more cycle{'s' if failure.more > 1 else ''})"
                if failure.more
                else ""
            )
            self.problem(failure.loc, failure.message + more)


def _s(samples: int) -> str:
    return f"{samples / SAMPLE_RATE_HZ:.2f} s"
