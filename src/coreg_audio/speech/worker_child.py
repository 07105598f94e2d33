"""What a speech worker process needs from the standard library alone: replies, forked work.

A worker imports this first thing, so it must not pull in numpy or anything heavy.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


def in_forked_child(work: Callable[[], Any], timeout_s: float) -> Any:
    """``work()`` run in a child forked for it; its result or error comes back pickled."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            outcome: tuple[str, Any] = ("ok", work())
        except BaseException as exc:
            outcome = ("error", f"{type(exc).__name__}: {exc}")
        try:
            _write_all(write_fd, pickle.dumps(outcome))
        finally:
            os._exit(0)
    os.close(write_fd)
    data: bytes | None = None
    try:
        data = _read_until_end(read_fd, time.monotonic() + timeout_s)
    finally:
        os.close(read_fd)
        if data is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if data is None:
        raise TimeoutError(f"the speech process did not finish within {timeout_s:g} s")
    if not data:
        code = os.waitstatus_to_exitcode(status)
        raise RuntimeError(f"the speech process ended without a result (exit status {code})")
    result, payload = pickle.loads(data)
    if result != "ok":
        raise RuntimeError(payload)
    return payload


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_until_end(fd: int, deadline: float) -> bytes | None:
    """Everything written to ``fd`` until the writer closes it; None past ``deadline``."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def reply(conn: Connection, message: tuple[str, Any]) -> bool:
    """Send ``message``; False when the parent has gone away."""
    try:
        conn.send(message)
    except (OSError, ValueError):
        return False
    return True
