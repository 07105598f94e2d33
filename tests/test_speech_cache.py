"""The clip cache on disk: keys, whole-or-nothing writes, parallel renders, bad entries."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs
import pytest

from coreg_audio.speech import cache as cache_module
from coreg_audio.speech.cache import (
    CACHE_DIR_ENV,
    ClipCache,
    cache_dir,
    cache_size_bytes,
    clear_cache,
    clip_key,
)
from coreg_audio.speech.voice import VoiceSettings

VOICE = VoiceSettings()
KEY = clip_key("In", VOICE, "engine 1.0")
CLIP = np.linspace(-0.5, 0.5, 20000, dtype=np.float32)


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here"
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
    assert (tmp_path / KEY[:2] / f"{KEY}.npy").is_file()


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


def test_a_failed_write_leaves_no_entry_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def half_then_fail(stream: Any, array: np.ndarray, allow_pickle: bool = False) -> None:
        stream.write(b"\x93NUMPY partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", half_then_fail)
    store = ClipCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger=cache_module.__name__):
        store.put(KEY, CLIP)
        store.put(clip_key("Out", VOICE, "engine 1.0"), CLIP)
    assert store.get(KEY) is None
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, "warned once, then the run goes on in memory"
    assert "No space left on device" in warnings[0].getMessage()


def test_an_unwritable_folder_warns_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    store = ClipCache(blocker / "speech")
    with caplog.at_level(logging.WARNING, logger=cache_module.__name__):
        for text in ("In", "Out", "2"):
            store.put(clip_key(text, VOICE, "v"), CLIP)
            assert store.get(clip_key(text, VOICE, "v")) is None
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert str(blocker / "speech") in messages[0] and "memory" in messages[0]


WRITER_KILLED_MIDWAY = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from pathlib import Path
    from coreg_audio.speech import cache

    real_save = np.save
    def slow_save(stream, array, allow_pickle=False):
        stream.write(b"\\x93NUMPY")
        stream.flush()
        print("writing", flush=True)
        time.sleep(60)

    cache.np.save = slow_save
    cache.ClipCache(Path(sys.argv[1])).put(sys.argv[2], np.ones(1000, dtype=np.float32))
    """
)


def test_a_writer_killed_midway_leaves_no_entry(tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER_KILLED_MIDWAY, str(tmp_path), KEY],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert select.select([writer.stdout], [], [], 120)[0], "the writer never started"
    assert writer.stdout.readline().strip() == "writing"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    store = ClipCache(tmp_path)
    assert store.get(KEY) is None
    assert not store.path(KEY).exists()
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(leftovers) == 1 and leftovers[0].name.endswith(".tmp")
    assert cache_size_bytes(tmp_path) == leftovers[0].stat().st_size
    assert clear_cache(tmp_path) == 1, "clearing the cache also sweeps the orphan"
    store.put(KEY, CLIP)
    assert store.get(KEY) is not None


def _write_many(folder: str, key: str, rounds: int) -> int:
    clip = np.linspace(-0.5, 0.5, 100_000, dtype=np.float32)
    store = ClipCache(Path(folder))
    for _ in range(rounds):
        store.put(key, clip)
    return os.getpid()


@pytest.mark.slow
def test_parallel_writers_of_one_key_all_succeed_and_readers_see_whole_clips(
    tmp_path: Path,
) -> None:
    expected = np.linspace(-0.5, 0.5, 100_000, dtype=np.float32)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(str(tmp_path), KEY, 20)) for _ in range(3)]
    for writer in writers:
        writer.start()
    store = ClipCache(tmp_path)
    seen = 0
    while any(w.is_alive() for w in writers):
        got = store.get(KEY)
        if got is not None:
            assert np.array_equal(got, expected), "a reader never sees a partial clip"
            seen += 1
        time.sleep(0.001)
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    final = store.get(KEY)
    assert final is not None and np.array_equal(final, expected)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{KEY}.npy"]
    assert seen > 0


def test_size_and_clear_touch_only_cache_files(tmp_path: Path) -> None:
    store = ClipCache(tmp_path)
    keys = [clip_key(text, VOICE, "v") for text in ("In", "Out", "2")]
    for key in keys:
        store.put(key, CLIP)
    foreign = [tmp_path / "notes.txt", tmp_path / keys[0][:2] / "mine.npy", tmp_path / "zz" / "x"]
    for path in foreign:
        path.parent.mkdir(exist_ok=True)
        path.write_text("keep me")
    assert cache_size_bytes(tmp_path) == sum(store.path(k).stat().st_size for k in keys)
    assert clear_cache(tmp_path) == 3
    assert all(store.get(k) is None for k in keys)
    assert all(path.read_text() == "keep me" for path in foreign)
    assert cache_size_bytes(tmp_path) == 0
    assert clear_cache(tmp_path / "absent") == 0
    assert cache_size_bytes(tmp_path / "absent") == 0
