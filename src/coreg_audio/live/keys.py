"""Single key presses from the terminal while a practice plays.

The terminal is put in cbreak mode (no echo, no line buffering) only while a
``Keys`` block runs, and its settings are put back on every way out. Ctrl-C
still raises ``KeyboardInterrupt``: cbreak keeps the terminal's signal keys.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import termios
import tty
from typing import Any, Literal, TextIO

Command = Literal["space", "pause", "restart", "next", "quit"]

KEY_COMMANDS: dict[str, Command] = {
    " ": "space",
    "p": "pause",
    "r": "restart",
    "n": "next",
    "q": "quit",
}
"""What each key does; letters work in either case."""

KEY_HELP = "space pause/resume · r restart step · n next section · q quit"
TAPPING_HELP = "space tap · p pause · n skip · q quit"
"""The keys while a tap step takes a partner's pace: space taps, p still pauses."""


def commands_in(typed: str) -> list[Command]:
    """The commands in a run of typed characters, in order; other keys are ignored.

    Escape sequences (arrow keys and the like) are dropped whole, so the letters
    inside them never act.
    """
    found: list[Command] = []
    index = 0
    while index < len(typed):
        char = typed[index]
        if char == "\x1b":
            index += 1
            if index < len(typed) and typed[index] in "[O":
                index += 1
                while index < len(typed) and not ("@" <= typed[index] <= "~"):
                    index += 1
            index += 1
            continue
        command = KEY_COMMANDS.get(char.lower())
        if command is not None:
            found.append(command)
        index += 1
    return found


class Keys:
    """Commands typed on a terminal; inactive (reads nothing) when stdin is not one."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdin
        self._fd: int | None = None
        self._saved: list[Any] | None = None

    @property
    def active(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> Keys:
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):
            return self
        if not os.isatty(fd):
            return self
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd, termios.TCSANOW)
        self._fd = fd
        return self

    def __exit__(self, *_: object) -> None:
        self.restore()

    def restore(self) -> None:
        """Put the terminal back as it was; safe to call more than once."""
        if self._fd is not None and self._saved is not None:
            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        self._fd = None
        self._saved = None

    def read(self, timeout_s: float) -> list[Command]:
        """The commands typed within ``timeout_s``; waits that long only when none are."""
        if self._fd is None:
            return []
        ready, _, _ = select.select([self._fd], [], [], timeout_s)
        if not ready:
            return []
        data = os.read(self._fd, 64)
        if not data:
            self.restore()
            return []
        return commands_in(data.decode("utf-8", errors="replace"))


__all__ = ["KEY_COMMANDS", "KEY_HELP", "TAPPING_HELP", "Command", "Keys", "commands_in"]
