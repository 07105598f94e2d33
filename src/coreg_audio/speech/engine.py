"""What every speech engine offers, how a voice is chosen, and the errors speech can raise.

Engines return raw audio at their own sample rate; trimming, resampling and
loudness are the job of ``clips.py`` so that every engine's clips line up alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .. import errors
from ..audio.decode import read_pcm_file
from ..errors import CoregError, RenderFailed, UsageError
from ..suggest import close_matches
from .voice import VoiceSettings, language_then_base, normalize_language

VARIANT_LANGUAGE = "variant"
"""espeak-ng lists its voice variants ("f3", "klatt", ...) under this language."""

DEFAULT_VOICE_FOR_LANGUAGE = {"en": "en-us"}
"""Overrides of the engine's own choice of voice for a bare language code.

espeak-ng would pick en-gb for "en". en-us is chosen instead: it is the accent
most listeners of English guided audio expect, and espeak-ng's en-us speaks
numbers and short cue words as clearly as en-gb does. Cache keys hold the voice
as the script names it, so a change here must bump ``clips.PROCESSING_VERSION``.
"""

NEEDS_ESPEAK = "sudo apt-get install espeak-ng libespeak-ng1"


class VoiceNotFound(errors.VoiceNotFound):
    """The engine has no voice for a script's `voice` (or no such engine exists).

    ``voice`` lets the compiler point at every script line that uses it.
    """

    exit_code = 1

    def __init__(self, voice: VoiceSettings, message: str) -> None:
        self.voice = voice
        super().__init__(message)


class SilentSpeech(CoregError):
    """An engine made no audible sound for a text (for example, only punctuation)."""

    exit_code = 1

    def __init__(self, text: str, message: str) -> None:
        self.text = text
        super().__init__(message)


class UnknownEngine(UsageError):
    """A speech engine name that coreg-audio does not offer."""


@dataclass(frozen=True)
class VoiceInfo:
    """One voice as an engine lists it, for `coreg-audio voices` and for voice lookup.

    ``priorities`` runs parallel to ``languages``: the engine's preference of this
    voice for that language, lower first (espeak-ng's numbers; 5 when unknown).
    ``source`` says where a voice that is a file was found.
    """

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None = None
    priorities: tuple[int, ...] = ()
    source: str | None = None

    @property
    def is_variant(self) -> bool:
        return VARIANT_LANGUAGE in self.languages

    def priority(self, language: str) -> int:
        index = self.languages.index(language)
        return self.priorities[index] if index < len(self.priorities) else 5


@dataclass(frozen=True)
class EngineAudio:
    """What an engine returns: mono float samples in [-1, 1] at the engine's own rate."""

    samples: np.ndarray
    sample_rate_hz: int


class SpeechEngine(Protocol):
    """A text-to-speech engine. Engines may hold a process; ``close`` releases it."""

    @property
    def name(self) -> str: ...

    def version(self) -> str:
        """Everything that changes the engine's sound; part of every cache key. Cheap."""
        ...

    def voices(self) -> list[VoiceInfo]: ...

    def synthesize(self, text: str, voice: VoiceSettings) -> EngineAudio:
        """Speak ``text``; raises VoiceNotFound for a voice the engine lacks."""
        ...

    def close(self) -> None: ...


def resolve_voice(voices: Sequence[VoiceInfo], settings: VoiceSettings) -> str:
    """The voice spec to hand the engine: a voice id, or ``ID+VARIANT`` for espeak-ng variants.

    A name matches a voice's id, the last part of its id, its first language or its
    name, ignoring case; ``None`` picks the default voice for ``settings.language``.
    """
    if settings.name is None:
        return _default_voice(voices, settings)
    base, _, variant_name = settings.name.partition("+")
    voice = _voice_by_name([v for v in voices if not v.is_variant], base)
    if voice is None:
        raise VoiceNotFound(settings, _not_found(settings, base, voices, variants=False))
    if not variant_name:
        return voice.id
    variant = _voice_by_name([v for v in voices if v.is_variant], variant_name)
    if variant is None:
        raise VoiceNotFound(settings, _not_found(settings, variant_name, voices, variants=True))
    return f"{voice.id}+{variant.id.rsplit('/', 1)[-1]}"


def _voice_by_name(voices: Sequence[VoiceInfo], name: str) -> VoiceInfo | None:
    """Ids first, then the last part of ids, first languages and names: as espeak-ng's -v."""
    wanted = name.strip().lower()
    spellings = [
        (
            v.id.lower(),
            v.id.rsplit("/", 1)[-1].lower(),
            v.languages[0] if v.languages else "",
            v.name.lower(),
        )
        for v in voices
    ]
    for rank in range(4):
        for voice, spelled in zip(voices, spellings, strict=True):
            if spelled[rank] == wanted:
                return voice
    return None


def _default_voice(voices: Sequence[VoiceInfo], settings: VoiceSettings) -> str:
    """The engine's voice for the language; for a code with a region (de-at) that no voice
    speaks, the voice for its base language."""
    speaking = [v for v in voices if not v.is_variant]
    for language in language_then_base(settings.language):
        found = _voice_for_language(speaking, language)
        if found is not None:
            return found.id
    language = normalize_language(settings.language)
    known = sorted({lang for v in speaking for lang in v.languages})
    close = close_matches(language, known)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    raise VoiceNotFound(
        settings,
        f"no {settings.engine} voice speaks language {settings.language!r}{hint} "
        f"(see: coreg-audio voices --engine {settings.engine})",
    )


def _voice_for_language(speaking: Sequence[VoiceInfo], language: str) -> VoiceInfo | None:
    preferred = DEFAULT_VOICE_FOR_LANGUAGE.get(language)
    if preferred is not None:
        voice = _voice_by_name(speaking, preferred)
        if voice is not None:
            return voice
    candidates = [
        (lang != language, v.priority(lang), index, v)
        for index, v in enumerate(speaking)
        for lang in v.languages
        if lang == language or lang.startswith(language + "-")
    ]
    return min(candidates, key=lambda c: c[:3])[3] if candidates else None


def _not_found(
    settings: VoiceSettings, wanted: str, voices: Sequence[VoiceInfo], *, variants: bool
) -> str:
    pool = [v for v in voices if v.is_variant == variants]
    names: list[str] = []
    for v in pool:
        names.append(v.id.rsplit("/", 1)[-1] if variants else v.id)
        if not variants and v.languages:
            names.append(v.languages[0])
    close = close_matches(wanted, names, ignore_case=True)
    kind = "voice variant" if variants else "voice"
    hint = f"; close matches: {', '.join(close)}" if close else ""
    return (
        f"no {settings.engine} {kind} {wanted!r}{hint} "
        f"(see: coreg-audio voices --engine {settings.engine})"
    )


def decode_audio_file(path: Path) -> EngineAudio:
    """Read an engine's WAV or AIFF file with the project's decoder, as mono float."""
    try:
        samples, sample_rate_hz = read_pcm_file(path)
    except Exception as exc:
        raise RenderFailed(f"cannot read the speech engine's audio {path.name}: {exc}") from exc
    mono = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
    return EngineAudio(samples=mono.astype(np.float32), sample_rate_hz=sample_rate_hz)
