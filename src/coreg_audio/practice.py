"""The library's front door: load, validate and compile a practice.

The CLI is a thin layer over these calls (and ``render`` for audio); everything
it can report comes out as a ``CoregError``. Nothing here imports the audio
stack, so checking a script starts in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import speech
from .errors import CoregError, OptionError, Problem, ScriptError
from .format.loader import Document, read_script_file
from .format.model import Script
from .format.overrides import Overrides
from .format.reader import read_partial
from .format.sounds import ambience_path
from .format.validate import check, validate
from .library import Found, available, resolve
from .names import UnusableName
from .speech.estimate import estimated_length_samples
from .speech.voice import VoiceSettings
from .timeline.compile import compile_timeline, spoken_requests
from .timeline.events import SectionEvent, Timeline
from .units import samples_to_float_s

if TYPE_CHECKING:
    from .speech import Speaker

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total) as work advances."""
DEFAULT_SEED = 1
"""The seed of generated ambience when none is given, so renders repeat exactly."""


def load(ref: str, overrides: Overrides | None = None) -> Script:
    """The valid script ``ref`` names (a path or a name), with ``overrides`` applied."""
    found = resolve(ref)
    return load_found(found, overrides)


def load_found(found: Found, overrides: Overrides | None = None) -> Script:
    return checked_script(read_script_file(found.path, str(found.path)), found.name, overrides)


def checked_script(document: Document, name: str, overrides: Overrides | None = None) -> Script:
    """The valid script ``document`` holds; a ``ScriptError`` with every problem of both stages."""
    reading = read_partial(document, name)
    script = reading.script
    if script is not None and overrides is not None:
        script = overrides.apply(script)
    if script is None or reading.problems:
        later = check(script, reading.doubtful) if script is not None else ()
        raise ScriptError([*reading.problems, *later])
    validate(script)
    return script


class ClipLengths:
    """Speech lengths from a ``Speaker``'s clips."""

    def __init__(self, voice: Speaker) -> None:
        self._voice = voice

    def length_samples(self, text: str, voice: VoiceSettings) -> int:
        return int(self._voice.clip(text, voice).shape[0])


class _ListedLengths:
    """Exact lengths where the speech is cached, estimated where it is not (and counted)."""

    def __init__(self, voice: Speaker) -> None:
        self._voice = voice
        self.estimated = 0

    def length_samples(self, text: str, voice: VoiceSettings) -> int:
        clip = self._voice.cached(text, voice)
        if clip is not None:
            return int(clip.shape[0])
        self.estimated += 1
        return estimated_length_samples(text, self._voice.concrete(voice))


def listed_timeline(script: Script, voice: Speaker) -> tuple[Timeline, bool]:
    """The timeline ``list`` measures, at once: the second is True where a length is estimated.

    A cue that does not fit at its estimated length may fit at its real one,
    so only then is the speech synthesized, and the length exact.
    """
    lengths = _ListedLengths(voice)
    try:
        return compile_timeline(script, lengths), lengths.estimated > 0
    except ScriptError:
        if not lengths.estimated:
            raise
    return build_timeline(script, voice), False


def build_timeline(
    script: Script, voice: Speaker, progress: Progress | None = None, *, live: bool = False
) -> Timeline:
    """Synthesize (or fetch from the cache) every spoken item, then place every event.

    ``live``: for a play where partners tap (see ``compile_timeline``).
    """
    requests = sorted(spoken_requests(script), key=lambda item: (item[0], repr(item[1])))

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress("speech", done, total)

    voice.prepare(requests, report)
    return compile_timeline(script, ClipLengths(voice), live=live)


def timeline_of(script: Script, progress: Progress | None = None) -> Timeline:
    with speech.Speaker() as voice:
        return build_timeline(script, voice, progress)


@dataclass(frozen=True)
class Listing:
    """One practice on the search path, as ``list`` shows it."""

    name: str
    path: Path
    origin: str
    title: str
    duration_samples: int | None
    sections: int
    problem: str | None = None
    estimated: bool = False
    """Whether the length is estimated: some of its speech is not synthesized yet."""

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "duration": (
                samples_to_float_s(self.duration_samples)
                if self.duration_samples is not None
                else None
            ),
            "estimated": self.estimated,
            "sections": self.sections,
            "path": str(self.path),
            "origin": self.origin,
            "valid": self.problem is None,
        }


def list_practices(progress: Progress | None = None) -> list[Listing]:
    """Every practice on the search path with its length; invalid ones say so.

    Lengths are exact where the speech is cached and estimated where it is not
    (``Listing.estimated``), so nothing is synthesized and the list comes at once.
    """
    listings: list[Listing] = []
    everything = available()
    with speech.Speaker() as voice:
        for done, found in enumerate(everything):
            if progress is not None:
                progress("practices", done, len(everything))
            try:
                script = load_found(found)
                timeline, estimated = listed_timeline(script, voice)
            except CoregError as error:
                first = error.lines()[0] if error.lines() else str(error)
                listings.append(
                    Listing(
                        found.name,
                        found.path,
                        found.origin,
                        "(invalid; see 'coreg-audio validate')",
                        None,
                        0,
                        first,
                    )
                )
                continue
            sections = sum(1 for event in timeline.events if isinstance(event, SectionEvent))
            listings.append(
                Listing(
                    found.name,
                    found.path,
                    found.origin,
                    timeline.title,
                    timeline.duration_samples,
                    sections,
                    estimated=estimated,
                )
            )
    if progress is not None:
        progress("practices", len(everything), len(everything))
    return listings


def check_ambience(script: Script) -> None:
    """Read an ambience file now (or find its loop in the cache): a problem at its ``sound`` line.

    It must decode, have sound and not be absurdly long; given for one run
    (``--ambience``), its problem is an ``OptionError`` naming the option.
    """
    ambience = script.ambience
    path = ambience_path(script)
    if ambience is None or path is None:
        return
    from .audio.ambience import from_file
    from .audio.ambience_file import UnusableAmbience

    try:
        from_file(path).prepare()
    except UnusableAmbience as error:
        loc = ambience.sound_loc or ambience.loc
        if loc.is_given:
            raise OptionError(loc.option, error.reason, ambience.sound) from None
        message = f"ambience '{ambience.sound}' {error.reason}"
        raise ScriptError([Problem(script.display_path, loc.line, loc.column, message)]) from None


def check_script(ref: str, progress: Progress | None = None) -> list[str]:
    """Every problem of one script, as printable lines; empty when it is valid.

    The fit check needs the speech: it is synthesized on every core, reported
    as ("speech", done, total).
    """
    found = resolve(ref)
    problems: list[Problem] = []
    script: Script | None = None
    try:
        script = load_found(found)
        try:
            check_ambience(script)
        except ScriptError as error:
            problems += error.problems
        with speech.Speaker() as voice:
            build_timeline(script, voice, progress)
    except ScriptError as error:
        problems += error.problems
        if script is None:
            problems += _fit_problems(found, error, progress)
    return ScriptError(problems).lines()


TIMING_KEYS = frozenset({"voice", "voices", "params", "pattern", "tones"})
"""Top-level keys that change when spoken items start or how long they last."""


def _without_steps_at(script: Script, lines: set[int]) -> Script:
    """``script`` without the steps that hold a problem's line: what is left is valid itself.

    A step runs from its first line to the next step's; a step's slots for speech
    lie inside it, so leaving out others does not change whether its words fit.
    """
    starts = [step.loc.line for step in script.steps]
    ends = [*starts[1:], max(lines, default=0) + 1][: len(starts)]
    kept = tuple(
        step
        for step, start, end in zip(script.steps, starts, ends, strict=True)
        if not any(start <= line < max(end, start + 1) for line in lines)
    )
    return replace(script, steps=kept)


def _fit_problems(found: Found, error: ScriptError, progress: Progress | None) -> list[Problem]:
    """What the fit check finds in the parts of an invalid script that are valid themselves.

    The script as read leaves out or defaults what was wrong; its speech is
    synthesized and placed, and each problem found where none was already
    reported is kept. Where a setting that changes the timing is itself in
    doubt, nothing is checked: the fit would be measured against a guess.
    """
    try:
        reading = read_partial(read_script_file(found.path, str(found.path)), found.name)
    except CoregError:
        return []
    if reading.script is None or reading.doubtful & TIMING_KEYS:
        return []
    told = {(problem.line, problem.column) for problem in error.problems}
    script = _without_steps_at(reading.script, {problem.line for problem in error.problems})
    if not script.steps:
        return []
    try:
        with speech.Speaker() as voice:
            build_timeline(script, voice, progress)
    except ScriptError as fits:
        return [problem for problem in fits.problems if (problem.line, problem.column) not in told]
    except (CoregError, UnusableName):
        return []  # a part the check leans on (a voice, a file) was reported already
    return []


__all__ = ["CoregError", "build_timeline", "check_script", "list_practices", "load", "timeline_of"]
