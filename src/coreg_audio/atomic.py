"""Files that appear whole or not at all: tracks, captions, playlists, scripts, cache entries.

Every file coreg-audio writes is written to a hidden partial file beside its
target and renamed (or linked) into place only once it is complete, so a
failure or Ctrl-C never leaves a half-written file behind and never harms a
file already at the target.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from secrets import token_hex
from typing import IO, Final

from . import leftovers
from .errors import CoregError, RenderFailed, UsageError

PARTIAL_MARK: Final = ".partial-"
"""What a partial file's name holds: ``.NAME.partial-``, its maker's process id, ``-`` and
eight hex digits."""
_PARTIAL_STEM_MAX_BYTES: Final = 200

Writer = Callable[[IO[bytes]], object]


class PartialFile:
    """A hidden file beside ``target`` that becomes it on ``commit``, or is removed by ``discard``.

    Beside, so the final rename stays on one file system and is atomic; created
    with mode 0o666 so the umask applies as it would to any new file. ``fd`` is
    open for writing; whoever writes the file closes it. Its name holds this
    process's id and it is locked until it is committed or discarded, so a run
    that died leaves a file the next one in the folder can tell and remove
    (``leftovers``), and a live run's is never touched.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.fd, self.path = _create(target)
        self._held = leftovers.hold(self.path)

    def commit(self, *, replace: bool = True, durable: bool = True) -> None:
        """Put the finished file at ``target``.

        ``replace=False`` never replaces a file already there: then
        ``FileExistsError``, and the partial file is left to ``discard``.
        ``durable`` syncs the file and its folder, so the rename survives a crash.
        """
        if durable:
            with self.path.open("rb") as file:
                os.fsync(file.fileno())
        if replace:
            os.replace(self.path, self.target)
        else:
            _place_new(self.path, self.target)
        self._held.release()
        if durable:
            _sync_folder(self.target.parent)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self._held.release()


def write_file(
    path: Path,
    content: bytes | Writer,
    *,
    replace: bool = True,
    durable: bool = True,
    failure: type[CoregError] = RenderFailed,
) -> None:
    """Write ``content`` (bytes, or a function filling the open file) to ``path``, whole.

    A problem with the folder is a ``UsageError``; one while writing is a
    ``failure`` naming the path. With ``replace=False`` an existing file is
    kept and ``FileExistsError`` raised, for the caller to word.
    """
    partial = PartialFile(path)
    try:
        with os.fdopen(partial.fd, "wb") as file:
            if isinstance(content, bytes):
                file.write(content)
            else:
                content(file)
        partial.commit(replace=replace, durable=durable)
    except OSError as error:
        partial.discard()
        if isinstance(error, FileExistsError) and not replace:
            raise
        raise failure(f"cannot write {path}: {error.strerror or error}") from error
    except BaseException:
        partial.discard()
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless ``path`` holds it already; True if written.

    An identical file is left alone, so a run that changed nothing changes nothing.
    """
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_file(path, data)
    return True


def check_writable(path: Path) -> None:
    """Fail now, before any work is done, if a file could not be written at ``path``."""
    partial = PartialFile(path)
    os.close(partial.fd)
    partial.discard()


def _create(path: Path) -> tuple[int, Path]:
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: the folder {folder} does not exist")
    leftovers.sweep_partials(folder)
    stem = path.name
    while len(os.fsencode(stem)) > _PARTIAL_STEM_MAX_BYTES:
        stem = stem[:-1]
    while True:
        partial = folder / f".{stem}{leftovers.partial_mark()}{token_hex(4)}"
        try:
            return os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), partial
        except FileExistsError:
            continue
        except OSError as error:
            raise UsageError(
                f"cannot write {path}: the folder {folder} is not writable ({error.strerror})"
            ) from error


def _place_new(partial: Path, target: Path) -> None:
    """Move ``partial`` to ``target`` unless ``target`` exists (``FileExistsError``).

    A hard link refuses an existing target atomically; folders that cannot hold
    links (some USB and network drives) get a rename after one more check.
    """
    try:
        os.link(partial, target)
    except FileExistsError:
        raise
    except OSError:
        if target.exists():
            raise FileExistsError(target) from None
        os.replace(partial, target)
    else:
        partial.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; some file systems cannot sync a folder, which is harmless."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
