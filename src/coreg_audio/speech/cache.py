"""Finished speech clips on disk, so a second render of a script does no synthesis and no DSP.

Entries are written whole under a temporary name and renamed into place, so a
reader (another render running at the same time) sees a complete clip or none.
An entry that cannot be read is a miss and gets rewritten. A cache folder that
cannot be written does not stop a render: clips are kept in memory for the run
and one warning is logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import platformdirs

from .clips import PROCESSING_VERSION
from .voice import VoiceSettings

CACHE_DIR_ENV = "COREG_AUDIO_CACHE_DIR"

_ENTRY = re.compile(r"[0-9a-f]{64}\.npy")
_TEMPORARY = re.compile(r"\.[0-9a-f]{64}\..+\.tmp")
_log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """``$COREG_AUDIO_CACHE_DIR`` if set, else the platform's user cache folder + ``speech``."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_cache_path("coreg-audio") / "speech"


def clip_key(text: str, voice: VoiceSettings, engine_version: str) -> str:
    """Hash of everything that decides a clip's samples."""
    fields = {
        "processing": PROCESSING_VERSION,
        "engine": voice.engine,
        "engine_version": engine_version,
        "voice": voice.name,
        "language": voice.language,
        "rate_wpm": voice.rate_wpm,
        "pitch": voice.pitch,
        "text": text,
    }
    encoded = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


class ClipCache:
    """Clips by key in a folder; ``get`` and ``put`` never raise for a file problem."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else cache_dir()
        self._writable = True

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npy"

    def get(self, key: str) -> np.ndarray | None:
        """The stored clip, or None when absent or unreadable."""
        try:
            clip = np.load(self.path(key), allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if (
            not isinstance(clip, np.ndarray)
            or clip.dtype != np.float32
            or clip.ndim != 1
            or clip.size == 0
            or not np.all(np.isfinite(clip))
        ):
            return None
        return clip

    def put(self, key: str, clip: np.ndarray) -> None:
        """Store ``clip`` atomically; on failure warn once and carry on without the disk."""
        if not self._writable:
            return
        target = self.path(key)
        temporary: str | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=target.parent, prefix=f".{key}.", suffix=".tmp"
            )
            with os.fdopen(handle, "wb") as stream:
                np.save(stream, np.ascontiguousarray(clip, dtype=np.float32), allow_pickle=False)
            os.replace(temporary, target)
            temporary = None
        except OSError as exc:
            self._writable = False
            _log.warning(
                "cannot write the speech cache in %s (%s); speech is kept in memory for this run",
                self.folder,
                exc.strerror or exc,
            )
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)


def _cache_files(folder: Path) -> list[Path]:
    """Only files this module writes, so clearing a mistaken folder deletes nothing else."""
    if not folder.is_dir():
        return []
    found: list[Path] = []
    for shard in folder.iterdir():
        if not (shard.is_dir() and re.fullmatch(r"[0-9a-f]{2}", shard.name)):
            continue
        found.extend(
            f
            for f in shard.iterdir()
            if f.is_file() and (_ENTRY.fullmatch(f.name) or _TEMPORARY.fullmatch(f.name))
        )
    return found


def cache_size_bytes(folder: Path | None = None) -> int:
    total = 0
    for f in _cache_files(folder if folder is not None else cache_dir()):
        with contextlib.suppress(OSError):
            total += f.stat().st_size
    return total


def clear_cache(folder: Path | None = None) -> int:
    """Delete every cached clip; returns how many files were removed."""
    removed = 0
    files = _cache_files(folder if folder is not None else cache_dir())
    for f in files:
        with contextlib.suppress(OSError):
            f.unlink()
            removed += 1
    for shard in {f.parent for f in files}:
        with contextlib.suppress(OSError):
            shard.rmdir()
    return removed
