"""Checks that need the whole script: placeholders, voice names, files, the length cap.

All of them run before any audio is made, so a script that would run for days
is refused in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from ..errors import Problem, ScriptError
from ..names import UnusableName, file_kind
from ..suggest import suggestion
from ..time_text import h_mm_ss
from .model import Loc, Script, Step, Text, VoiceRef
from .placeholders import fill, placeholder_problems
from .sounds import BUILT_IN_AMBIENCES, ambience_path
from .steps import walk_steps

MAX_DURATION_S = 4 * 3600
MAX_EXPANDED_STEPS = 200_000


def validate(script: Script) -> None:
    """Raise ``ScriptError`` with every problem this stage finds."""
    problems = list(check(script))
    if problems:
        raise ScriptError(problems)


def check(script: Script, doubtful: frozenset[str] = frozenset()) -> Iterator[Problem]:
    """Problems of a model that reading let through; ``doubtful`` top-level keys are not leaned on.

    A script read with problems is checked too, so an author sees everything at
    once, but a placeholder is not blamed while ``params`` itself is wrong.
    """

    def at(loc: Loc, message: str) -> Problem:
        return Problem(script.display_path, loc.line, loc.column, message)

    texts = () if "params" in doubtful else spoken_texts(script.steps)
    for text, what in texts:
        for found in placeholder_problems(text.source, script.params):
            loc = Loc(text.loc.line, text.loc.column + found.offset) if text.verbatim else text.loc
            yield at(loc, f"in {what}: {found.message}")
        if not placeholder_problems(text.source, script.params):
            spoken = fill(text.source, script.params)
            if not any(ch.isalnum() for ch in spoken):
                yield at(
                    text.loc,
                    f"{what} has nothing to speak once its placeholders are filled ('{spoken}')",
                )
    for step in () if "voices" in doubtful else walk_steps(script.steps):
        for voice in step.voices():
            if isinstance(voice, VoiceRef) and voice.name not in script.voices:
                known = ", ".join(sorted(script.voices)) or "none are defined under 'voices:'"
                yield at(
                    voice.loc,
                    f"step {step.path} uses voice '{voice.name}', which is not "
                    f"defined{suggestion(voice.name, script.voices)} (voices: {known})",
                )
    if "ambience" not in doubtful:
        yield from _check_ambience(script)
    if "pattern" not in doubtful:
        reported: list[Problem] = []
        for step in walk_steps(script.steps):
            step.check(script, lambda loc, message: reported.append(at(loc, message)))
        yield from reported
    expanded = expanded_step_count(script.steps)
    if expanded > MAX_EXPANDED_STEPS:
        yield at(
            script.steps_loc,
            f"the steps expand to {expanded:,} steps once repeated; at most {MAX_EXPANDED_STEPS:,}",
        )
        return
    least_s = script.lead_s + script.tail_s + minimum_duration_s(script, script.steps)
    if least_s > MAX_DURATION_S:
        yield at(
            script.steps_loc,
            f"the practice would last at least {h_mm_ss(least_s)}; "
            f"at most {h_mm_ss(Fraction(MAX_DURATION_S))} is allowed",
        )


def _check_ambience(script: Script) -> Iterator[Problem]:
    ambience = script.ambience
    if ambience is None or ambience.is_none or ambience.sound in BUILT_IN_AMBIENCES:
        return
    loc = ambience.sound_loc or ambience.loc
    try:
        path = ambience_path(script)
        kind = file_kind(path) if path is not None else "file"
    except UnusableName as reason:
        message = f"ambience '{ambience.sound}' cannot be a file: {reason}"
        yield Problem(script.display_path, loc.line, loc.column, message)
        return
    if kind == "folder":
        message = f"ambience '{ambience.sound}' is a folder ({path}); give an audio file"
        yield Problem(script.display_path, loc.line, loc.column, message)
    elif kind == "missing":
        hint = suggestion(ambience.sound, BUILT_IN_AMBIENCES)
        message = (
            f"'{ambience.sound}' is neither a built-in ambience "
            f"({', '.join(BUILT_IN_AMBIENCES)}) nor a file next to the script "
            f"(looked for {path}){hint}"
        )
        yield Problem(script.display_path, loc.line, loc.column, message)


def spoken_texts(steps: tuple[Step, ...]) -> Iterator[tuple[Text, str]]:
    """Every text that will be spoken, once per place it is written (repeats not expanded)."""
    for step in walk_steps(steps):
        yield from step.texts()


def expanded_step_count(steps: tuple[Step, ...]) -> int:
    return sum(step.expanded_count() for step in steps)


def minimum_duration_s(script: Script, steps: tuple[Step, ...]) -> Fraction:
    """The steps' length with every spoken text taken as instantaneous: a lower bound."""
    return sum((step.least_s(script) for step in steps), Fraction(0))
