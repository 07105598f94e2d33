"""pyttsx3 as a speech engine, driven through one spawned worker process.

The worker (``pyttsx3_worker``) is a fresh Python interpreter, never a fork of
this one: it starts on the first request, serves a whole batch, and stops at
``close()``. It is started as a plain ``python`` process rather than through
multiprocessing's spawn, which re-runs the parent's main script in the child
(importing the whole CLI, and crashing with a traceback on the user's terminal
when a caller's main script has no ``if __name__ == "__main__"`` guard). Its
output goes to /dev/null from its first instruction, and it runs in a process
group of its own, so a Ctrl-C at the terminal reaches only the parent, which then
stops it. A worker that dies, hangs past its timeout, or is interrupted
mid-request is stopped, and the next request starts a fresh one.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import weakref
from dataclasses import dataclass
from multiprocessing import Pipe
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ..errors import MissingComponent, RenderFailed
from .engine import NEEDS_ESPEAK, EngineAudio, VoiceInfo, decode_audio_file, resolve_voice
from .voice import VoiceSettings

START_TIMEOUT_S = 60.0
"""Starting Python and espeak takes a fraction of a second, unless the machine is swamped."""
SPEAK_TIMEOUT_S = 30.0
SPEAK_TIMEOUT_PER_CHAR_S = 0.05
"""espeak-ng speaks about a hundred times faster than real time; this is far beyond that."""
REPLY_GRACE_S = 5.0
STOP_TIMEOUT_S = 3.0

WORKER_MODULE = "coreg_audio.speech.pyttsx3_worker"
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_ON_LINUX_ESPEAK = sys.platform not in ("darwin", "win32")
_FILE_SUFFIX = ".aiff" if sys.platform == "darwin" else ".wav"


def _missing(detail: str) -> MissingComponent:
    if _ON_LINUX_ESPEAK:
        return MissingComponent(
            f"the pyttsx3 speech engine needs espeak-ng ({detail}): {NEEDS_ESPEAK}"
        )
    return MissingComponent(f"the pyttsx3 speech engine could not start: {detail}")


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    folder: Path

    def stop(self, graceful: bool) -> None:
        """Ask to quit (when idle), else terminate, then kill; always reap, so no zombie is left."""
        if graceful:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(("quit",))
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_TIMEOUT_S)
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            self._signal_group(signal.SIGCONT)  # a stopped worker acts on SIGTERM only once woken
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait()
        self.conn.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _signal_group(self, signum: int) -> None:
        """The worker leads its own process group: this reaches a clip's child too."""
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            self.process.send_signal(signum)


_BOOTSTRAP = (
    "import sys; root = sys.argv[1]; root in sys.path or sys.path.insert(0, root); "
    f"from {WORKER_MODULE} import main; main(sys.argv[1:])"
)
"""Finds this very copy of coreg_audio in the worker, however the parent found it."""


def _start_worker(driver_name: str | None) -> _Worker:
    try:
        folder = Path(tempfile.mkdtemp(prefix="coreg-audio-tts-"))
    except OSError as exc:
        raise RenderFailed(f"cannot make a folder for speech files: {exc}") from exc
    parent_conn, child_conn = Pipe()
    fd = child_conn.fileno()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, str(_PACKAGE_ROOT), str(fd), driver_name or ""],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(fd,),
            process_group=0,
        )
    except OSError as exc:
        parent_conn.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise RenderFailed(f"cannot start the pyttsx3 speech worker: {exc}") from exc
    finally:
        child_conn.close()
    return _Worker(process, parent_conn, folder)


class Pyttsx3Engine:
    """pyttsx3 (espeak-ng through libespeak-ng on Linux), 22050 Hz mono."""

    def __init__(self, driver_name: str | None = None) -> None:
        self._driver_name = driver_name
        self._worker: _Worker | None = None
        self._finalizer: weakref.finalize[..., Any] | None = None
        self._version: str | None = None
        self._voices: list[VoiceInfo] | None = None
        self._files = 0

    @property
    def name(self) -> str:
        return "pyttsx3"

    @property
    def worker_pid(self) -> int | None:
        """The running worker's process id, if one runs (for monitoring and tests)."""
        return self._worker.process.pid if self._worker is not None else None

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
            self._ensure_worker()
        assert self._voices is not None
        return self._voices

    def synthesize(self, text: str, voice: VoiceSettings) -> EngineAudio:
        spec = resolve_voice(self.voices(), voice)
        worker = self._ensure_worker()
        self._files += 1
        path = worker.folder / f"{self._files}{_FILE_SUFFIX}"
        timeout_s = SPEAK_TIMEOUT_S + SPEAK_TIMEOUT_PER_CHAR_S * len(text)
        self._request(
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
        self._stop_worker(graceful=True)

    def __enter__(self) -> Pyttsx3Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _ensure_worker(self) -> _Worker:
        if self._worker is not None and self._worker.process.poll() is None:
            return self._worker
        self._stop_worker(graceful=False)
        worker = _start_worker(self._driver_name)
        self._worker = worker
        self._finalizer = weakref.finalize(self, worker.stop, True)
        status, payload = self._receive(worker, START_TIMEOUT_S, "starting")
        if status == "missing":
            self._stop_worker(graceful=False)
            raise _missing(payload)
        self._voices = [
            VoiceInfo(id=i, name=n, languages=tuple(lang), gender=g, priorities=tuple(p))
            for i, n, lang, g, p in payload
        ]
        return worker

    def _stop_worker(self, graceful: bool) -> None:
        worker, self._worker = self._worker, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if worker is not None:
            worker.stop(graceful)

    def _request(self, message: tuple[Any, ...], timeout_s: float, what: str) -> Any:
        worker = self._ensure_worker()
        try:
            worker.conn.send(message)
        except OSError as exc:
            self._stop_worker(graceful=False)
            raise RenderFailed(f"the pyttsx3 speech engine stopped while {what}: {exc}") from exc
        status, payload = self._receive(worker, timeout_s, what)
        if status != "ok":
            raise RenderFailed(f"the pyttsx3 speech engine failed while {what}: {payload}")
        return payload

    def _receive(self, worker: _Worker, timeout_s: float, what: str) -> tuple[str, Any]:
        """The worker's next reply; any failure or interruption here stops the worker."""
        try:
            if wait([worker.conn], timeout_s):
                reply: tuple[str, Any] = worker.conn.recv()
                return reply
        except (EOFError, OSError):
            self._stop_worker(graceful=False)
            raise RenderFailed(
                f"the pyttsx3 speech engine stopped unexpectedly while {what} "
                f"(exit status {worker.process.returncode})"
            ) from None
        except BaseException:
            self._stop_worker(graceful=False)
            raise
        self._stop_worker(graceful=False)
        raise RenderFailed(
            f"the pyttsx3 speech engine did not answer within {timeout_s:g} s while {what}"
        )
