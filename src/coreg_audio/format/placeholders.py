"""``{name}`` placeholders in spoken text, with ``{{`` and ``}}`` for literal braces."""

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


def placeholder_problems(source: str, known: Mapping[str, str]) -> list[PlaceholderProblem]:
    """Every malformed or unknown placeholder in ``source``, with its character offset."""
    problems: list[PlaceholderProblem] = []
    for match in _TOKEN_RE.finditer(source):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            problems.append(
                PlaceholderProblem(
                    match.start(),
                    f"a lone '{token}' in the text; write '{token * 2}' for a "
                    "literal brace, or '{name}' for a placeholder",
                )
            )
        elif not _NAME_RE.match(name.strip()):
            problems.append(
                PlaceholderProblem(
                    match.start(), f"'{token}' is not a placeholder: write a name such as {{a}}"
                )
            )
        elif name.strip() not in known:
            names = ", ".join(sorted(known)) or "none are defined"
            problems.append(
                PlaceholderProblem(
                    match.start(),
                    f"the placeholder {{{name.strip()}}} has no value; add it under "
                    f"'params:' or pass --set {name.strip()}=... (params: {names})",
                )
            )
    return problems


def fill(source: str, values: Mapping[str, str]) -> str:
    """``source`` with placeholders replaced; assumes ``placeholder_problems`` found none."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        return values[name.strip()] if name is not None else token

    return _TOKEN_RE.sub(replace, source)
