"""``coreg-audio new NAME``: a commented starting script that validates as it is.

The template (``template.yaml`` beside this file) shows every step kind and
explains every key, so a new author learns the format by changing it.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..atomic import write_file
from ..errors import UsageError
from ..library import SCRIPT_SUFFIXES
from .schema import SCHEMA_FILE

TEMPLATE_FILE = Path(__file__).with_name("template.yaml")
TEMPLATE_TITLE = 'title: "A new practice"'
TEMPLATE_SCHEMA_LINE = "# yaml-language-server: $schema=schema.json"
MAX_NAME_CHARS = 64
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def practice_name(name: str) -> str:
    """``name`` without a .yaml suffix; a ``UsageError`` unless it is safe as a file name."""
    stem = name
    for suffix in SCRIPT_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if not _NAME_RE.match(stem) or len(stem) > MAX_NAME_CHARS:
        raise UsageError(
            f"'{name}' cannot be a practice name: use up to {MAX_NAME_CHARS} "
            "letters, digits, '-' and '_', starting with a letter or digit "
            "(e.g. evening-calm)"
        )
    return stem


def title_of(name: str) -> str:
    """A first title from the name: ``evening-calm`` becomes "Evening calm"."""
    words = name.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def template_text(name: str, schema_file: Path = SCHEMA_FILE) -> str:
    """The template for practice ``name``, its schema line pointing at ``schema_file``.

    The written script lives wherever the author works, so the schema is named by
    its absolute path: editors with the YAML language server follow that.
    """
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    title = f'title: "{title_of(name)}"'
    text = text.replace(TEMPLATE_TITLE, title.ljust(len(TEMPLATE_TITLE)), 1)
    schema_line = f"# yaml-language-server: $schema={schema_file.resolve()}"
    text = text.replace(TEMPLATE_SCHEMA_LINE, schema_line, 1)
    return text.replace("THIS-FILE.png", f"{name}.png").replace("THIS-FILE.yaml", f"{name}.yaml")


def write_new(name: str, folder: Path) -> Path:
    """Write ``NAME.yaml`` in ``folder`` from the template; never replaces a file.

    The file appears whole or not at all, and one that appeared meanwhile is
    not overwritten.
    """
    stem = practice_name(name)
    target = folder / f"{stem}.yaml"
    exists = f"{target} already exists; choose another name, or move that file away first"
    if target.exists():
        raise UsageError(exists)
    text = template_text(stem)
    try:
        write_file(target, text.encode("utf-8"), replace=False, failure=UsageError)
    except FileExistsError:
        raise UsageError(exists) from None
    return target
