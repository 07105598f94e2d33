"""One root exception for everything a user can cause or meet.

The CLI maps ``CoregError.exit_code`` to the process exit status; nothing else
in the package decides exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_VISIBLE_CONTROLS = {code: f"\\x{code:02x}" for code in range(32)} | {
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a script, at a 1-based line and column."""

    path: str
    line: int
    column: int
    message: str

    def __post_init__(self) -> None:
        """Keep every report on one line, whatever text of the author's it quotes."""
        one_line = self.message.translate(_VISIBLE_CONTROLS)
        object.__setattr__(self, "message", one_line)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: error: {self.message}"


class CoregError(Exception):
    """Root of every error coreg-audio reports to a user."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The plain lines to print on stderr."""
        return [f"error: {self}"]


class ScriptError(CoregError):
    """A script is invalid; carries every problem found, not only the first."""

    exit_code = 1

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.path, p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class VoiceNotFound(CoregError):
    """The script asks for a voice or language the speech engine does not have."""

    exit_code = 1


class UsageError(CoregError):
    """The command line asks for something that cannot be: a bad name, flag or path."""

    exit_code = 2


class OptionError(UsageError):
    """A value given for one run (not written in a script) cannot be used.

    ``option`` names it as the caller does (the command line: its flag, such
    as ``--rate``); ``value``, when given, is quoted before the ``reason``.
    """

    def __init__(self, option: str, reason: str, value: str | None = None) -> None:
        self.option = option
        self.reason = reason
        self.value = value
        shown = f"{option} {value}: {reason}" if value is not None else f"{option} {reason}"
        super().__init__(shown)

    def __reduce__(self) -> tuple[type[OptionError], tuple[str, str, str | None]]:
        return (OptionError, (self.option, self.reason, self.value))


class MissingComponent(CoregError):
    """The machine lacks something: a speech engine, the encoder, a sound device."""

    exit_code = 3


class RenderFailed(CoregError):
    """Audio could not be produced or written for a reason outside the script."""

    exit_code = 1
