"""Cover art: a square PNG, the same for the same practice, its title kept inside the margins."""

from __future__ import annotations

import io
from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from coreg_audio.format.model import Loc, Pattern
from coreg_audio.format.overrides import Overrides
from coreg_audio.output.cover import SIZE_PX, breath_curve, breath_pattern, cover_png, pattern_label

from .conftest import script_from

LONG_TITLE = (
    "Breathing together slowly before sleep, with counting, tones and a bell, "
    "for two people who would like to rest " * 3
)


def pattern(*phases_s: float) -> Pattern:
    inhale, hold, exhale, rest = (Fraction(p) for p in (*phases_s, 0, 0, 0)[:4])
    return Pattern(inhale, hold, exhale, rest, Loc(1, 1))


def image_of(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def bright_columns(image: Image.Image, top: int, bottom: int) -> np.ndarray:
    """The x of every column holding near-white pixels (the title's letters) between two rows."""
    pixels = np.asarray(image.convert("RGB"))[top:bottom]
    return np.flatnonzero((pixels.min(axis=2) > 215).any(axis=0))


def test_cover_is_a_square_png_and_repeats_exactly() -> None:
    png = cover_png("Breath Synchronization", pattern(4, 0, 6))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = image_of(png)
    assert (image.format, image.size, image.mode) == ("PNG", (SIZE_PX, SIZE_PX), "RGB")
    assert cover_png("Breath Synchronization", pattern(4, 0, 6)) == png
    assert len(png) < 300_000


def test_title_and_pattern_each_change_the_picture() -> None:
    base = cover_png("Together", pattern(4, 0, 6))
    assert cover_png("Apart", pattern(4, 0, 6)) != base
    assert cover_png("Together", pattern(4, 4, 4, 4)) != base


def test_colours_are_calm_and_deepen_as_the_cycle_slows() -> None:
    fast = np.asarray(image_of(cover_png("T", pattern(2, 0, 3))).convert("HSV"))
    slow = np.asarray(image_of(cover_png("T", pattern(6, 4, 10, 2))).convert("HSV"))
    for hsv in (fast, slow):
        assert np.median(hsv[..., 1]) < 0.5 * 255
    assert fast[5, 5, 0] < slow[5, 5, 0]


@pytest.mark.parametrize(
    "title",
    [
        "Breath Synchronization",
        "Ein",
        LONG_TITLE,
        "Übung für Zwei — ruhig",
        "Averyveryveryverylongsingleword" * 3,
    ],
)
def test_the_title_stays_inside_the_margins(title: str) -> None:
    image = image_of(cover_png(title, pattern(4, 0, 6)))
    columns = bright_columns(image, 0, int(SIZE_PX * 0.66))
    assert columns.size, "the title must be drawn"
    margin = int(SIZE_PX * 0.09)
    assert min(columns) >= margin and max(columns) <= SIZE_PX - margin


def test_an_empty_title_still_makes_a_cover() -> None:
    assert image_of(cover_png("", pattern(4, 0, 6))).size == (SIZE_PX, SIZE_PX)


def test_breath_curve_follows_the_phases() -> None:
    box = pattern(4, 2, 6, 3)
    assert breath_curve(box, 0) == 0.0
    assert breath_curve(box, 2) == pytest.approx(0.5)
    assert breath_curve(box, 4) == 1.0
    assert breath_curve(box, 5.9) == 1.0
    assert breath_curve(box, 9) == pytest.approx(0.5)
    assert breath_curve(box, 12.5) == 0.0
    assert breath_curve(box, 15 + 2) == pytest.approx(0.5)


def test_pattern_label_is_written_as_in_a_script() -> None:
    assert pattern_label(pattern(4, 0, 6)) == "4-6"
    assert pattern_label(pattern(4, 7, 8)) == "4-7-8"
    assert pattern_label(pattern(4, 4, 4, 4)) == "4-4-4-4"
    assert pattern_label(pattern(4, 0, 6, 2)) == "4-0-6-2"
    assert pattern_label(pattern(4.5, 0, 6.5)) == "4.5-6.5"


def test_breath_pattern_is_the_first_one_breathed() -> None:
    nested = script_from("""\
        title: T
        pattern: 5-5
        steps:
          - say: Hello.
          - repeat: {times: 2, steps: [{breathe: {cycles: 1, pattern: 4-7-8}}]}
          - breathe: {cycles: 1, pattern: 3-3}
        """)
    assert pattern_label(breath_pattern(nested)) == "4-7-8"
    plain = script_from("title: T\npattern: 5-5\nsteps:\n  - breathe: {cycles: 2}\n")
    assert pattern_label(breath_pattern(plain)) == "5-5"
    walking = script_from("title: T\nsteps:\n  - walk: {pace: 90, steps: 8}\n")
    assert pattern_label(breath_pattern(walking)) == "4-6"
    assert pattern_label(breath_pattern(Overrides(pace="6-6").apply(nested))) == "6-6"
