"""A speech worker: a fresh Python interpreter that serves one engine over a connection.

The worker is never a fork of this process: it is started as a plain ``python``
process rather than through multiprocessing's spawn, which re-runs the parent's
main script in the child (importing the whole CLI, and crashing with a traceback
on the user's terminal when a caller's main script has no ``if __name__ ==
"__main__"`` guard). Its output goes to /dev/null from its first instruction, and
it runs in a process group of its own, so a Ctrl-C at the terminal reaches only
the parent, which then stops it. A worker that dies, hangs past its timeout, or
is interrupted mid-request is stopped, and the next request starts a fresh one.

The worker's ``main(argv)`` gets ``[package root, connection fd, *args]``; its
first message is ``(status, payload)`` for ``on_ready``, then it answers each
request with ``("ok", payload)`` or ``(other, reason)``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing import Pipe
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from .. import leftovers
from ..errors import RenderFailed

STOP_TIMEOUT_S = 3.0
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]

ReadyCheck = Callable[[str, Any], None]
"""Called with the worker's first message; raises when the worker cannot serve."""


@dataclass
class _Running:
    process: subprocess.Popen[bytes]
    conn: Connection
    folder: Path
    held: leftovers.Held
    """The folder's lock: a worker of a run that died leaves a folder the next run removes."""

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
        self.held.release()

    def _signal_group(self, signum: int) -> None:
        """The worker leads its own process group: this reaches a clip's child too."""
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            self.process.send_signal(signum)


def _bootstrap(module: str) -> str:
    """Finds this very copy of coreg_audio in the worker, however the parent found it."""
    return (
        "import sys; root = sys.argv[1]; root in sys.path or sys.path.insert(0, root); "
        f"from {module} import main; main(sys.argv[1:])"
    )


class WorkerProcess:
    """One worker, started on first use and restarted after any failure; ``stop`` ends it."""

    def __init__(
        self,
        module: str,
        args: Sequence[str],
        *,
        label: str,
        start_timeout_s: float,
        on_ready: ReadyCheck,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._module = module
        self._args = list(args)
        self._label = label
        self._start_timeout_s = start_timeout_s
        self._on_ready = on_ready
        self._env = env
        self._running: _Running | None = None
        self._finalizer: weakref.finalize[..., Any] | None = None

    @property
    def pid(self) -> int | None:
        return self._running.process.pid if self._running is not None else None

    @property
    def folder(self) -> Path:
        """A private folder for the worker's files, removed when it stops."""
        return self.ensure().folder

    def ensure(self) -> _Running:
        """The running worker, started (and its first message checked) if need be."""
        if self._running is not None and self._running.process.poll() is None:
            return self._running
        self.stop(graceful=False)
        running = self._start()
        self._running = running
        self._finalizer = weakref.finalize(self, running.stop, True)
        status, payload = self._receive(running, self._start_timeout_s, "starting")
        try:
            self._on_ready(status, payload)
        except BaseException:
            self.stop(graceful=False)
            raise
        return running

    def request(self, message: tuple[Any, ...], timeout_s: float, what: str) -> Any:
        """The payload of the worker's "ok" answer to ``message``; RenderFailed otherwise."""
        running = self.ensure()
        try:
            running.conn.send(message)
        except OSError as exc:
            self.stop(graceful=False)
            raise RenderFailed(f"{self._label} stopped while {what}: {exc}") from exc
        status, payload = self._receive(running, timeout_s, what)
        if status != "ok":
            raise RenderFailed(f"{self._label} failed while {what}: {payload}")
        return payload

    def stop(self, graceful: bool = True) -> None:
        running, self._running = self._running, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if running is not None:
            running.stop(graceful)

    def _start(self) -> _Running:
        leftovers.sweep_temp()
        try:
            folder = Path(tempfile.mkdtemp(prefix=leftovers.temp_prefix("tts")))
        except OSError as exc:
            raise RenderFailed(f"cannot make a folder for speech files: {exc}") from exc
        held = leftovers.hold(folder)
        parent_conn, child_conn = Pipe()
        fd = child_conn.fileno()
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _bootstrap(self._module),
                    str(_PACKAGE_ROOT),
                    str(fd),
                    *self._args,
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(fd,),
                process_group=0,
                env={**os.environ, **self._env} if self._env is not None else None,
            )
        except OSError as exc:
            parent_conn.close()
            shutil.rmtree(folder, ignore_errors=True)
            held.release()
            raise RenderFailed(f"cannot start {self._label}'s worker: {exc}") from exc
        finally:
            child_conn.close()
        return _Running(process, parent_conn, folder, held)

    def _receive(self, running: _Running, timeout_s: float, what: str) -> tuple[str, Any]:
        """The worker's next reply; any failure or interruption here stops the worker."""
        try:
            if wait([running.conn], timeout_s):
                reply: tuple[str, Any] = running.conn.recv()
                return reply
        except (EOFError, OSError):
            self.stop(graceful=False)
            raise RenderFailed(
                f"{self._label} stopped unexpectedly while {what} "
                f"(exit status {running.process.returncode})"
            ) from None
        except BaseException:
            self.stop(graceful=False)
            raise
        self.stop(graceful=False)
        raise RenderFailed(f"{self._label} did not answer within {timeout_s:g} s while {what}")
