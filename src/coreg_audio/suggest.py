"""Close matches for a mistyped word: the one "did you mean" of the whole package.

A key, a step kind, a voice, an ambience or a practice name that is nearly
right gets the same kind of hint wherever it is written.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

SUGGESTION_CUTOFF = 0.6
"""How alike a word and a choice must be (0-1) for "did you mean"."""
LISTING_CUTOFF = 0.5
"""Looser, for a list of several close matches to choose from."""


def close_matches(
    word: str,
    choices: Iterable[str],
    *,
    limit: int = 5,
    cutoff: float = LISTING_CUTOFF,
    ignore_case: bool = False,
) -> list[str]:
    """Up to ``limit`` of ``choices`` that look like ``word``, the closest first."""
    if not ignore_case:
        return difflib.get_close_matches(word, list(choices), n=limit, cutoff=cutoff)
    lowered = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=limit, cutoff=cutoff)
    return [lowered[match] for match in found]


def suggestion(word: str, choices: Iterable[str]) -> str:
    """A "; did you mean 'x'?" tail when one of ``choices`` is close to ``word``; else ""."""
    close = close_matches(word, choices, limit=1, cutoff=SUGGESTION_CUTOFF)
    return f"; did you mean '{close[0]}'?" if close else ""
