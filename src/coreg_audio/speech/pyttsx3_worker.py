"""The child side of the pyttsx3 engine: a spawned process that owns pyttsx3.

pyttsx3's espeak driver starts threads that hang a forked child, prints "Audio
saved to ..." on stdout, writes only the last of several queued files, may return
from ``runAndWait`` before its file exists, and cancels property changes still
queued inside espeak when a new utterance starts. So pyttsx3 lives alone in a
fresh interpreter, started by ``pyttsx3_engine`` as a plain Python process with its
output on /dev/null. It ignores SIGINT (the parent decides when it stops) and
makes one file per ``runAndWait``, waiting for espeak to be idle before speaking,
for the finished-utterance event, and for the file to be whole.

espeak-ng carries state from one utterance to the next (its pitch flutter and
wave phase), so the same text spoken twice in one process gives different samples
and lengths. To make every clip a function of its text and voice alone, this
process never starts espeak itself: it loads the library once and speaks each
clip in a child forked for that clip alone, which starts espeak afresh. (Forking
is safe here because this process has no other thread.) Other pyttsx3 drivers
(macOS, Windows) run in this process.

It imports only the standard library and pyttsx3, so it starts quickly. Messages
over the connection (file descriptor argv[1]; argv[2] names a pyttsx3 driver)::

    on start  -> ("ready", [(id, name, languages, gender, priorities), ...])
                 | ("missing", reason)
    ("speak", text, voice, rate_wpm, pitch, path, timeout_s) -> ("ok", path)
    ("quit",), or the parent gone -> the process exits
    a request that fails -> ("error", reason)
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import signal
import sys
import threading
import time
import wave
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .worker_child import in_forked_child, reply

VoiceRow = tuple[str, str, tuple[str, ...], str | None, tuple[int, ...]]

START_TIMEOUT_S = 30.0
_POLL_S = 0.002


def serve(conn: Connection, driver_name: str | None) -> None:
    """Run requests from ``conn`` until "quit" or until the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        runner = Runner(driver_name)
        voices = runner.run(list_voices, START_TIMEOUT_S)
    except Exception as exc:
        reply(conn, ("missing", f"{type(exc).__name__}: {exc}"))
        os._exit(0)
    reply(conn, ("ready", voices))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request[0] == "quit":
            break
        try:
            if request[0] == "speak":
                _, text, voice, rate_wpm, pitch, path, timeout_s = request
                runner.speak(text, voice, rate_wpm, pitch, path, timeout_s)
                answer: tuple[str, Any] = ("ok", path)
            else:
                answer = ("error", f"unknown request {request[0]!r}")
        except Exception as exc:
            answer = ("error", f"{type(exc).__name__}: {exc}")
        if not reply(conn, answer):
            break
    # Skip interpreter teardown: espeak's library can assert while Python unloads it.
    os._exit(0)


class Runner:
    """Gives each task a pyttsx3 engine: a fresh one in a forked child for espeak-ng."""

    def __init__(self, driver_name: str | None) -> None:
        import pyttsx3
        from pyttsx3.engine import default_engine_by_sys_platform

        self._driver = driver_name or default_engine_by_sys_platform()
        self._fresh = self._driver == "espeak" and hasattr(os, "fork")
        self._engine: Any = None
        self._default_pitch: int | None = None
        if self._fresh:
            importlib.import_module(f"pyttsx3.drivers.{self._driver}")
        else:
            self._engine = pyttsx3.init(self._driver)
            self._default_pitch = _pitch_or_none(self._engine)

    def run(self, task: Callable[[Any], Any], timeout_s: float) -> Any:
        if not self._fresh:
            return task(self._engine)

        def with_new_engine() -> Any:
            import pyttsx3

            return task(pyttsx3.init(self._driver))

        return in_forked_child(with_new_engine, timeout_s)

    def speak(
        self, text: str, voice: str, rate_wpm: int, pitch: int | None, path: str, timeout_s: float
    ) -> None:
        if pitch is None:
            pitch = self._default_pitch

        def task(engine: Any) -> None:
            speak(engine, text, voice, rate_wpm, pitch, path, timeout_s)

        self.run(task, timeout_s)


def speak(
    engine: Any,
    text: str,
    voice: str,
    rate_wpm: int,
    pitch: int | None,
    path: str,
    timeout_s: float,
) -> None:
    """Write ``text`` to the audio file ``path`` and return once the file is whole."""
    finished = threading.Event()
    outcome: dict[str, Any] = {}

    def on_finished(name: object = None, completed: bool = False, **_: object) -> None:
        outcome.setdefault("completed", completed)
        finished.set()

    def on_error(name: object = None, exception: object = None, **_: object) -> None:
        outcome.setdefault("error", exception)

    tokens = [
        engine.connect("finished-utterance", on_finished),
        engine.connect("error", on_error),
    ]
    deadline = time.monotonic() + timeout_s
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        _settle(engine, deadline)
        engine.setProperty("voice", voice)
        engine.setProperty("rate", rate_wpm)
        if pitch is not None:
            engine.setProperty("pitch", pitch)
        _wait_until_idle(engine, deadline)
        engine.save_to_file(text, path)
        engine.runAndWait()
        if not finished.wait(max(deadline - time.monotonic(), 0.0)):
            raise TimeoutError(f"speech did not finish within {timeout_s:g} s")
        if "error" in outcome:
            raise RuntimeError(str(outcome["error"]))
        if outcome.get("completed") is not True:
            raise RuntimeError("speech was cut short")
        wait_for_complete_file(path, deadline)
    finally:
        for token in tokens:
            engine.disconnect(token)


def _settle(engine: Any, deadline: float) -> None:
    """Make espeak idle and pyttsx3 apply properties at once, not at the next runAndWait.

    A new pyttsx3 engine queues properties until its first run loop, where they reach
    espeak just before the utterance and can be cancelled with it.
    """
    if str(engine) != "espeak":
        return
    _wait_until_idle(engine, deadline)
    if engine.isBusy():
        engine.runAndWait()


def _wait_until_idle(engine: Any, deadline: float) -> None:
    """espeak applies rate and pitch asynchronously; pyttsx3 cancels whatever is still
    queued when the utterance starts, so a changed rate would be silently lost."""
    if str(engine) != "espeak":
        return
    from pyttsx3.drivers import _espeak

    while _espeak.IsPlaying():
        if time.monotonic() > deadline:
            raise TimeoutError("espeak stayed busy")
        time.sleep(_POLL_S)


def wait_for_complete_file(path: str, deadline: float) -> None:
    """Return once ``path`` holds a whole audio file, or raise TimeoutError at ``deadline``."""
    last_size = -1
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, EOFError, wave.Error):
            size = os.path.getsize(path)
            if path.lower().endswith(".wav"):
                with wave.open(path, "rb") as audio:
                    expected = audio.getnframes() * audio.getsampwidth() * audio.getnchannels()
                    if len(audio.readframes(audio.getnframes())) == expected:
                        return
            elif size > 0 and size == last_size:
                return
            last_size = size
        time.sleep(_POLL_S)
    raise TimeoutError(f"the engine's file {path} was not complete in time")


def list_voices(engine: Any) -> list[VoiceRow]:
    """The driver's voices; with espeak-ng, every language of each voice and the variants."""
    if str(engine) == "espeak":
        return _espeak_voices()
    rows: list[VoiceRow] = []
    for voice in engine.getProperty("voices"):
        languages = tuple(
            (lang.decode("utf-8", "replace") if isinstance(lang, bytes) else str(lang))
            .replace("_", "-")
            .lower()
            for lang in voice.languages or ()
        )
        gender = str(voice.gender).lower() if voice.gender else None
        rows.append((str(voice.id), str(voice.name or voice.id), languages, gender, ()))
    return rows


def _espeak_voices() -> list[VoiceRow]:
    from pyttsx3.drivers import _espeak

    offset = _espeak.VOICE.languages.offset
    variant_spec = _espeak.VOICE()
    variant_spec.languages = b"variant"
    # Each listing reuses espeak's memory, so read one fully before asking for the next.
    rows = [_voice_row(v, offset) for v in _espeak.ListVoices(None)]
    rows += [_voice_row(v, offset) for v in _espeak.ListVoices(ctypes.byref(variant_spec))]
    return rows


def _voice_row(voice: Any, languages_offset: int) -> VoiceRow:
    pairs = _language_list(ctypes.addressof(voice) + languages_offset)
    return (
        voice.identifier.decode("utf-8", "replace"),
        voice.name.decode("utf-8", "replace").replace("_", " ").strip(),
        tuple(lang.lower() for lang, _ in pairs),
        {1: "male", 2: "female"}.get(voice.gender),
        tuple(priority for _, priority in pairs),
    )


def _language_list(field_address: int) -> list[tuple[str, int]]:
    """espeak's packed languages: (priority byte, NUL-terminated name) repeated, ending in 0."""
    pointer = ctypes.c_void_p.from_address(field_address).value
    pairs: list[tuple[str, int]] = []
    if not pointer:
        return pairs
    offset = 0
    while (priority := ctypes.c_ubyte.from_address(pointer + offset).value) != 0:
        name = ctypes.string_at(pointer + offset + 1)
        pairs.append((name.decode("utf-8", "replace"), priority))
        offset += len(name) + 2
    return pairs


def _pitch_or_none(engine: Any) -> int | None:
    """The driver's own pitch, restored for voices that set none; None if it has no pitch."""
    try:
        return int(engine.getProperty("pitch"))
    except Exception:
        return None


def main(argv: list[str]) -> None:
    """Entry point, as ``python -m coreg_audio.speech.pyttsx3_worker FD [DRIVER]``."""
    serve(Connection(int(argv[1])), argv[2] if len(argv) > 2 and argv[2] else None)


if __name__ == "__main__":
    main(sys.argv)
