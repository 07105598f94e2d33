"""What a folder of tracks holds, and the key that says whether a track must be made again.

The manifest keeps, per practice, a key that hashes everything deciding the
track's bytes, so a re-run renders only what changed; the track number is
kept beside the key, so a track whose number alone changed needs only its tag
rewritten. It is written whole or not at all, like the tracks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import __version__
from ..atomic import write_file
from ..cache import content_key, source_fingerprint
from ..format.model import Script
from ..format.overrides import Overrides
from ..format.sounds import ambience_path
from ..library import Found
from ..timeline.compile import spoken_requests
from .index_page import PageFacts
from .render import RenderOptions

MANIFEST_NAME = ".coreg-audio-tracks.json"
"""Hidden, so a phone's player never lists it."""
MANIFEST_FORMAT = 3


class EngineVersions:
    """Each speech engine's version, asked once a run (it can mean starting a program)."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def of(self, engine: str) -> str:
        if engine not in self._known:
            from ..speech.speaker import create_engine

            speech_engine = create_engine(engine)
            try:
                self._known[engine] = speech_engine.version()
            finally:
                speech_engine.close()
        return self._known[engine]


def file_digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def folder_digest(folder: Path) -> str:
    """One hash of every file under ``folder``, names and contents."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(f"{path.relative_to(folder).as_posix()}\0{file_digest(path)}\0".encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def program_digest() -> str:
    """coreg-audio's own source, so a changed program re-renders even without a new version."""
    package = Path(__file__).resolve().parents[1]
    code = [path for path in package.rglob("*") if path.suffix in {".py", ".html", ".css", ".js"}]
    return source_fingerprint(*sorted(str(path) for path in code))


def track_key(
    found: Found,
    script: Script,
    options: RenderOptions,
    overrides: Overrides,
    sounds_digest: str,
    versions: EngineVersions,
    suffix: str,
) -> str:
    """A hash of everything that decides the track's bytes but its number.

    The script's own bytes, the command line's options, the shipped sounds and
    an ambience file, the speech engines' versions, the voice files and
    coreg-audio's own. The
    track number is kept beside the key: when a practice joins or leaves the
    library, the others only need their number changed, not a new render.
    """
    ambience = ambience_path(script)
    spoken = {voice for _, voice in spoken_requests(script)}
    engines = sorted({voice.engine for voice in spoken})
    fields: dict[str, Any] = {
        "manifest": MANIFEST_FORMAT,
        "program": __version__,
        "code": program_digest(),
        "script": file_digest(found.path),
        "overrides": asdict(overrides),
        "seed": options.seed,
        "bitrate_kbps": options.bitrate_kbps,
        "album": options.album,
        "format": suffix,
        "sounds": sounds_digest,
        "ambience": file_digest(ambience) if ambience is not None and ambience.is_file() else None,
        "engines": {engine: versions.of(engine) for engine in engines},
        "voice_files": sorted({voice.model for voice in spoken if voice.model is not None}),
    }
    return content_key(fields)


class Manifest:
    """What this folder holds: per practice, its key, title, length, page facts and file sizes.

    The page facts are what the folder's index shows, so an unchanged track is never touched.
    """

    def __init__(self, path: Path, tracks: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self.tracks = tracks
        self._written = json.dumps(self._document(), sort_keys=True)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """The manifest at ``path``; a missing or unreadable one is empty (everything renders)."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            tracks = document["tracks"] if document.get("format") == MANIFEST_FORMAT else {}
            if not isinstance(tracks, dict):
                tracks = {}
        except (OSError, ValueError, AttributeError, KeyError):
            tracks = {}
        return cls(path, tracks)

    def _document(self) -> dict[str, Any]:
        return {"format": MANIFEST_FORMAT, "program": __version__, "tracks": self.tracks}

    def current(self, name: str, key: str, out_dir: Path) -> dict[str, Any] | None:
        """The entry of ``name`` if it has this key and all its files are there, unchanged."""
        entry = self.tracks.get(name)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        files = entry.get("files")
        if not isinstance(files, dict) or not files:
            return None
        for file_name, size in files.items():
            try:
                if (out_dir / file_name).stat().st_size != size:
                    return None
            except OSError:
                return None
        if not isinstance(entry.get("title"), str) or not isinstance(
            entry.get("duration_samples"), int
        ):
            return None
        page = entry.get("page")
        if not isinstance(page, dict) or set(page) != {"summary", "subtitle", "thumbnail"}:
            return None
        if not all(isinstance(value, str) for value in page.values()):
            return None
        return entry

    def record(
        self,
        name: str,
        key: str,
        track: tuple[int, int],
        title: str,
        duration_samples: int,
        page: PageFacts,
        files: Sequence[Path],
    ) -> None:
        """Keep a finished track: its key, number, title, length, page facts and file sizes."""
        self.tracks[name] = {
            "key": key,
            "track": list(track),
            "title": title,
            "duration_samples": duration_samples,
            "page": asdict(page),
            "files": {path.name: path.stat().st_size for path in files},
        }

    def prune(self, names: set[str], out_dir: Path) -> tuple[Path, ...]:
        """Delete the files of practices no longer on the search path; only files it wrote."""
        removed: list[Path] = []
        for name in sorted(set(self.tracks) - names):
            entry = self.tracks.pop(name)
            files = entry.get("files") if isinstance(entry, dict) else None
            for file_name in files if isinstance(files, dict) else {}:
                path = out_dir / Path(str(file_name)).name
                if path.is_file():
                    path.unlink()
                    removed.append(path)
        return tuple(removed)

    def write(self) -> None:
        text = json.dumps(self._document(), sort_keys=True)
        if text != self._written:
            write_file(self.path, (text + "\n").encode("utf-8"))
            self._written = text
