"""The shared disk cache: whole-or-nothing writes, parallel renders, size and clearing."""

from __future__ import annotations

import hashlib
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

from coreg_audio import cache as cache_module
from coreg_audio.atomic import PARTIAL_MARK
from coreg_audio.cache import (
    CACHE_DIR_ENV,
    ArrayStore,
    cache_root,
    cache_size_bytes,
    clear_cache,
    content_key,
    source_fingerprint,
    store,
)

KEY = content_key({"text": "In"})
CLIP = np.linspace(-0.5, 0.5, 20000, dtype=np.float32)


def test_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "here"))
    assert cache_root() == tmp_path / "here"
    assert store("gains").folder == tmp_path / "here" / "gains"
    monkeypatch.delenv(CACHE_DIR_ENV)
    assert cache_root() == platformdirs.user_cache_path("coreg-audio")


def test_keys_and_fingerprints_change_with_their_content(tmp_path: Path) -> None:
    assert content_key({"a": 1, "b": [2]}) == content_key({"b": [2], "a": 1})
    assert content_key({"a": 1}) != content_key({"a": 2})
    first, second = tmp_path / "one.py", tmp_path / "two.py"
    first.write_text("x = 1\n")
    second.write_text("x = 2\n")
    assert source_fingerprint(str(first)) != source_fingerprint(str(second))
    assert source_fingerprint(str(first), str(second)) != source_fingerprint(str(second))


def test_put_then_get_gives_the_same_array_also_mapped(tmp_path: Path) -> None:
    entries = ArrayStore(tmp_path)
    assert entries.get(KEY) is None
    entries.put(KEY, CLIP)
    assert np.array_equal(entries.get(KEY), CLIP)  # type: ignore[arg-type]
    mapped = entries.get(KEY, mapped=True)
    assert mapped is not None and not mapped.flags.writeable
    assert np.array_equal(mapped, CLIP)


def test_a_failed_write_leaves_no_entry_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def half_then_fail(stream: Any, array: np.ndarray, allow_pickle: bool = False) -> None:
        stream.write(b"\x93NUMPY partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", half_then_fail)
    entries = ArrayStore(tmp_path)
    with caplog.at_level(logging.WARNING, logger=cache_module.__name__):
        entries.put(KEY, CLIP)
        entries.put(content_key({"text": "Out"}), CLIP)
    assert entries.get(KEY) is None
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, "warned once, then the run goes on in memory"
    assert "No space left on device" in warnings[0].getMessage()


def test_an_unwritable_folder_warns_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    entries = ArrayStore(blocker / "speech")
    with caplog.at_level(logging.WARNING, logger=cache_module.__name__):
        for text in ("In", "Out", "2"):
            entries.put(content_key({"text": text}), CLIP)
            assert entries.get(content_key({"text": text})) is None
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert str(blocker / "speech") in messages[0] and "memory" in messages[0]


WRITER_KILLED_MIDWAY = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from pathlib import Path
    from coreg_audio import cache

    real_save = np.save
    def slow_save(stream, array, allow_pickle=False):
        stream.write(b"\\x93NUMPY")
        stream.flush()
        print("writing", flush=True)
        time.sleep(60)

    cache.np.save = slow_save
    cache.ArrayStore(Path(sys.argv[1])).put(sys.argv[2], np.ones(1000, dtype=np.float32))
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
    entries = ArrayStore(tmp_path)
    assert entries.get(KEY) is None
    assert not entries.path(KEY).exists()
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(leftovers) == 1 and PARTIAL_MARK in leftovers[0].name
    older = leftovers[0].with_name(f".{KEY}.x1y2z3.tmp")
    older.write_bytes(b"left by an older version")
    assert entries.size_bytes() == leftovers[0].stat().st_size + older.stat().st_size
    assert entries.clear() == 2, "clearing the cache also sweeps the orphans"
    entries.put(KEY, CLIP)
    assert entries.get(KEY) is not None


def _write_many(folder: str, key: str, rounds: int) -> int:
    clip = np.linspace(-0.5, 0.5, 100_000, dtype=np.float32)
    entries = ArrayStore(Path(folder))
    for _ in range(rounds):
        entries.put(key, clip)
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
    entries = ArrayStore(tmp_path)
    seen = 0
    while any(w.is_alive() for w in writers):
        got = entries.get(KEY)
        if got is not None:
            assert np.array_equal(got, expected), "a reader never sees a partial clip"
            seen += 1
        time.sleep(0.001)
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    final = entries.get(KEY)
    assert final is not None and np.array_equal(final, expected)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{KEY}.npy"]
    assert seen > 0


def test_size_and_clear_touch_only_cache_files(tmp_path: Path) -> None:
    entries = ArrayStore(tmp_path)
    keys = [content_key({"text": text}) for text in ("In", "Out", "2")]
    for key in keys:
        entries.put(key, CLIP)
    foreign = [tmp_path / "notes.txt", tmp_path / keys[0][:2] / "mine.npy", tmp_path / "zz" / "x"]
    for path in foreign:
        path.parent.mkdir(exist_ok=True)
        path.write_text("keep me")
    assert entries.size_bytes() == sum(entries.path(k).stat().st_size for k in keys)
    assert entries.clear() == 3
    assert all(entries.get(k) is None for k in keys)
    assert all(path.read_text() == "keep me" for path in foreign)
    assert entries.size_bytes() == 0
    assert ArrayStore(tmp_path / "absent").clear() == 0
    assert ArrayStore(tmp_path / "absent").size_bytes() == 0


def test_size_and_clear_cover_every_kind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    for kind in ("speech", "ambience", "gains"):
        cache_module.store(kind).put(KEY, CLIP)
    assert cache_size_bytes() == 3 * cache_module.store("speech").path(KEY).stat().st_size
    assert clear_cache() == 3
    assert cache_size_bytes() == 0


def _damage(path: Path, how: str) -> None:
    """One kind of damage a disk, a crash or a bug can do to an entry."""
    data = bytearray(path.read_bytes())
    body = len(data) - cache_module._SEAL_BYTES  # the seal: a mark and a 32-byte hash
    if how.startswith("bit-"):
        place = {"bit-header": 9, "bit-data": body - 40_001, "bit-seal": body + 30}[how]
        data[place] ^= 0x10
    elif how == "garbled":
        data[body // 2 : body // 2 + 64] = np.random.default_rng(7).bytes(64)
    elif how == "zeroed":
        data[128:body] = bytes(body - 128)
    elif how == "truncated":
        del data[body // 2 :]
    elif how == "unsealed":
        data = data[:body]
    elif how == "empty":
        data = bytearray()
    path.write_bytes(bytes(data))


DAMAGE = [
    "bit-header",
    "bit-data",
    "bit-seal",
    "garbled",
    "zeroed",
    "truncated",
    "empty",
]


@pytest.mark.parametrize("mapped", [False, True], ids=["read", "mapped"])
@pytest.mark.parametrize("how", DAMAGE)
def test_any_damage_is_a_miss_said_once_and_made_again(
    tmp_path: Path, how: str, mapped: bool, caplog: pytest.LogCaptureFixture
) -> None:
    clip = np.sin(np.arange(100_000, dtype=np.float32) / 10) * np.float32(0.3)
    entries = ArrayStore(tmp_path)
    entries.put(KEY, clip)
    _damage(entries.path(KEY), how)
    with caplog.at_level(logging.INFO, logger=cache_module.__name__):
        assert entries.get(KEY, mapped=mapped) is None
    assert [record.levelno for record in caplog.records] == [logging.INFO]
    assert str(entries.path(KEY)) in caplog.records[0].getMessage()
    assert not entries.path(KEY).exists(), "a damaged entry is never read twice"
    entries.put(KEY, clip)
    again = entries.get(KEY, mapped=mapped)
    assert again is not None and np.array_equal(again, clip)


def test_a_sealed_entry_must_still_be_sane(tmp_path: Path) -> None:
    """A checksum proves the bytes are as written; each kind also checks what was written."""
    entries = ArrayStore(tmp_path)
    entries.put(KEY, np.array([1.0, np.nan], dtype=np.float32))
    assert entries.get(KEY) is None, "no NaN or infinity in any kind"
    picky = ArrayStore(tmp_path, sane=lambda value: value.shape == (1,))
    picky.put(KEY, np.zeros(2))
    assert picky.get(KEY) is None
    picky.put(KEY, np.zeros(1))
    assert picky.get(KEY) is not None
    assert ArrayStore(tmp_path).get(content_key({"never": "written"})) is None


def test_a_file_digest_is_remembered_and_follows_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    path = tmp_path / "sea.wav"
    path.write_bytes(b"x" * 3_000_000)
    first = cache_module.file_digest(path)
    assert first == hashlib.sha256(b"x" * 3_000_000).hexdigest()
    assert cache_module.file_digest(path) == first
    path.write_bytes(b"y" * 3_000_000)
    assert cache_module.file_digest(path) != first


def test_an_entry_from_before_the_seal_is_a_quiet_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An older version's whole entry is not damage: made again, and not said even under -v."""
    entries = ArrayStore(tmp_path)
    entries.put(KEY, CLIP)
    _damage(entries.path(KEY), "unsealed")
    with caplog.at_level(logging.INFO, logger=cache_module.__name__):
        assert entries.get(KEY) is None
        assert entries.get(KEY, mapped=True) is None
    assert caplog.records == []
    entries.put(KEY, CLIP)
    assert np.array_equal(entries.get(KEY), CLIP)  # type: ignore[arg-type]
