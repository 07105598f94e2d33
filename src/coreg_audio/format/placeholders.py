"""``{name}`` placeholders in spoken text, with ``{{`` and ``}}`` for literal braces.

``{name|words}`` says the value of ``name`` when it has one (from ``params`` or
``--set``) and ``words`` when it has none, so a practice can speak to the
partners by name when names are given and still read as plain sentences when
they are not: ``"{a|One of you}, begin."`` is "Sam, begin." or "One of you, begin."
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_TOKEN_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class PlaceholderProblem:
    offset: int
    message: str


def _parts(inside: str) -> tuple[str, str | None]:
    """The name between the braces, and the words after its ``|`` (None without one)."""
    name, bar, words = inside.partition("|")
    return name.strip(), words.strip() if bar else None


def placeholder_problems(source: str, known: Mapping[str, str]) -> list[PlaceholderProblem]:
    """Every malformed or unknown placeholder in ``source``, with its character offset."""
    problems: list[PlaceholderProblem] = []
    for match in _TOKEN_RE.finditer(source):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        inside = match.group(1)
        if inside is None:
            problems.append(
                PlaceholderProblem(
                    match.start(),
                    f"a lone '{token}' in the text; write '{token * 2}' for a "
                    "literal brace, or '{name}' for a placeholder",
                )
            )
            continue
        name, words = _parts(inside)
        if not _NAME_RE.match(name):
            problems.append(
                PlaceholderProblem(
                    match.start(), f"'{token}' is not a placeholder: write a name such as {{a}}"
                )
            )
        elif name not in known and words is None:
            names = ", ".join(sorted(known)) or "none are defined"
            problems.append(
                PlaceholderProblem(
                    match.start(),
                    f"the placeholder {{{name}}} has no value; add it under 'params:', "
                    f"pass --set {name}=..., or write {{{name}|words}} to say words "
                    f"when no value is given (params: {names})",
                )
            )
    return problems


def fill(source: str, values: Mapping[str, str]) -> str:
    """``source`` with placeholders replaced; assumes ``placeholder_problems`` found none."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        inside = match.group(1)
        if inside is None:
            return token
        name, words = _parts(inside)
        if name in values:
            return values[name]
        return words if words is not None else token

    return _TOKEN_RE.sub(replace, source)
