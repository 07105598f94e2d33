"""Files that appear whole or not at all, and never harm a file already there."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

import pytest

from coreg_audio.atomic import (
    PARTIAL_MARK,
    PartialFile,
    check_writable,
    write_file,
    write_if_changed,
)
from coreg_audio.errors import RenderFailed, UsageError


def test_write_file_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "list.m3u8"
    target.write_text("old")
    write_file(target, b"new")
    assert target.read_bytes() == b"new"
    with pytest.raises(UsageError, match="does not exist"):
        write_file(tmp_path / "gone" / "x", b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.m3u8"]


def test_a_writer_that_fails_leaves_the_old_file_and_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "track.mp3"
    target.write_bytes(b"old")

    def half_then_fail(file: IO[bytes]) -> None:
        file.write(b"half")
        raise OSError(28, "No space left on device")

    def interrupted(file: IO[bytes]) -> None:
        file.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(RenderFailed, match=r"cannot write .*track\.mp3: No space left"):
        write_file(target, half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        write_file(target, interrupted)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["track.mp3"]


def test_the_failure_can_be_a_usage_error(tmp_path: Path) -> None:
    def fail(file: IO[bytes]) -> None:
        raise OSError(5, "Input/output error")

    with pytest.raises(UsageError, match="Input/output error"):
        write_file(tmp_path / "x.yaml", fail, failure=UsageError)


def test_without_replace_an_existing_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    write_file(target, b"first", replace=False)
    assert target.read_bytes() == b"first"
    with pytest.raises(FileExistsError):
        write_file(target, b"second", replace=False)
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]


def test_without_links_an_existing_file_is_still_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some USB and network drives hold no hard links: a checked rename instead."""

    def no_links(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "mine.yaml"
    write_file(target, b"first", replace=False)
    with pytest.raises(FileExistsError):
        write_file(target, b"second", replace=False)
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_file(tmp_path / "a.lrc", b"x")
        write_file(tmp_path / "b.yaml", b"x", replace=False)
    finally:
        os.umask(previous)
    for name in ("a.lrc", "b.yaml"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_write_if_changed_leaves_an_identical_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "playlist.m3u8"
    assert write_if_changed(target, b"#EXTM3U\n")
    os.utime(target, (1_000_000, 1_000_000))
    assert not write_if_changed(target, b"#EXTM3U\n")
    assert target.stat().st_mtime == 1_000_000
    assert write_if_changed(target, b"#EXTM3U\na.mp3\n")
    assert target.read_bytes() == b"#EXTM3U\na.mp3\n"


def test_a_partial_file_is_hidden_beside_its_target_until_committed(tmp_path: Path) -> None:
    target = tmp_path / ("x" * 250 + ".mp3")
    partial = PartialFile(target)
    os.write(partial.fd, b"data")
    os.close(partial.fd)
    assert partial.path.parent == tmp_path
    assert partial.path.name.startswith(".x") and PARTIAL_MARK in partial.path.name
    assert len(os.fsencode(partial.path.name)) < 255
    assert not target.exists()
    partial.commit()
    assert target.read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_check_writable_names_the_problem_in_one_line(tmp_path: Path) -> None:
    problems = {
        tmp_path / "missing" / "a.mp3": "the folder .*missing does not exist",
        tmp_path: "it is a folder",
        Path("/sys/a.wav"): r"the folder /sys is not writable \(",
    }
    (tmp_path / "file").write_text("x")
    problems[tmp_path / "file" / "a.mp3"] = "the folder .*file does not exist"
    for path, message in problems.items():
        with pytest.raises(UsageError, match=message) as raised:
            check_writable(path)
        assert "\n" not in str(raised.value)
    check_writable(tmp_path / "fine.mp3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
