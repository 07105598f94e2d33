"""Place every event of a practice on the timeline, in exact time.

Times are ``Fraction`` seconds while the timeline is built and each event is
rounded to a sample once, so a thousand phases land where the arithmetic puts
them. The only thing the compiler needs from speech is each clip's length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

from ..errors import CoregError, OptionError, Problem, ScriptError, VoiceNotFound
from ..format.model import Loc, Pattern, Script, Step, Text, Voice, VoiceRef
from ..format.placeholders import fill
from ..format.sounds import ambience_path
from ..format.steps import walk_steps
from ..format.validate import MAX_DURATION_S
from ..format.voices import ENGINE, RATE, VOLUME
from ..speech.choice import concrete
from ..speech.voice import MAX_SPEEDUP, VoiceSettings
from ..time_text import h_mm_ss, seconds_2dp
from ..units import seconds_to_samples
from .events import (
    AmbienceBed,
    BreathPhase,
    Chapter,
    CountEvent,
    CueEvent,
    Event,
    MovePhase,
    SectionEvent,
    SpeechEvent,
    SpeechOverEvent,
    Timeline,
)
from .placer import Pending, TapResult

_PHASE_SETTING = {"breathe": "the step's 'pattern'", "rock": "'period'", "walk": "'pace'"}
"""The setting that sets how long a phase of each step kind lasts, for fit messages."""


class SpeechLengths(Protocol):
    """How long a text lasts when spoken; the real one synthesizes (through its cache)."""

    def length_samples(self, text: str, voice: VoiceSettings) -> int: ...


def compile_timeline(
    script: Script,
    speech: SpeechLengths,
    taps: Mapping[int, TapResult] | None = None,
    *,
    live: bool = False,
    strict: bool = True,
) -> Timeline:
    """The timeline of a valid script; raises ``ScriptError`` when spoken items do not fit.

    ``taps`` says how tap steps went in a live play, by their number as they play;
    any other tap step lasts ``breaths`` cycles of ``meet`` (``live``: the two
    cycles after which nobody has tapped) and meets the script's met pace. A tap
    step changes nothing before it, so a live play compiles the whole practice
    again with each new result and the two agree up to there. Not ``strict``
    (a pace tapped live), words that do not fit are left unsaid.
    """
    builder = _Builder(script, speech, dict(taps or {}), live)
    builder.play(script.steps)
    end_s = builder.now_s + script.tail_s
    if end_s > MAX_DURATION_S:
        builder.problem(
            script.steps_loc,
            f"the practice lasts {h_mm_ss(end_s)}; at most "
            f"{h_mm_ss(Fraction(MAX_DURATION_S))} is allowed",
        )
    builder.report_fit_problems()
    if builder.problems and strict:
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
        moves=tuple(builder.moves),
    )


def voice_settings(script: Script, chosen: Voice | VoiceRef | None) -> tuple[VoiceSettings, float]:
    """The settings a spoken item is synthesized with, and its volume (a mix gain)."""
    voice = script.voice
    if isinstance(chosen, VoiceRef):
        voice = script.voices[chosen.name].over(script.voice)
    elif isinstance(chosen, Voice):
        voice = chosen.over(script.voice)
    settings = VoiceSettings(
        engine=voice.engine or ENGINE.fallback,
        name=voice.name,
        language=script.language,
        rate_wpm=voice.rate_wpm or RATE.fallback,
        pitch=voice.pitch,
    )
    return concrete(settings, script.folder), (
        voice.volume if voice.volume is not None else VOLUME.fallback
    )


def voice_name_locs(script: Script) -> dict[str, Loc]:
    """Where each voice name is first written: the script's voice, then ``voices``, then steps.

    A name given for the run (``Loc.given``) is where its option says.
    """
    written = [script.voice, *script.voices.values()]
    written += [
        voice
        for step in walk_steps(script.steps)
        for voice in step.voices()
        if isinstance(voice, Voice)
    ]
    locs: dict[str, Loc] = {}
    for voice in written:
        if voice.name is not None:
            locs.setdefault(voice.name, voice.loc)
    return locs


def spoken_requests(script: Script) -> set[tuple[str, VoiceSettings]]:
    """Every (text, voice) the script speaks at its own rate, for synthesizing in one batch."""
    requests: set[tuple[str, VoiceSettings]] = set()
    for step in walk_steps(script.steps):
        for source, voice in step.utterances(script):
            settings, _ = voice_settings(script, voice)
            requests.add((fill(source, script.params), settings))
    return requests


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
    """The timeline being built; each step kind places itself through it (``Placer``)."""

    script: Script
    speech: SpeechLengths
    taps: dict[int, TapResult] = field(default_factory=dict)
    live: bool = False
    now_s: Fraction = field(init=False)
    met: Pattern = field(init=False)
    events: list[Event] = field(default_factory=list)
    breaths: list[BreathPhase] = field(default_factory=list)
    moves: list[MovePhase] = field(default_factory=list)
    taps_placed: int = 0
    problems: list[Problem] = field(default_factory=list)
    _fits: dict[tuple[str, VoiceSettings, int], tuple[VoiceSettings, int] | None] = field(
        default_factory=dict
    )
    _failures: dict[tuple[str, str, str, str, str], _FitFailure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.now_s = self.script.lead_s
        self.met = self.script.met_pattern
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
            if named is not None and named.is_given:
                raise OptionError(named.option, str(error), voice.name) from None
            self.problem(named or self.script.language_loc, str(error))
        except CoregError as error:
            if error.exit_code != 1:
                raise
            self.problem(loc, str(error))
        raise _Unspeakable

    def add(self, event: Event) -> None:
        self.events.append(event)

    def breath(self, phase: BreathPhase) -> None:
        self.breaths.append(phase)

    def move(self, phase: MovePhase) -> None:
        self.moves.append(phase)

    def next_tap(self) -> tuple[int, TapResult | None]:
        occurrence = self.taps_placed
        self.taps_placed += 1
        return occurrence, self.taps.get(occurrence)

    def play(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            step.place(self)
            if self.problems and len(self.problems) > 200:
                return

    def speak(self, path: str, text: Text, voice: Voice | VoiceRef | None) -> int | None:
        settings, volume = voice_settings(self.script, voice)
        words = fill(text.source, self.script.params)
        try:
            length = self.length(words, settings, text.loc)
        except _Unspeakable:
            return None
        start = seconds_to_samples(self.now_s)
        self.add(
            SpeechEvent(start, start + length, path, text=words, voice=settings, volume=volume)
        )
        return length

    def cues(self, path: str, kind: str, loc: Loc, pending: list[Pending]) -> None:
        """Give each cue, count and item a clip that ends before the next one begins.

        With nothing spoken after it in its step, a cue or count must end
        before its phase does, an item before the step does.
        """
        pending = sorted(pending, key=lambda item: item.start_s)
        for index, item in enumerate(pending):
            last = index + 1 == len(pending)
            slot_end_s = item.until_s if last else pending[index + 1].start_s
            at_end = slot_end_s == item.until_s
            start = seconds_to_samples(item.start_s)
            slot = seconds_to_samples(slot_end_s) - start
            written = item.source is not None and item.source.loc.in_file
            where = item.source.loc if item.source is not None and written else loc
            base, volume = (
                voice_settings(self.script, item.voice)
                if item.kind == "say"
                else (self.cue_voice, self.cue_volume)
            )
            try:
                fitted = self.fit(item.text, slot, where, base)
            except _Unspeakable:
                continue
            if fitted is None:
                after = None if last else pending[index + 1].kind
                self.fit_failure(path, kind, where, item, slot, at_end, base, after)
                continue
            voice, length = fitted
            made = {"say": SpeechOverEvent, "cue": CueEvent, "count": CountEvent}[item.kind]
            self.events.append(
                made(
                    start,
                    start + length,
                    path,
                    text=item.text,
                    phase=item.phase,
                    cycle=item.cycle,
                    voice=voice,
                    volume=volume,
                )
            )

    def fit(
        self, text: str, slot: int, loc: Loc, base: VoiceSettings
    ) -> tuple[VoiceSettings, int] | None:
        """``base``, sped up by at most MAX_SPEEDUP, so that its clip of ``text`` fits ``slot``."""
        key = (text, base, slot)
        if key in self._fits:
            return self._fits[key]
        length = self.length(text, base, loc)
        result: tuple[VoiceSettings, int] | None = (base, length) if length <= slot else None
        fastest = math.floor(base.rate_wpm * MAX_SPEEDUP)
        rate = base.rate_wpm
        for attempt in range(3):
            if result is not None or rate >= fastest:
                break
            # A clip's length is not quite proportional to the rate (Piper's least of all):
            # the last try is the fastest allowed, so whatever fits at 1.25x is found.
            guess = max(rate + 1, math.ceil(rate * length / max(slot, 1)))
            rate = fastest if attempt == 2 else min(fastest, guess)
            faster = base.faster(rate)
            length = self.length(text, faster, loc)
            if length <= slot:
                result = (faster, length)
        self._fits[key] = result
        return result

    def fit_failure(
        self,
        path: str,
        kind: str,
        loc: Loc,
        item: Pending,
        slot: int,
        at_end: bool,
        base: VoiceSettings,
        after: str | None = None,
    ) -> None:
        """Keep the problem of ``item`` (once per step and phase), saying which setting makes
        its slot short: the count that follows it, or the length of its phase."""
        key = (path, item.phase, item.kind, item.text, item.label)
        if key in self._failures:
            if item.kind != "say":
                self._failures[key].more += 1
            return
        needs = self.speech.length_samples(item.text, base)
        fastest = base.faster(math.floor(base.rate_wpm * MAX_SPEEDUP))
        quickest = self.speech.length_samples(item.text, fastest)
        if item.kind == "say":
            where = "before the step ends" if at_end else "before the step's next spoken words"
            message = (
                f"{item.label}: the words '{item.text}' need {seconds_2dp(needs)} "
                f"({seconds_2dp(quickest)} spoken {MAX_SPEEDUP:g}x faster) but have "
                f"{seconds_2dp(slot)} {where}; start them earlier, shorten them or raise the "
                "voice's rate"
            )
        else:
            what = "cue" if item.kind == "cue" else "count"
            length = _PHASE_SETTING.get(kind, "the phase")
            if at_end:
                where = "before its phase ends"
                fix = f"lengthen the {item.phase} phase ({length}), shorten the words"
            elif after == "count":
                where = "before the next count, which 'count: true' speaks on each whole second"
                fix = f"set 'count: false', lengthen the {item.phase} phase ({length})"
                fix += ", shorten the words" if item.kind == "cue" else ""
            else:
                where = "before the next spoken item"
                fix = f"lengthen the {item.phase} phase ({length}), shorten the words"
            message = (
                f"step {path} ({kind}), cycle {item.cycle}, {item.phase}: the {what} "
                f"'{item.text}' needs {seconds_2dp(needs)} ({seconds_2dp(quickest)} spoken "
                f"{MAX_SPEEDUP:g}x faster) but has {seconds_2dp(slot)} {where}; {fix} or "
                "raise the voice's rate"
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
