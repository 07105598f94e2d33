"""pyttsx3 as a speech engine, driven through one worker process (``worker_process``).

The worker (``pyttsx3_worker``) starts on the first request, serves a whole batch,
and stops at ``close()``.
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from typing import Any

from ..errors import MissingComponent
from .engine import NEEDS_ESPEAK, EngineAudio, VoiceInfo, decode_audio_file, resolve_voice
from .voice import VoiceSettings
from .worker_process import WorkerProcess

START_TIMEOUT_S = 60.0
"""Starting Python and espeak takes a fraction of a second, unless the machine is swamped."""
SPEAK_TIMEOUT_S = 30.0
SPEAK_TIMEOUT_PER_CHAR_S = 0.05
"""espeak-ng speaks about a hundred times faster than real time; this is far beyond that."""
REPLY_GRACE_S = 5.0

WORKER_MODULE = "coreg_audio.speech.pyttsx3_worker"
_ON_LINUX_ESPEAK = sys.platform not in ("darwin", "win32")
_FILE_SUFFIX = ".aiff" if sys.platform == "darwin" else ".wav"


def _missing(detail: str) -> MissingComponent:
    if _ON_LINUX_ESPEAK:
        return MissingComponent(
            f"the pyttsx3 speech engine needs espeak-ng ({detail}): {NEEDS_ESPEAK}"
        )
    return MissingComponent(f"the pyttsx3 speech engine could not start: {detail}")


class Pyttsx3Engine:
    """pyttsx3 (espeak-ng through libespeak-ng on Linux), 22050 Hz mono."""

    def __init__(self, driver_name: str | None = None) -> None:
        self._driver_name = driver_name
        self._worker = WorkerProcess(
            WORKER_MODULE,
            [driver_name or ""],
            label="the pyttsx3 speech engine",
            start_timeout_s=START_TIMEOUT_S,
            on_ready=self._ready,
        )
        self._version: str | None = None
        self._voices: list[VoiceInfo] | None = None
        self._files = 0

    @property
    def name(self) -> str:
        return "pyttsx3"

    @property
    def worker_pid(self) -> int | None:
        """The running worker's process id, if one runs (for monitoring and tests)."""
        return self._worker.pid

    def version(self) -> str:
        """pyttsx3's version and the speech library's, read without starting any audio."""
        if self._version is None:
            try:
                package = importlib.metadata.version("pyttsx3")
            except importlib.metadata.PackageNotFoundError as exc:
                raise MissingComponent(
                    "the pyttsx3 speech engine is not installed: pip install pyttsx3"
                ) from exc
            if _ON_LINUX_ESPEAK:
                try:
                    from pyttsx3.drivers import _espeak
                except Exception as exc:
                    raise _missing(str(exc)) from exc
                library = f"libespeak-ng {_espeak.Info().decode('utf-8', 'replace')}"
            else:
                library = f"{platform.system()} {platform.release()}"
            driver = self._driver_name or "default"
            self._version = f"pyttsx3 {package}; {library}; driver {driver}"
        return self._version

    def voices(self) -> list[VoiceInfo]:
        """The worker lists them as it starts, which also proves the engine can speak."""
        if self._voices is None:
            self._worker.ensure()
        assert self._voices is not None
        return self._voices

    def synthesize(self, text: str, voice: VoiceSettings) -> EngineAudio:
        spec = resolve_voice(self.voices(), voice)
        self._files += 1
        path = self._worker.folder / f"{self._files}{_FILE_SUFFIX}"
        timeout_s = SPEAK_TIMEOUT_S + SPEAK_TIMEOUT_PER_CHAR_S * len(text)
        self._worker.request(
            ("speak", text, spec, voice.rate_wpm, voice.pitch, str(path), timeout_s),
            timeout_s + REPLY_GRACE_S,
            f"speaking {text[:60]!r}",
        )
        try:
            return decode_audio_file(path)
        finally:
            path.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop the worker, if one runs; the next request starts a new one."""
        self._worker.stop(graceful=True)

    def __enter__(self) -> Pyttsx3Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _ready(self, status: str, payload: Any) -> None:
        """The worker's first message: its voices, or why espeak-ng could not start."""
        if status == "missing":
            raise _missing(payload)
        self._voices = [
            VoiceInfo(id=i, name=n, languages=tuple(lang), gender=g, priorities=tuple(p))
            for i, n, lang, g, p in payload
        ]
