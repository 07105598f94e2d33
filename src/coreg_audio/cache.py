"""The disk cache: speech clips, ambience loops and track gains, each kept by content.

Everything here can be made again from the script, so a missing, corrupt or
unwritable entry is only ever a miss. Entries are written whole (``atomic``),
so parallel renders share them safely.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import platformdirs

from .atomic import PARTIAL_MARK, write_file
from .errors import CoregError

CACHE_DIR_ENV = "COREG_AUDIO_CACHE_DIR"
KINDS = ("speech", "ambience", "gains", "voices")

_ENTRY = re.compile(r"[0-9a-f]{64}\.npy")
_TEMPORARY = re.compile(rf"\.[0-9a-f]{{64}}\.(?:npy{re.escape(PARTIAL_MARK)}[0-9a-f]{{8}}|.+\.tmp)")
"""A partial entry, left by a writer that was killed (``.tmp``: by an older version)."""
_log = logging.getLogger(__name__)


def cache_root() -> Path:
    """``$COREG_AUDIO_CACHE_DIR`` if set, else the platform's user cache folder."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_cache_path("coreg-audio")


def content_key(fields: dict[str, object]) -> str:
    """A hash of everything that decides an entry's content (JSON-able fields)."""
    encoded = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


@lru_cache(maxsize=8)
def source_fingerprint(*module_files: str) -> str:
    """A hash of the given source files, so cached results follow any change to the code."""
    digest = hashlib.sha256()
    for name in module_files:
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()


class ArrayStore:
    """Arrays by key in one folder; ``get`` and ``put`` never raise for a file problem."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._writable = True

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npy"

    def get(self, key: str, *, mapped: bool = False) -> np.ndarray | None:
        """The stored array (memory-mapped read-only when ``mapped``), or None."""
        try:
            value = np.load(self.path(key), allow_pickle=False, mmap_mode="r" if mapped else None)
        except (OSError, ValueError, EOFError):
            return None
        return value if isinstance(value, np.ndarray) else None

    def put(self, key: str, value: np.ndarray) -> None:
        """Store ``value`` atomically; on failure warn once and carry on without the disk."""
        if not self._writable:
            return
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(
                target,
                lambda stream: np.save(stream, np.ascontiguousarray(value), allow_pickle=False),
                durable=False,
            )
        except (OSError, CoregError) as exc:
            self._writable = False
            cause = exc if isinstance(exc, OSError) else exc.__cause__
            _log.warning(
                "cannot write the cache in %s (%s); keeping what it would hold in "
                "memory for this run",
                self.folder,
                (cause.strerror if isinstance(cause, OSError) else None) or cause or exc,
            )

    def files(self) -> list[Path]:
        """Only files a store writes, so clearing a mistaken folder deletes nothing else."""
        if not self.folder.is_dir():
            return []
        found: list[Path] = []
        for shard in self.folder.iterdir():
            if shard.is_dir() and re.fullmatch(r"[0-9a-f]{2}", shard.name):
                found.extend(
                    entry
                    for entry in shard.iterdir()
                    if entry.is_file()
                    and (_ENTRY.fullmatch(entry.name) or _TEMPORARY.fullmatch(entry.name))
                )
        return found

    def size_bytes(self) -> int:
        total = 0
        for entry in self.files():
            with contextlib.suppress(OSError):
                total += entry.stat().st_size
        return total

    def clear(self) -> int:
        """Delete every entry (and orphaned temporary file); returns how many were removed."""
        entries = self.files()
        removed = 0
        for entry in entries:
            with contextlib.suppress(OSError):
                entry.unlink()
                removed += 1
        for shard in {entry.parent for entry in entries}:
            with contextlib.suppress(OSError):
                shard.rmdir()
        return removed


def store(kind: str) -> ArrayStore:
    """The store of one kind of entry (``speech``, ``ambience``, ``gains`` or ``voices``)."""
    return ArrayStore(cache_root() / kind)


def cache_size_bytes() -> int:
    return sum(store(kind).size_bytes() for kind in KINDS)


def clear_cache() -> int:
    """Delete every cached entry of every kind; returns how many files were removed."""
    return sum(store(kind).clear() for kind in KINDS)
