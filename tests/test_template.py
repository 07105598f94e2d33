"""``new NAME``: the template validates as written, shows every step kind, explains each key."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
import yaml

from coreg_audio.errors import UsageError
from coreg_audio.format.schema import SCHEMA_FILE
from coreg_audio.format.steps import STEP_KINDS, walk_steps
from coreg_audio.format.template import (
    TEMPLATE_FILE,
    practice_name,
    template_text,
    title_of,
    write_new,
)
from coreg_audio.format.toplevel import TOP_LEVEL_KEYS
from coreg_audio.practice import check_script, load


@pytest.mark.slow
def test_the_template_validates_as_written() -> None:
    """Slow when the speech cache is cold: every sentence is spoken to check its fit."""
    assert check_script(str(TEMPLATE_FILE)) == []


@pytest.mark.slow
def test_a_new_script_validates_unchanged(tmp_path: Path) -> None:
    path = write_new("my-practice", tmp_path)
    assert path == tmp_path / "my-practice.yaml"
    assert check_script(str(path)) == []
    script = load(str(path))
    assert script.title == "My practice"
    assert script.name == "my-practice"


def test_the_template_shows_every_step_kind() -> None:
    kinds = {step.KIND.name for step in walk_steps(load(str(TEMPLATE_FILE)).steps)}
    assert kinds == set(STEP_KINDS)


def test_it_asks_before_any_touch() -> None:
    from coreg_audio.format.validate import spoken_texts

    from .test_scripts import MANNERS, asks_before_touch

    texts = [text.source for text, _ in spoken_texts(load(str(TEMPLATE_FILE)).steps)]
    assert any("shoulders" in text for text in texts)
    assert asks_before_touch(texts, MANNERS[load(str(TEMPLATE_FILE)).language])


def test_every_top_level_key_is_written_and_explained() -> None:
    lines = TEMPLATE_FILE.read_text().splitlines()
    for key in TOP_LEVEL_KEYS:
        line = next((line for line in lines if line.startswith(f"{key}:")), None)
        assert line is not None, f"the template does not show '{key}'"
        if key != "steps":
            assert "#" in line, f"'{key}' has no comment explaining it"


def test_every_step_kind_is_explained_in_a_comment() -> None:
    comments = " ".join(
        line for line in TEMPLATE_FILE.read_text().splitlines() if line.strip().startswith("#")
    )
    for kind in STEP_KINDS:
        assert re.search(rf"\b{kind}:", comments), f"no comment explains '{kind}'"


def test_the_schema_line_points_at_the_installed_schema(tmp_path: Path) -> None:
    raw = TEMPLATE_FILE.read_text().splitlines()[0]
    assert raw == "# yaml-language-server: $schema=schema.json"
    assert (TEMPLATE_FILE.parent / "schema.json").is_file()
    first = write_new("evening", tmp_path).read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema={SCHEMA_FILE.resolve()}"
    assert Path(first.split("=", 1)[1]).is_file()


def test_the_new_file_names_itself_in_its_notes(tmp_path: Path) -> None:
    text = write_new("evening_calm", tmp_path).read_text()
    assert "coreg-audio validate evening_calm.yaml" in text
    assert "THIS-FILE" not in text
    assert yaml.safe_load(text)["title"] == "Evening calm"


def test_the_written_text_is_the_template_with_its_name(tmp_path: Path) -> None:
    path = write_new("sunday", tmp_path)
    assert path.read_text() == template_text("sunday")


def test_a_file_is_never_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "mine.yaml"
    existing.write_text("precious")
    with pytest.raises(UsageError, match="already exists"):
        write_new("mine", tmp_path)
    assert existing.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]


def test_the_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        path = write_new("open", tmp_path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("my-practice", "my-practice"),
        ("my-practice.yaml", "my-practice"),
        ("Evening_2", "Evening_2"),
        ("a", "a"),
        ("x.yml", "x"),
    ],
)
def test_good_names(name: str, stem: str) -> None:
    assert practice_name(name) == stem


@pytest.mark.parametrize(
    "name",
    [
        "",
        "-flag",
        "../up",
        "a/b",
        "two words",
        "dot.name",
        ".hidden",
        ".yaml",
        "a" * 65,
        "tab\tname",
        "naïve",
        "con:colon",
    ],
)
def test_names_that_are_not_file_name_safe_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot be a practice name") as caught:
        write_new(name, tmp_path)
    assert caught.value.exit_code == 2
    assert not list(tmp_path.iterdir())


def test_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        write_new("x", tmp_path / "nowhere")


def test_titles_from_names() -> None:
    assert title_of("evening-calm") == "Evening calm"
    assert title_of("null") == "Null"
    assert title_of("2_breaths") == "2 breaths"


@pytest.mark.parametrize("name", ["null", "yes", "no", "123", "true"])
def test_names_yaml_would_misread_still_give_text_titles(name: str, tmp_path: Path) -> None:
    path = write_new(name, tmp_path)
    assert load(str(path)).title == title_of(name)
