"""The resolved settings of one voice, as engines and the cache see them."""

from __future__ import annotations

from dataclasses import dataclass, replace

DEFAULT_ENGINE = "auto"
"""Not an engine: the most natural installed voice for the language (``choice.concrete``)."""
FALLBACK_ENGINE = "pyttsx3"
"""What ``auto`` speaks with where no natural voice speaks the language."""
DEFAULT_RATE_WPM = 140
MAX_SPEEDUP = 1.25


@dataclass(frozen=True)
class VoiceSettings:
    """Everything that changes how a text sounds; part of every cache key.

    ``name`` is the engine's own voice id (for Piper, a voice id or the path of its
    ``.onnx``); ``None`` means the default voice for ``language``. ``pitch`` is
    0-100 (``None``: the engine's default). ``model`` is the content hash of a
    Piper voice's files, so caches follow the file, not its name. Volume is not
    here: it is a gain applied in the mix, after loudness normalization.
    """

    engine: str = DEFAULT_ENGINE
    name: str | None = None
    language: str = "en"
    rate_wpm: int = DEFAULT_RATE_WPM
    pitch: int | None = None
    model: str | None = None

    def faster(self, rate_wpm: int) -> VoiceSettings:
        return replace(self, rate_wpm=rate_wpm)


def normalize_language(code: str) -> str:
    """Spell a language code as espeak-ng lists it: "en_US" and "EN-us" become "en-us"."""
    return code.strip().replace("_", "-").lower()


def language_then_base(code: str) -> tuple[str, ...]:
    """A code, normalized, then its base language if it has a region: "de-AT" gives de-at, de.

    What speaks or says a code with a region where nothing has the region's own.
    """
    language = normalize_language(code)
    return tuple(dict.fromkeys((language, language.split("-", 1)[0])))


ENGINE_NAMES: tuple[str, ...] = ("auto", "piper", "pyttsx3", "espeak")
"""The engines a script may name, the default first; the speech package provides each."""
