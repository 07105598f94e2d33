"""Finding scripts: a path, or a name on COREG_AUDIO_PATH, the user's folder, the built-ins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coreg_audio.errors import UsageError
from coreg_audio.library import available, resolve, search_folders, user_script_folder


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.setenv("COREG_AUDIO_PATH", os.pathsep.join([str(first), str(second)]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return first, second


def test_first_match_wins_and_builtins_come_last(folders: tuple[Path, Path]) -> None:
    first, second = folders
    (second / "calm.yaml").write_text("title: second\n")
    (first / "calm.yaml").write_text("title: first\n")
    (second / "breath-sync.yaml").write_text("title: mine\n")
    assert resolve("calm").path == first / "calm.yaml"
    assert resolve("calm").origin == "COREG_AUDIO_PATH"
    assert resolve("breath-sync").path == second / "breath-sync.yaml"
    names = {found.name: found for found in available()}
    assert names["calm"].path == first / "calm.yaml"
    assert [origin for _, origin in search_folders()][-2:] == ["user", "built-in"]


def test_user_folder_is_searched(folders: tuple[Path, Path]) -> None:
    user = user_script_folder()
    user.mkdir(parents=True)
    (user / "mine.yml").write_text("title: mine\n")
    assert resolve("mine").origin == "user"


def test_builtin_library_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COREG_AUDIO_PATH", raising=False)
    found = resolve("breath-sync")
    assert found.origin == "built-in" and found.path.name == "breath-sync.yaml"


def test_a_path_is_taken_as_is(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("title: x\n")
    assert resolve(str(path)).path == path
    assert resolve(str(path)).name == "x"


def test_unknown_names_list_close_ones(folders: tuple[Path, Path]) -> None:
    with pytest.raises(
        UsageError, match="no practice named 'breath-snyc'; did you mean 'breath-sync'"
    ):
        resolve("breath-snyc")
    with pytest.raises(UsageError, match="no file"):
        resolve("missing/x.yaml")
    with pytest.raises(UsageError, match="is a folder"):
        resolve(str(folders[0]) + "/")


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("~no-such-user-here/practice.yaml", "'~no-such-user-here' names a home folder"),
        ("x" * 300 + ".yaml", "too long for this computer's file system"),
        ("x" * 300, "too long for this computer's file system"),
    ],
)
def test_a_name_the_system_refuses_is_a_usage_error(ref: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason) as caught:
        resolve(ref)
    assert str(caught.value).startswith(f"{ref} cannot be a script: ")
