"""Finished speech clips on disk, so a second render of a script does no synthesis and no DSP.

Clips live in the shared cache (``coreg_audio.cache``) under ``speech/``. An
entry that cannot be read, fails its checksum or is no sound clip is a miss and
gets rewritten; a cache folder that cannot be written does not stop a render:
clips are kept in memory for the run and one warning is logged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import cache
from ..cache import CACHE_DIR_ENV, ArrayStore, cache_size_bytes, clear_cache, content_key
from .clips import PROCESSING_VERSION
from .voice import VoiceSettings

SANE_CLIP_PEAK_MIN = 10 ** (-50 / 20)
"""A clip's loudest sample lies within a few dB of -13.5 dBTP; none is under -50 dBFS."""

__all__ = ["CACHE_DIR_ENV", "ClipCache", "cache_dir", "cache_size_bytes", "clear_cache", "clip_key"]


def cache_dir() -> Path:
    """Where speech clips are kept: ``speech/`` in the cache root."""
    return cache.store("speech").folder


def clip_key(text: str, voice: VoiceSettings, engine_version: str) -> str:
    """Hash of everything that decides a clip's samples (a voice file's hash, where it has one)."""
    fields: dict[str, object] = {
        "processing": PROCESSING_VERSION,
        "engine": voice.engine,
        "engine_version": engine_version,
        "voice": voice.name if voice.model is None else None,
        "language": voice.language,
        "rate_wpm": voice.rate_wpm,
        "pitch": voice.pitch,
        "text": text,
    }
    if voice.model is not None:
        fields["model"] = voice.model  # the file itself, wherever it lies and however named
    return content_key(fields)


def sane_clip(clip: np.ndarray) -> bool:
    """A finished clip: mono float32 samples within full scale, with speech in them.

    Clips are made as loud as speech (SPEECH_REFERENCE_LUFS) with their peaks
    held below full scale, so an all-quiet or an over-full clip is damage.
    """
    if clip.dtype != np.float32 or clip.ndim != 1 or clip.size == 0:
        return False
    peak = float(np.max(np.abs(clip)))
    return SANE_CLIP_PEAK_MIN <= peak <= 1.0


class ClipCache(ArrayStore):
    """Clips by key; anything that is not a sound mono float32 clip is a miss."""

    def __init__(self, folder: Path | None = None) -> None:
        super().__init__(folder if folder is not None else cache_dir(), sane_clip)
