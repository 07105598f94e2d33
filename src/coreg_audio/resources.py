"""Where the shipped folders (`scripts/`, `sounds/`) are, installed or in a checkout.

A wheel carries them inside the package (see pyproject's force-include); an
editable install or a source checkout has them at the repository's top level.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_folder(name: str) -> Path:
    """The shipped folder ``name`` ("scripts" or "sounds")."""
    inside = Path(str(resources.files("coreg_audio"))) / name
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parents[2] / name


def sound_asset(file_name: str) -> Path:
    return shipped_folder("sounds") / file_name
