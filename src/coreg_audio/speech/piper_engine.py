"""Piper, an offline neural voice, as a speech engine: one worker process holds the model.

The model is never loaded in the calling process (it takes about 200 MB); the
worker (``piper_worker``) loads it on the first clip and keeps it until ``close()``.
Several engines make several workers: the Speaker uses one per core for a batch.

``rate`` is words a minute on the same scale as espeak-ng's, turned into the
voice's speed (its length scale), so a script's pace and the 1.25x speed-up for
fitting cues work alike with every engine. ``pitch`` has no effect: a neural voice
speaks at the pitch it was trained on; choose another voice for another pitch.
"""

from __future__ import annotations

import difflib
import importlib.metadata
from typing import Any

import numpy as np

from ..errors import MissingComponent
from ..names import UnusableName, author_path
from .engine import EngineAudio, VoiceInfo, VoiceNotFound
from .piper_voices import (
    VoiceFile,
    best_voice,
    engine_installed,
    find_voice,
    installed_voices,
    names_a_path,
)
from .piper_worker import MEMORY_VARIABLES, THREAD_VARIABLES
from .voice import VoiceSettings
from .worker_process import WorkerProcess

NATURAL_RATE_WPM = 185
"""The rate at which a Piper voice speaks at its own speed (length scale 1).

Measured on the spoken texts of breath-sync: en_US-joe-medium at length scale 1
speaks them 1.42 times as fast as espeak-ng at 130 words a minute, so a rate of
R gives the length scale 185 / R (times the voice's own), and ``rate: 130``
takes about as long with either engine."""
START_TIMEOUT_S = 60.0
SPEAK_TIMEOUT_S = 60.0
SPEAK_TIMEOUT_PER_CHAR_S = 0.05
"""Piper speaks some 20 times faster than real time on one core; this is far beyond that."""
REPLY_GRACE_S = 5.0
WORKER_MODULE = "coreg_audio.speech.piper_worker"
NEEDS_PIPER = "pip install 'coreg-audio[voice]' (or choose --engine espeak)"


def missing_piper(detail: str = "") -> MissingComponent:
    because = f" ({detail})" if detail else ""
    return MissingComponent(f"the piper speech engine is not installed{because}: {NEEDS_PIPER}")


def length_scale(voice: VoiceFile, rate_wpm: int) -> float:
    """The voice's speed for ``rate_wpm``: above 1 is slower, below 1 faster."""
    return voice.length_scale * NATURAL_RATE_WPM / rate_wpm


class PiperEngine:
    """Piper voices (``.onnx`` files), usually 22050 Hz mono."""

    def __init__(self) -> None:
        self._worker = WorkerProcess(
            WORKER_MODULE,
            [],
            label="the piper speech engine",
            start_timeout_s=START_TIMEOUT_S,
            on_ready=self._ready,
            env={**dict.fromkeys(THREAD_VARIABLES, "1"), **MEMORY_VARIABLES},
        )
        self._version: str | None = None

    @property
    def name(self) -> str:
        return "piper"

    @property
    def worker_pid(self) -> int | None:
        """The running worker's process id, if one runs (for monitoring and tests)."""
        return self._worker.pid

    def version(self) -> str:
        """piper-tts's and onnxruntime's versions; the voice's own identity is in its settings."""
        if self._version is None:
            if not engine_installed():
                raise missing_piper()
            try:
                found = [
                    f"{name} {importlib.metadata.version(name)}"
                    for name in ("piper-tts", "onnxruntime")
                ]
            except importlib.metadata.PackageNotFoundError as exc:
                raise missing_piper(str(exc)) from exc
            self._version = "; ".join(found)
        return self._version

    def voices(self) -> list[VoiceInfo]:
        if not engine_installed():
            raise missing_piper()
        return [voice.info() for voice in installed_voices()]

    def synthesize(self, text: str, voice: VoiceSettings) -> EngineAudio:
        samples, rate_hz = self._speak(text, voice)
        return EngineAudio(samples=np.asarray(samples, dtype=np.float32), sample_rate_hz=rate_hz)

    def _speak(self, text: str, voice: VoiceSettings) -> tuple[Any, Any]:
        found = self.voice_file(voice)
        timeout_s = SPEAK_TIMEOUT_S + SPEAK_TIMEOUT_PER_CHAR_S * len(text)
        answer: tuple[Any, Any] = self._worker.request(
            (
                "speak",
                text,
                str(found.model),
                str(found.config),
                length_scale(found, voice.rate_wpm),
                timeout_s,
            ),
            timeout_s + REPLY_GRACE_S,
            f"speaking {text[:60]!r}",
        )
        return answer

    def voice_file(self, voice: VoiceSettings) -> VoiceFile:
        """The file ``voice`` names (an id or a path), or the best one for its language."""
        if not engine_installed():
            raise missing_piper()
        if voice.name is None:
            best = best_voice(voice.language)
            if best is None:
                raise VoiceNotFound(
                    voice,
                    f"no piper voice speaks language {voice.language!r} (see: coreg-audio "
                    "voices --engine piper; the README says how to add one)",
                )
            return best
        found = find_voice(voice.name)
        if found is None and names_a_path(voice.name):
            try:
                author_path(voice.name)
            except UnusableName as reason:
                raise VoiceNotFound(
                    voice, f"piper voice '{voice.name}' cannot be a file: {reason}"
                ) from None
        if found is None:
            ids = [v.id for v in installed_voices()]
            close = difflib.get_close_matches(voice.name, ids, n=5, cutoff=0.5)
            hint = f"; close matches: {', '.join(close)}" if close else ""
            raise VoiceNotFound(
                voice,
                f"no piper voice {voice.name!r}{hint} (see: coreg-audio voices --engine piper)",
            )
        return found

    def close(self) -> None:
        """Stop the worker, if one runs; the next clip starts a new one."""
        self._worker.stop(graceful=True)

    def __enter__(self) -> PiperEngine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _ready(self, status: str, payload: Any) -> None:
        if status == "missing":
            raise missing_piper(payload)
