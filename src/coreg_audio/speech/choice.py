"""Which engine and voice speak an item: ``auto`` made concrete, a Piper voice made a file.

This runs before anything is keyed or cached, so cache keys, the ``render --all``
manifest and ``voices`` see the engine that speaks and the identity (a content
hash) of the voice file it speaks with, never the word ``auto``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from .piper_voices import (
    VOICES_ENV,
    VoiceFile,
    best_voice,
    engine_installed,
    find_voice,
    names_a_path,
    voice_digest,
)
from .voice import FALLBACK_ENGINE, VoiceSettings

AUTO = "auto"
PIPER = "piper"


def concrete(voice: VoiceSettings, folder: Path | None = None) -> VoiceSettings:
    """``voice`` with ``auto`` replaced by an engine and a Piper voice pinned to its file.

    ``auto`` speaks with the best installed Piper voice for the language (or the
    Piper voice ``name`` names), else with FALLBACK_ENGINE. A path in ``name`` is
    relative to ``folder`` (the script's). A Piper voice that cannot be found is
    left as written: the engine then reports it at the line that names it.
    """
    if voice.engine not in (AUTO, PIPER):
        return voice
    return _concrete(voice, folder, os.environ.get(VOICES_ENV, ""))


def forget_choices() -> None:
    """Choose again from the voices installed now (after one was added or removed)."""
    _concrete.cache_clear()


@lru_cache(maxsize=64)
def _concrete(voice: VoiceSettings, folder: Path | None, _voices_env: str) -> VoiceSettings:
    found = _piper_voice(voice, folder)
    if found is not None:
        by_path = voice.name is not None and names_a_path(voice.name)
        return replace(
            voice,
            engine=PIPER,
            name=str(found.model) if by_path else found.id,
            model=voice_digest(found),
        )
    if voice.engine == AUTO:
        return replace(voice, engine=FALLBACK_ENGINE)
    return voice


def _piper_voice(voice: VoiceSettings, folder: Path | None) -> VoiceFile | None:
    if not engine_installed():
        return None
    if voice.name is None:
        return best_voice(voice.language)
    return find_voice(voice.name, folder)
