"""What a run makes while it works, and the removal of what a run left when it died.

A run's files in the making (a track's partial file beside its target, a cache
entry's, the ffmetadata and cover files an encoder reads, a speech worker's
folder) carry their maker's process id in their names and are locked (flock)
by it while in use. A run killed outright (kill -9, a crash, the power) leaves
them; the next run that writes in that folder, or starts an encoder or a
speech worker, removes those whose lock is free and whose maker is gone, and
never a live run's, which holds its lock. The encoder is started so that it
dies with its run, and never finishes a partial file on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

PREFIX: Final = "coreg-audio-"
LEGACY_AGE_S: Final = 3600.0
"""An older version's leftovers (no maker in their names) are removed once this old."""
_TEMP_NAME = re.compile(
    r"coreg-audio-(?:(?:tts|espeak)-)?(?P<pid>\d+)-[a-z0-9_]{8}(?:\.ffmetadata|\.png)?"
)
_TEMP_LEGACY = re.compile(
    r"coreg-audio-(?:(?:tts|espeak)-[a-z0-9_]{8}|[a-z0-9_]{8}\.(?:ffmetadata|png))"
)
_PARTIAL_NAME = re.compile(r"\..+\.partial-(?P<pid>\d+)-[0-9a-f]{8}")
_PARTIAL_LEGACY = re.compile(r"\..+\.partial-[0-9a-f]{8}")
_swept: set[tuple[int, str]] = set()
_PR_SET_PDEATHSIG: Final = 1


class Held:
    """A lock on a file or folder, held until ``release`` (or the process ends)."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def hold(path: Path) -> Held:
    """Lock ``path`` (a file or a folder) as in use by this process.

    Best effort: where the file system has no such locks, nothing is held, and
    the maker's process id in the name still keeps it from a sweep while alive.
    """
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    except OSError:
        return Held(None)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return Held(None)
    return Held(fd)


def temp_prefix(kind: str = "") -> str:
    """A name prefix for a file or folder in the temp folder that names its maker."""
    return f"{PREFIX}{kind + '-' if kind else ''}{os.getpid()}-"


def partial_mark() -> str:
    """What follows ``.NAME`` in a partial file's name: ``.partial-PID-``."""
    return f".partial-{os.getpid()}-"


def sweep_partials(folder: Path) -> list[Path]:
    """Remove dead runs' partial files in ``folder``; once per folder and process."""
    return _sweep_once(folder, _PARTIAL_NAME, _PARTIAL_LEGACY)


def sweep_temp() -> list[Path]:
    """Remove dead runs' files and folders in the temp folder; once per process."""
    return _sweep_once(Path(tempfile.gettempdir()), _TEMP_NAME, _TEMP_LEGACY)


def _sweep_once(folder: Path, owned: re.Pattern[str], legacy: re.Pattern[str]) -> list[Path]:
    done = (os.getpid(), str(folder))
    if done in _swept:
        return []
    _swept.add(done)
    return sweep(folder, owned, legacy)


def sweep(folder: Path, owned: re.Pattern[str], legacy: re.Pattern[str]) -> list[Path]:
    """Remove the entries of ``folder`` named by ``owned`` (with the maker's ``pid``) or
    ``legacy`` (without) that no live run holds; what was removed."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for name in names:
        found = owned.fullmatch(name)
        if found is None and not legacy.fullmatch(name):
            continue
        path = folder / name
        maker = int(found.group("pid")) if found is not None else None
        if _remove_if_abandoned(path, maker):
            removed.append(path)
    return removed


def _remove_if_abandoned(path: Path, maker: int | None) -> bool:
    """Remove ``path`` if its lock is free and its maker gone (or, without a maker, it is old).

    A lock that cannot be tried (a file system without them) leaves it alone.
    """
    try:
        status = path.lstat()
    except OSError:
        return False
    old = time.time() - status.st_mtime > LEGACY_AGE_S
    if (maker is None and not old) or (maker is not None and _alive(maker) and not old):
        return False
    folder = os.path.isdir(path) and not os.path.islink(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if folder else 0))
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        if folder:
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return not path.exists()
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError as error:
        return error.errno == errno.EPERM
    return True


def _load_prctl() -> Callable[..., int] | None:
    if os.uname().sysname != "Linux":
        return None
    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return function


_prctl = _load_prctl()


def dying_with_this_process() -> Callable[[], None]:
    """A ``preexec_fn``: the child is killed the moment this process ends, however it ends.

    Linux only (PR_SET_PDEATHSIG); elsewhere nothing. A child whose parent is
    already gone by the time it asks ends at once.
    """
    parent = os.getpid()
    prctl = _prctl

    def arrange() -> None:
        if prctl is None:
            return
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return arrange
