"""What coreg-audio says beyond its results and errors: the quiet lines of ``--verbose``."""

from __future__ import annotations

import logging
import sys

LOGGER = "coreg_audio"


def say_more(level: int = logging.INFO) -> None:
    """Print what coreg-audio logs at ``level`` and above on stderr, one plain line each.

    The quiet things (a damaged cache entry made again) are logged at INFO and
    printed only under ``--verbose``; a process a command starts calls this
    with the level its parent had.
    """
    root = logging.getLogger(LOGGER)
    root.setLevel(level)
    if not any(getattr(handler, "coreg_audio", False) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("coreg-audio: %(message)s"))
        handler.coreg_audio = True  # type: ignore[attr-defined]
        root.addHandler(handler)


def level() -> int:
    """The level this process prints at, for a process it starts to print the same."""
    return logging.getLogger(LOGGER).getEffectiveLevel()
