"""Names an author writes, made paths: each way the system can refuse one, said in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from coreg_audio.names import UnusableName, author_path, expand_home, file_kind


def test_a_name_is_taken_beside_the_folder_and_home_is_expanded(tmp_path: Path) -> None:
    assert author_path("sea.ogg", tmp_path) == tmp_path / "sea.ogg"
    assert author_path("../sea.ogg", tmp_path / "scripts") == tmp_path / "sea.ogg"
    assert author_path("/abs/sea.ogg", tmp_path) == Path("/abs/sea.ogg")
    assert author_path("~/sea.ogg", tmp_path) == Path.home() / "sea.ogg"
    assert author_path("sea.ogg") == Path.cwd() / "sea.ogg"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("rain\0.wav", "holds a NUL character"),
        ("~no-such-user-here/rain.wav", "'~no-such-user-here' names a home folder"),
    ],
)
def test_names_that_cannot_be_paths(name: str, reason: str) -> None:
    with pytest.raises(UnusableName, match=reason):
        author_path(name)
    with pytest.raises(UnusableName, match=reason):
        expand_home(name)


def test_the_kind_of_a_path_and_a_name_too_long(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"x")
    assert file_kind(tmp_path / "a.wav") == "file"
    assert file_kind(tmp_path) == "folder"
    assert file_kind(tmp_path / "b.wav") == "missing"
    with pytest.raises(UnusableName, match="too long for this computer's file system"):
        file_kind(tmp_path / ("x" * 300))
