"""The loader: malformed files get one clear line at their place, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from coreg_audio.errors import ScriptError, UsageError
from coreg_audio.format.loader import parse_script_bytes, read_script_file
from coreg_audio.format.reader import read_script


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "x.yaml:1:1: error: the file is empty"),
        (b"# only a comment\n", "x.yaml:1:1: error: the file is empty"),
        (b"- a\n- b\n", "x.yaml:1:1: error: a practice script is a mapping of keys"),
        (b"hello\n", "x.yaml:1:1: error: a practice script is a mapping of keys"),
        (b"title: T\nsteps: [\n", "x.yaml:2:8: error: the '[' here opens a list in brackets"),
        (b'title: "T\nsteps: []\n', 'x.yaml:1:8: error: the quote " that starts these words'),
        (b"title: T\n\xff\xfe: x\n", "x.yaml:2:1: error: the file is not UTF-8 text (byte 0xff)"),
        (
            b"title: T\nsteps: *nothing\n",
            "x.yaml:2:8: error: '*nothing' repeats a part marked '&nothing'",
        ),
        (
            b"title: T\nsteps: [{pause: 1}]\n---\ntitle: U\n",
            "x.yaml:3:1: error: '---' starts a second",
        ),
        (b"a: 1\x00\n", "x.yaml:1:5: error: the file holds a NUL character"),
        (
            b"title: !!python/object:os.system x\nsteps: [{pause: 1}]\n",
            "x.yaml:1:8: error: 'title' has an unsupported tag",
        ),
        (b"[" * 5000, "x.yaml:1:1: error: the YAML is nested too deeply"),
    ],
)
def test_malformed_files(data: bytes, expected: str) -> None:
    with pytest.raises(ScriptError) as caught:
        read_script(parse_script_bytes(data, Path("x.yaml"), "x.yaml"), "x")
    assert caught.value.lines()[0].startswith(expected), caught.value.lines()


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["title: T", "steps:", "  - &a0 {pause: 1}"]
    lines += [
        f"  - &a{i} {{repeat: {{times: 1, steps: [*a{i - 1}, *a{i - 1}, *a{i - 1}]}}}}"
        for i in range(1, 30)
    ]
    data = "\n".join(lines).encode()
    with pytest.raises(ScriptError) as caught:
        read_script(parse_script_bytes(data, Path("x.yaml"), "x.yaml"), "x")
    assert any("too large" in line for line in caught.value.lines())


def test_recursive_alias_is_refused() -> None:
    data = b"title: T\nsteps: &s [{repeat: {times: 2, steps: *s}}]\n"
    with pytest.raises(ScriptError) as caught:
        read_script(parse_script_bytes(data, Path("x.yaml"), "x.yaml"), "x")
    assert any("nested" in line or "too large" in line for line in caught.value.lines())


def test_oversized_file_is_refused() -> None:
    data = b"title: T\n# " + b"x" * 1_100_000 + b"\nsteps: [{pause: 1}]\n"
    with pytest.raises(ScriptError) as caught:
        parse_script_bytes(data, Path("x.yaml"), "x.yaml")
    assert "at most" in caught.value.lines()[0]


def test_missing_and_folder_paths_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no script at"):
        read_script_file(tmp_path / "absent.yaml")
    with pytest.raises(UsageError, match="is a folder"):
        read_script_file(tmp_path)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbftitle: T\nsteps: [{pause: 1}]\n")
    assert read_script(read_script_file(path), "bom").title == "T"
