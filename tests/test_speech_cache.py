"""The clip cache: keys, the speech folder, and what counts as a damaged clip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import platformdirs
import pytest

from coreg_audio.cache import ArrayStore
from coreg_audio.speech import cache as cache_module
from coreg_audio.speech.cache import CACHE_DIR_ENV, ClipCache, cache_dir, clip_key
from coreg_audio.speech.voice import VoiceSettings

VOICE = VoiceSettings(engine="pyttsx3")
KEY = clip_key("In", VOICE, "engine 1.0")
CLIP = np.linspace(-0.5, 0.5, 20000, dtype=np.float32)


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here" / "speech"
    monkeypatch.delenv(CACHE_DIR_ENV)
    assert cache_dir() == platformdirs.user_cache_path("coreg-audio") / "speech"
    monkeypatch.setenv(CACHE_DIR_ENV, "")
    assert cache_dir() == platformdirs.user_cache_path("coreg-audio") / "speech"


def test_the_key_is_stable_and_changes_with_every_field(monkeypatch: pytest.MonkeyPatch) -> None:
    assert clip_key("In", VOICE, "engine 1.0") == KEY
    assert len(KEY) == 64 and int(KEY, 16) >= 0
    others = {
        clip_key("Out", VOICE, "engine 1.0"),
        clip_key("In ", VOICE, "engine 1.0"),
        clip_key("In", VOICE, "engine 1.1"),
        clip_key("In", dataclasses.replace(VOICE, engine="espeak"), "engine 1.0"),
        clip_key("In", dataclasses.replace(VOICE, name="gmw/en-US"), "engine 1.0"),
        clip_key("In", dataclasses.replace(VOICE, language="de"), "engine 1.0"),
        clip_key("In", dataclasses.replace(VOICE, rate_wpm=141), "engine 1.0"),
        clip_key("In", dataclasses.replace(VOICE, pitch=50), "engine 1.0"),
    }
    monkeypatch.setattr(cache_module, "PROCESSING_VERSION", 999)
    others.add(clip_key("In", VOICE, "engine 1.0"))
    assert KEY not in others and len(others) == 9


def test_a_voice_file_is_keyed_by_its_content_not_its_name() -> None:
    piper = dataclasses.replace(VOICE, engine="piper", name="en_US-joe-medium", model="a" * 64)
    key = clip_key("In", piper, "piper-tts 1.8.0")
    assert (
        clip_key("In", dataclasses.replace(piper, name="/elsewhere/joe.onnx"), "piper-tts 1.8.0")
        == key
    )
    assert clip_key("In", dataclasses.replace(piper, model="b" * 64), "piper-tts 1.8.0") != key


def test_put_then_get_gives_the_same_samples(tmp_path: Path) -> None:
    store = ClipCache(tmp_path)
    assert store.get(KEY) is None
    store.put(KEY, CLIP)
    got = store.get(KEY)
    assert got is not None and got.dtype == np.float32
    assert np.array_equal(got, CLIP)
    assert store.path(KEY) == tmp_path / KEY[:2] / f"{KEY}.npy"
    assert ClipCache(tmp_path).get(KEY) is not None, "another process sees it too"


def test_the_default_folder_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    ClipCache().put(KEY, CLIP)
    assert (tmp_path / "speech" / KEY[:2] / f"{KEY}.npy").is_file()


@pytest.mark.parametrize(
    "damage",
    ["truncated", "garbage", "empty-file", "float64", "two-d", "no-samples", "nan", "pickle"],
)
def test_a_damaged_entry_is_a_miss_and_is_rewritten(tmp_path: Path, damage: str) -> None:
    store = ClipCache(tmp_path)
    store.put(KEY, CLIP)
    path = store.path(KEY)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-1000])
    elif damage == "garbage":
        path.write_bytes(b"\x93NUMPY this is not an array")
    elif damage == "empty-file":
        path.write_bytes(b"")
    elif damage == "float64":
        np.save(path, CLIP.astype(np.float64))
    elif damage == "two-d":
        np.save(path, np.zeros((10, 2), dtype=np.float32))
    elif damage == "no-samples":
        np.save(path, np.zeros(0, dtype=np.float32))
    elif damage == "nan":
        np.save(path, np.full(10, np.nan, dtype=np.float32))
    elif damage == "pickle":
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert store.get(KEY) is None
    store.put(KEY, CLIP)
    got = store.get(KEY)
    assert got is not None and np.array_equal(got, CLIP)


@pytest.mark.parametrize(
    "written",
    [
        np.zeros(20000, dtype=np.float32),
        np.where(np.arange(20000) == 7000, np.float32(3e38), CLIP).astype(np.float32),
        np.where(np.arange(20000) == 7000, np.float32(1.5), CLIP).astype(np.float32),
    ],
    ids=["zeroed", "a-flipped-exponent", "over-full-scale"],
)
def test_a_clip_written_whole_but_wrong_is_a_miss(tmp_path: Path, written: np.ndarray) -> None:
    """Damage that happened before the seal (a bug, a bad write): no clip of speech looks so."""
    store = ClipCache(tmp_path)
    ArrayStore(tmp_path).put(KEY, written)
    assert store.get(KEY) is None
    store.put(KEY, CLIP)
    got = store.get(KEY)
    assert got is not None and np.array_equal(got, CLIP)
