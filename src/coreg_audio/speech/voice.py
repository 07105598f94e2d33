"""The resolved settings of one voice, as engines and the cache see them."""

from __future__ import annotations

from dataclasses import dataclass, replace

DEFAULT_ENGINE = "pyttsx3"
DEFAULT_RATE_WPM = 140
MAX_SPEEDUP = 1.25


@dataclass(frozen=True)
class VoiceSettings:
    """Everything that changes how a text sounds; part of every cache key.

    ``name`` is the engine's own voice id; ``None`` means the default voice for
    ``language``. ``pitch`` is 0-100 (``None``: the engine's default). Volume is
    not here: it is a gain applied in the mix, after loudness normalization.
    """

    engine: str = DEFAULT_ENGINE
    name: str | None = None
    language: str = "en"
    rate_wpm: int = DEFAULT_RATE_WPM
    pitch: int | None = None

    def faster(self, rate_wpm: int) -> VoiceSettings:
        return replace(self, rate_wpm=rate_wpm)


ENGINE_NAMES: tuple[str, ...] = ("pyttsx3", "espeak")
"""The engines a script may name; the speech package provides each."""
