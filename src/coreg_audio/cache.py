"""The disk cache: speech clips, ambience loops, track gains and covers, each kept by content.

Everything here can be made again from the script, so a missing, damaged or
unwritable entry is only ever a miss. Entries are written whole (``atomic``),
so parallel renders share them safely, and each carries a checksum of its
bytes: a flipped bit, garbled or zeroed bytes, or a file cut short is found on
read, however plausible the samples look, and the entry is made again. Each
kind of entry adds its own sanity checks (finite samples in range, a shape).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
import platformdirs

from .atomic import PARTIAL_MARK, write_file
from .errors import CoregError

CACHE_DIR_ENV = "COREG_AUDIO_CACHE_DIR"
KINDS = ("speech", "ambience", "gains", "encoded", "voices", "files", "covers")

_ENTRY = re.compile(r"[0-9a-f]{64}\.npy")
_TEMPORARY = re.compile(
    rf"\.[0-9a-f]{{64}}\.(?:npy{re.escape(PARTIAL_MARK)}(?:\d+-)?[0-9a-f]{{8}}|.+\.tmp)"
)
"""A partial entry, left by a writer that was killed (``.tmp``: by an older version)."""
_log = logging.getLogger(__name__)
_SEAL: Final = b"\0coreg-audio sha256"
"""What follows an entry's array: this mark, then the SHA-256 of every byte before it."""
_SEAL_BYTES: Final = len(_SEAL) + 32
_HASH_CHUNK_BYTES: Final = 1 << 20

Sane = Callable[[np.ndarray], bool]
"""A kind's own check of an array that passed its checksum (shape, dtype, range)."""


def finite(value: np.ndarray) -> bool:
    """No pickled objects, and no NaN or infinity in a float array."""
    if value.dtype.hasobject:
        return False
    return not np.issubdtype(value.dtype, np.floating) or bool(np.isfinite(value).all())


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


def sane_digest(value: np.ndarray) -> bool:
    """A remembered SHA-256: 32 bytes."""
    return value.dtype == np.uint8 and value.shape == (32,)


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in pieces; remembered by path, size and change time.

    So a file of gigabytes is never in memory, and read whole only once.
    """
    status = path.stat()
    key = content_key({"file": [str(path.absolute()), status.st_size, status.st_mtime_ns]})
    remembered = store("files", sane_digest).get(key)
    if remembered is not None:
        return bytes(remembered).hex()
    with path.open("rb") as file:
        digest = hashlib.file_digest(file, "sha256").digest()
    store("files", sane_digest).put(key, np.frombuffer(digest, dtype=np.uint8))
    return digest.hex()


class ArrayStore:
    """Arrays by key in one folder; ``get`` and ``put`` never raise for a file problem.

    ``sane`` is the kind's own check of an entry that passed its checksum; an
    entry failing either is damaged: a miss, removed, and said in one line under
    ``--verbose`` (the INFO level of this module's logger).
    """

    def __init__(self, folder: Path, sane: Sane = finite) -> None:
        self.folder = folder
        self._sane = sane
        self._writable = True

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npy"

    def get(self, key: str, *, mapped: bool = False) -> np.ndarray | None:
        """The stored array (memory-mapped read-only when ``mapped``), or None."""
        path = self.path(key)
        try:
            with path.open("rb") as file:
                value = _read_sealed(file, mapped)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError):
            value = None
        if isinstance(value, _Unsealed):
            _log.debug("cache: %s is from before entries were sealed; making it again", path)
            value = None
        elif value is None or not finite(value) or not self._sane(value):
            self._damaged(path)
            return None
        return value

    def put(self, key: str, value: np.ndarray) -> None:
        """Store ``value`` atomically; on failure warn once and carry on without the disk."""
        if not self._writable:
            return
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(target, lambda stream: _write_sealed(stream, value), durable=False)
        except (OSError, CoregError) as exc:
            self._writable = False
            cause = exc if isinstance(exc, OSError) else exc.__cause__
            _log.warning(
                "cannot write the cache in %s (%s); keeping what it would hold in "
                "memory for this run",
                self.folder,
                (cause.strerror if isinstance(cause, OSError) else None) or cause or exc,
            )

    def _damaged(self, path: Path) -> None:
        """A damaged entry goes, so it is made again and never read twice."""
        _log.info("cache: %s was damaged; making it again", path)
        with contextlib.suppress(OSError):
            path.unlink()

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


def store(kind: str, sane: Sane = finite) -> ArrayStore:
    """The store of one kind of entry (``speech``, ``ambience``, ``gains`` or ``voices``)."""
    return ArrayStore(cache_root() / kind, sane)


def cache_size_bytes() -> int:
    return sum(store(kind).size_bytes() for kind in KINDS)


def clear_cache() -> int:
    """Delete every cached entry of every kind; returns how many files were removed."""
    return sum(store(kind).clear() for kind in KINDS)


class _Hashing:
    """A writable stream that hashes what passes through it on its way to ``target``."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.digest = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        return self.target.write(data)

    def flush(self) -> None:
        self.target.flush()


def _write_sealed(stream: IO[bytes], value: np.ndarray) -> None:
    """The array as ``.npy``, then the seal: a mark and the hash of the bytes before it."""
    hashing = _Hashing(stream)
    np.save(hashing, np.ascontiguousarray(value), allow_pickle=False)
    stream.write(_SEAL + hashing.digest.digest())


class _Unsealed:
    """An entry whole in the form of an older version, before entries were sealed: a miss."""


def _read_sealed(file: io.BufferedReader, mapped: bool) -> np.ndarray | _Unsealed | None:
    """The array of a sealed entry whose bytes match their hash; None for any other file."""
    size = os.fstat(file.fileno()).st_size
    body_bytes = size - _SEAL_BYTES
    if body_bytes <= 0:
        return None
    file.seek(body_bytes)
    seal = file.read(_SEAL_BYTES)
    if seal[: len(_SEAL)] != _SEAL:
        return _Unsealed() if _plain_npy(file, size) else None
    file.seek(0)
    if not mapped:
        body = file.read(body_bytes)
        if hashlib.sha256(body).digest() != seal[len(_SEAL) :]:
            return None
        value = np.load(io.BytesIO(body), allow_pickle=False)
        return value if isinstance(value, np.ndarray) else None
    digest = hashlib.sha256()
    left = body_bytes
    while left > 0:
        chunk = file.read(min(left, _HASH_CHUNK_BYTES))
        if not chunk:
            return None
        digest.update(chunk)
        left -= len(chunk)
    if digest.digest() != seal[len(_SEAL) :]:
        return None
    header = _npy_header(file)
    if header is None:
        return None
    shape, fortran, dtype = header
    offset = file.tell()
    if dtype.hasobject or offset + int(np.prod(shape)) * dtype.itemsize != body_bytes:
        return None
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype=dtype)
    mapped_array: np.ndarray = np.memmap(
        file, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C"
    )
    return mapped_array


def _npy_header(file: io.BufferedReader) -> tuple[tuple[int, ...], bool, np.dtype[Any]] | None:
    """Shape, Fortran order and dtype from the start of a ``.npy`` file; None if it is none."""
    file.seek(0)
    try:
        version = np.lib.format.read_magic(file)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(file)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(file)
    except ValueError:
        return None
    return None


def _plain_npy(file: io.BufferedReader, size: int) -> bool:
    """Whether the file is exactly one ``.npy`` array, header and data, nothing more."""
    header = _npy_header(file)
    if header is None:
        return False
    shape, _, dtype = header
    return file.tell() + int(np.prod(shape)) * dtype.itemsize == size
