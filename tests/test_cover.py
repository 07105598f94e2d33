"""Cover art: a square PNG drawn from the practice's own shape, in its own colour, told apart."""

from __future__ import annotations

import dataclasses
import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from coreg_audio.library import available
from coreg_audio.output import cover
from coreg_audio.output.cover import (
    HUES_DEG,
    SIZE_PX,
    breath_runs,
    cover_for,
    cover_png,
    fullness,
    hue_of,
    oklch,
    pattern_label,
    practice_shape,
    subtitle,
)
from coreg_audio.practice import load_found
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import Timeline

from .conftest import FakeSpeech, script_from

LONG_TITLE = (
    "Breathing together slowly before sleep, with counting, tones and a bell, "
    "for two people who would like to rest " * 3
)
BUILT_IN_SUBTITLES = {
    "arriving": "breathe 4-6",
    "breath-sync": "breathe 4-6",
    "breath-sync-de": "breathe 4-6",
    "breathing-touch": "breathe 2-3 to 3.5-5.5",
    "holding-space": "breathe 4-6",
    "mirroring": "breathe 3-4 to 4-7",
    "rock-together": "rocking",
    "steady-together": "breathe 4-6",
    "walk-together": "walking",
}
TRANSLATIONS = {"breath-sync-de"}
"""A practice in another language: the eight hues are the eight practices'."""


def timeline(text: str) -> Timeline:
    return compile_timeline(script_from(text), FakeSpeech())


def breathing(title: str = "Together", pattern: str = "4-6") -> Timeline:
    return timeline(f"""\
        title: "{title}"
        steps:
          - say: Welcome.
          - breathe: {{cycles: 6, pattern: {pattern}}}
        """)


def image_of(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.fixture(scope="module")
def built_in() -> dict[str, Timeline]:
    """The built-in library compiled with clip lengths from the fake voice: same shapes, fast."""
    return {
        found.name: compile_timeline(load_found(found), FakeSpeech())
        for found in available()
        if found.origin == "built-in"
    }


def test_cover_is_a_square_png_and_repeats_exactly() -> None:
    png = cover_png(breathing("Breath Synchronization"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = image_of(png)
    assert (image.format, image.size, image.mode) == ("PNG", (SIZE_PX, SIZE_PX), "RGB")
    assert cover_png(breathing("Breath Synchronization")) == png
    assert len(png) < 300_000


def test_a_cover_is_drawn_once_and_then_read_from_the_disk_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COREG_AUDIO_CACHE_DIR", str(tmp_path))
    drawn: list[str] = []
    real = cover._drawn

    def counting(title: str, shape: cover.Shape, hue: int) -> bytes:
        drawn.append(title)
        return real(title, shape, hue)

    monkeypatch.setattr(cover, "_drawn", counting)
    cover._draw.cache_clear()
    first = cover_png(breathing("Drawn Once"))
    cover._draw.cache_clear()
    assert cover_png(breathing("Drawn Once")) == first
    assert drawn == ["Drawn Once"]
    cover._draw.cache_clear()
    cover_png(breathing("Drawn Twice"))
    assert drawn == ["Drawn Once", "Drawn Twice"]
    assert len(list((tmp_path / "covers").rglob("*.npy"))) == 2


def test_the_jpeg_and_data_url_are_small_versions_of_the_same_picture() -> None:
    cover = cover_for(breathing())
    jpeg = image_of(cover.jpeg(192))
    assert (jpeg.format, jpeg.size) == ("JPEG", (192, 192))
    assert len(cover.jpeg(192)) < 15_000
    reference = image_of(cover.png).convert("RGB").resize((192, 192))
    difference = np.abs(np.asarray(jpeg, dtype=np.int16) - np.asarray(reference, dtype=np.int16))
    assert difference.mean() < 4
    assert cover.data_url(64).startswith("data:image/jpeg;base64,/9j/")


def test_title_and_shape_each_change_the_picture() -> None:
    base = cover_png(breathing())
    assert cover_png(breathing("Apart")) != base
    assert cover_png(breathing(pattern="4-4-4-4")) != base


def test_the_eight_built_in_practices_get_eight_hues_and_look_different(
    built_in: dict[str, Timeline],
) -> None:
    eight = {name: practice for name, practice in built_in.items() if name not in TRANSLATIONS}
    assert len(eight) == 8
    covers = {name: cover_for(practice) for name, practice in eight.items()}
    assert sorted(cover.hue_deg for cover in covers.values()) == sorted(HUES_DEG)
    thumbs = {
        name: np.asarray(image_of(cover.png).convert("RGB").resize((64, 64)), dtype=np.float64)
        for name, cover in covers.items()
    }
    for (one, a), (other, b) in itertools.combinations(thumbs.items(), 2):
        mean_colour_distance = np.linalg.norm(a.mean(axis=(0, 1)) - b.mean(axis=(0, 1)))
        assert mean_colour_distance > 12, f"{one} and {other} are the same colour at a glance"


def test_the_built_in_subtitles_say_what_each_practice_does(
    built_in: dict[str, Timeline],
) -> None:
    assert {name: subtitle(practice) for name, practice in built_in.items()} == BUILT_IN_SUBTITLES


def test_colours_are_calm_dark_and_equally_light_across_hues() -> None:
    for hue in HUES_DEG:
        practice = dataclasses.replace(breathing(), title="")
        pixels = np.asarray(image_of(cover._draw("", practice_shape(practice), hue)), dtype=float)
        assert np.median(pixels.max(axis=2) - pixels.min(axis=2)) < 70, "muted, not vivid"
        assert np.median(pixels.max(axis=2)) < 0.4 * 255, "dark enough for light text"
    lightness = [sum(oklch(0.4, 0.07, hue)) for hue in HUES_DEG]
    assert max(lightness) - min(lightness) < 90


def test_the_hue_follows_the_title_not_its_spacing_or_case() -> None:
    assert hue_of("Breath  Synchronization") == hue_of("breath synchronization")
    assert hue_of("Walking Together") in HUES_DEG


def title_box(title: str) -> tuple[int, int, int, int]:
    """Where the title is drawn: the pixels that differ from the same cover without a title."""
    practice = timeline(f'title: "{title}"\nsteps:\n  - walk: {{pace: 60, steps: 20}}\n')
    drawn = np.asarray(image_of(cover_png(practice)), dtype=np.int16)
    blank = cover._draw("", cover.practice_shape(practice), hue_of(title))
    changed = np.abs(drawn - np.asarray(image_of(blank), dtype=np.int16)).max(axis=2) > 40
    ys, xs = np.nonzero(changed)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


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
def test_the_title_stays_inside_the_ring(title: str) -> None:
    left, top, right, bottom = title_box(title)
    centre = SIZE_PX / 2
    inner_radius = 0.36 * SIZE_PX * 0.97
    for x, y in ((left, top), (right, top), (left, bottom), (right, bottom)):
        assert np.hypot(x - centre, y - centre) < inner_radius, (title, (left, top, right, bottom))


def test_an_empty_title_still_makes_a_cover() -> None:
    untitled = dataclasses.replace(breathing(), title="")
    assert image_of(cover_png(untitled)).size == (SIZE_PX, SIZE_PX)


def test_fullness_eases_through_the_phases() -> None:
    assert fullness("inhale", 0) == 0.0
    assert fullness("inhale", 0.5) == pytest.approx(0.5)
    assert fullness("inhale", 1) == 1.0
    assert fullness("hold", 0.3) == 1.0
    assert fullness("exhale", 0.5) == pytest.approx(0.5)
    assert fullness("exhale", 1) == pytest.approx(0.0)
    assert fullness("rest", 0.5) == 0.0
    assert fullness("inhale", 0.25) == pytest.approx(0.5 - 0.5 * np.cos(np.pi / 4))


def test_pattern_label_is_written_as_in_a_script() -> None:
    assert pattern_label(4, 0, 6, 0) == "4-6"
    assert pattern_label(4, 7, 8, 0) == "4-7-8"
    assert pattern_label(4, 4, 4, 4) == "4-4-4-4"
    assert pattern_label(4, 0, 6, 2) == "4-0-6-2"
    assert pattern_label(4.5, 0, 6.5, 0) == "4.5-6.5"


def test_breath_runs_are_the_steps_as_breathed_repeats_and_ramps_included() -> None:
    practice = timeline("""\
        title: T
        pattern: 5-5
        steps:
          - say: Hello.
          - repeat: {times: 2, steps: [{breathe: {cycles: 2, pattern: 4-7-8}}]}
          - breathe: {cycles: 3, pattern: 3-4, to: 4-6}
        """)
    runs = breath_runs(practice.breaths)
    assert [run.label for run in runs] == ["4-7-8", "4-7-8", "3-4 to 4-6"]
    assert [run.length_s for run in runs] == pytest.approx([38, 38, 7 + 8.5 + 10])


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("  - say: Only words.\n", "spoken guidance"),
        ("  - breathe: {cycles: 2, pattern: 4-7-8}\n", "breathe 4-7-8"),
        (
            "  - breathe: {cycles: 2, pattern: 3-3}\n  - breathe: {cycles: 8, pattern: 4-6}\n",
            "breathe 4-6",
        ),
        ("  - rock: {period: 6, cycles: 10}\n", "rocking"),
        ("  - walk: {pace: 90, steps: 40}\n", "walking"),
        (
            "  - rock: {period: 6, cycles: 10}\n  - breathe: {cycles: 4, pattern: 4-6}\n",
            "rocking · breathe 4-6",
        ),
        (
            "  - rock: {period: 6, cycles: 10}\n  - breathe: {cycles: 1, pattern: 4-6}\n",
            "rocking",
        ),
    ],
)
def test_the_subtitle_names_what_the_practice_mostly_does(steps: str, expected: str) -> None:
    practice = timeline("title: T\nsteps:\n" + steps)
    assert subtitle(practice) == expected
    assert cover_for(practice).subtitle == expected
