"""Finding scripts by name: COREG_AUDIO_PATH, then the user's folder, then the built-ins."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .errors import UsageError
from .names import UnusableName, expand_home, file_kind
from .resources import shipped_folder
from .suggest import suggestion

SCRIPT_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Found:
    name: str
    path: Path
    origin: str


def search_folders() -> list[tuple[Path, str]]:
    """The folders searched for a name, first match wins, with where each comes from."""
    folders: list[tuple[Path, str]] = [
        (Path(entry).expanduser(), "COREG_AUDIO_PATH")
        for entry in os.environ.get("COREG_AUDIO_PATH", "").split(os.pathsep)
        if entry
    ]
    folders.append((user_script_folder(), "user"))
    folders.append((shipped_folder("scripts"), "built-in"))
    return folders


def user_script_folder() -> Path:
    return platformdirs.user_config_path("coreg-audio") / "scripts"


def available() -> list[Found]:
    """Every script on the search path, the first of each name only, sorted by name."""
    found: dict[str, Found] = {}
    for folder, origin in search_folders():
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in SCRIPT_SUFFIXES and path.is_file() and path.stem not in found:
                found[path.stem] = Found(path.stem, path, origin)
    return sorted(found.values(), key=lambda item: item.name)


def looks_like_path(ref: str) -> bool:
    return ref.endswith(SCRIPT_SUFFIXES) or os.sep in ref or "/" in ref


def resolve(ref: str) -> Found:
    """The script ``ref`` names: a path to a file, or a name on the search path."""
    try:
        return _resolve(ref)
    except UnusableName as reason:
        raise UsageError(f"{ref} cannot be a script: {reason}") from None


def _resolve(ref: str) -> Found:
    if looks_like_path(ref) or file_kind(Path(ref)) == "file":
        path = expand_home(ref)
        kind = file_kind(path)
        if kind != "file":
            what = "a folder" if kind == "folder" else "no file"
            raise UsageError(
                f"{ref} is {what}; give a practice's .yaml file or its name "
                "(coreg-audio list shows the names)"
            )
        return Found(path.stem, path, "path")
    for folder, origin in search_folders():
        for suffix in SCRIPT_SUFFIXES:
            candidate = folder / f"{ref}{suffix}"
            if file_kind(candidate) == "file":
                return Found(ref, candidate, origin)
    names = [item.name for item in available()]
    hint = suggestion(ref, names)
    here = [
        path
        for path in (Path(f"{ref}{suffix}") for suffix in SCRIPT_SUFFIXES)
        if file_kind(path) == "file"
    ]
    if here:
        hint = f"; for the file in this folder, give its file name: {here[0]}"
    raise UsageError(f"no practice named '{ref}'{hint} (coreg-audio list shows them all)")
