"""docs/architecture.md names every module, so a newcomer's map of the code stays whole."""

from __future__ import annotations

import re

from .conftest import REPO

PACKAGE = REPO / "src" / "coreg_audio"
PAGE = REPO / "docs" / "architecture.md"


def module_names() -> list[str]:
    """Each module as the page writes it: ``cli.py``/``cli``, ``audio/mix``; format's by stem."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        relative = path.relative_to(PACKAGE).with_suffix("")
        names.append(relative.as_posix())
    return names


def test_every_module_is_on_the_architecture_page() -> None:
    named = set(re.findall(r"`([\w/.]+)`", PAGE.read_text(encoding="utf-8")))
    named |= {name.removesuffix(".py") for name in named}
    missing = []
    for module in module_names():
        package, _, stem = module.rpartition("/")
        if module in named or (package == "format" and stem in named):
            continue
        missing.append(module)
    assert missing == [], f"add these modules to {PAGE.name}: {missing}"
