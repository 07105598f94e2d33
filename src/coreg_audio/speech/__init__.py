"""Speech: engines, clip processing and the disk cache.

The names below are imported on first use: the pyttsx3 worker process imports
this package too, and should start without loading numpy and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .voice import VoiceSettings

if TYPE_CHECKING:
    from .cache import cache_dir, cache_size_bytes, clear_cache
    from .engine import SilentSpeech, UnknownEngine, VoiceInfo, VoiceNotFound
    from .speaker import ENGINES, Speaker, voices, voices_by_engine

_HOMES = {
    "ENGINES": "speaker",
    "Speaker": "speaker",
    "voices": "speaker",
    "voices_by_engine": "speaker",
    "SilentSpeech": "engine",
    "UnknownEngine": "engine",
    "VoiceInfo": "engine",
    "VoiceNotFound": "engine",
    "cache_dir": "cache",
    "cache_size_bytes": "cache",
    "clear_cache": "cache",
}

__all__ = [
    "ENGINES",
    "SilentSpeech",
    "Speaker",
    "UnknownEngine",
    "VoiceInfo",
    "VoiceNotFound",
    "VoiceSettings",
    "cache_dir",
    "cache_size_bytes",
    "clear_cache",
    "voices",
    "voices_by_engine",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
