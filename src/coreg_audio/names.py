"""File names an author writes (an ambience file, a voice's model) made paths, or said why not.

A name in a script can be anything YAML holds: a NUL character, a home folder
(``~someone``) this machine does not have, a name longer than the file system
takes. Each is a plain reason here, for the caller to report at the name's
line, never an operating-system error escaping as a crash.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class UnusableName(ValueError):
    """A name that cannot be a path on this machine; ``str()`` says why in plain words."""


def author_path(name: str, folder: Path | None = None) -> Path:
    """``name`` as an absolute path, ``~`` expanded, relative to ``folder`` (else here).

    Raises ``UnusableName`` when the name cannot be a path on this machine.
    """
    path = expand_home(name)
    if folder is not None and not path.is_absolute():
        path = folder / path
    try:
        return Path(os.path.abspath(path))
    except (OSError, ValueError) as error:
        raise UnusableName(_os_reason(error)) from None


def expand_home(name: str) -> Path:
    """``name`` with a leading ``~`` or ``~user`` expanded; ``UnusableName`` if it cannot be."""
    if "\x00" in name:
        raise UnusableName("the name holds a NUL character, which no file name can")
    try:
        return Path(name).expanduser()
    except RuntimeError:
        home = name.split("/", 1)[0].split(os.sep, 1)[0]
        raise UnusableName(
            f"'{home}' names a home folder this computer does not have; "
            "write the folder out in full"
        ) from None


def file_kind(path: Path) -> str:
    """``file``, ``folder`` or ``missing``; ``UnusableName`` when the system refuses the name."""
    try:
        if path.is_file():
            return "file"
        if path.is_dir():
            return "folder"
    except (OSError, ValueError) as error:
        raise UnusableName(_os_reason(error)) from None
    return "missing"


def _os_reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG:
        return (
            "the name is too long for this computer's file system "
            "(at most 255 bytes for each folder or file name)"
        )
    if isinstance(error, OSError):
        return f"the system cannot use the name: {error.strerror or error}"
    return f"the system cannot use the name: {error}"
