"""Words in large letters for a terminal: drawn with a real font, shown with half-block cells.

Each character cell holds four pixels, two by two (``▘``, ``▄``, ``▟``, ``█``
and the rest of Unicode's quadrant blocks), so a word drawn with FreeType
(through Pillow) in any script
the font covers (Latin, Greek, Cyrillic: the cue words of every language)
reads from across a room and scales with the terminal. The font is DejaVu
Sans Bold: the system's, else the copy matplotlib ships, else Pillow's own.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_FILE = "DejaVuSans-Bold.ttf"
INK_LEVEL = 100
"""A pixel this much covered (of 255) is drawn: thin strokes stay, smudges do not."""
QUADRANTS = np.array(list(" ▗▖▄▝▐▞▟▘▚▌▙▀▜▛█"))
"""Cells by their four pixels: 8 x top left + 4 x top right + 2 x bottom left + bottom right."""

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.cache
def font_path() -> str | None:
    """DejaVu Sans Bold: the system's, else matplotlib's copy; None for Pillow's own font."""
    try:
        ImageFont.truetype(FONT_FILE, 10)
        return FONT_FILE
    except OSError:
        pass
    spec = importlib.util.find_spec("matplotlib")
    for folder in spec.submodule_search_locations or [] if spec is not None else []:
        candidate = Path(folder) / "mpl-data" / "fonts" / "ttf" / FONT_FILE
        if candidate.is_file():
            return str(candidate)
    return None


@functools.lru_cache(maxsize=64)
def _font(size_px: int) -> Font:
    path = font_path()
    if path is None:
        return ImageFont.load_default(size=size_px)
    return ImageFont.truetype(path, size_px)


def pixels(text: str, height_px: int, max_width_px: int) -> np.ndarray | None:
    """``text`` as a bitmap (rows x columns of bool) at most ``height_px`` tall and
    ``max_width_px`` wide, as large as fits; None when it cannot fit legibly."""
    if not text.strip():
        return np.zeros((height_px, 0), dtype=bool)
    size = round(height_px * 1.5)
    while size >= MIN_SIZE_PX:
        ink = _ink(text, size)
        if ink.shape[0] <= height_px and ink.shape[1] <= max_width_px:
            return ink
        size -= 1
    return None


MIN_SIZE_PX = 7
"""Below this the letters of a bold font run together."""


@functools.lru_cache(maxsize=256)
def _ink(text: str, size_px: int) -> np.ndarray:
    """The inked pixels of ``text`` at ``size_px``, cropped to its letters.

    Drawn four times larger and averaged down, so each pixel is inked where
    the letter covers most of it: curves stay round at a few pixels a stroke.
    A pixel is half a cell wide and half a cell tall, twice as tall as wide,
    so the letters are drawn twice as wide in pixels as they are tall.
    """
    scale = SUPERSAMPLE
    across = scale // 2
    font = _font(size_px * scale)
    left, top, right, bottom = font.getbbox(text)
    width = int(right - left) + 2 * scale
    height = int(bottom - top) + 2 * scale
    width += -width % scale
    height += -height % scale
    image = Image.new("L", (width, height), 0)
    ImageDraw.Draw(image).text((scale - left, scale - top), text, font=font, fill=255)
    fine = np.asarray(image, dtype=np.float32)
    width -= width % across
    fine = fine[:, :width]
    coarse = fine.reshape(height // scale, scale, width // across, across).mean(axis=(1, 3))
    ink = coarse >= INK_LEVEL
    rows = np.flatnonzero(ink.any(axis=1))
    columns = np.flatnonzero(ink.any(axis=0))
    if columns.size == 0:
        return np.zeros((0, 0), dtype=bool)
    trimmed: np.ndarray = ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    return trimmed


SUPERSAMPLE = 4


def cells(bitmap: np.ndarray) -> list[str]:
    """A bitmap as lines of quadrant characters (two pixel rows and columns a cell)."""
    rows, columns = bitmap.shape
    padded = np.zeros((rows + rows % 2, columns + columns % 2), dtype=np.int8)
    padded[:rows, :columns] = bitmap
    index = (
        8 * padded[0::2, 0::2]
        + 4 * padded[0::2, 1::2]
        + 2 * padded[1::2, 0::2]
        + padded[1::2, 1::2]
    )
    return ["".join(row) for row in QUADRANTS[index]]


def big_lines(text: str, rows: int, width: int) -> list[str] | None:
    """``text`` in large letters, ``rows`` lines tall at most and ``width`` wide; None if it
    does not fit (the caller then writes it plainly)."""
    bitmap = pixels(text, rows * 2, width * 2)
    if bitmap is None:
        return None
    return cells(bitmap)


__all__ = ["big_lines", "cells", "font_path", "pixels"]
