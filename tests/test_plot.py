"""``show --plot``: the numbers the picture is drawn from, and the picture file itself."""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

import pytest

from coreg_audio.errors import UsageError
from coreg_audio.format.overrides import Overrides
from coreg_audio.output.plot import (
    PICTURE_FORMATS,
    breath_runs,
    first_words,
    level_at,
    plot_data,
    plot_practice,
    row_length_s,
)
from coreg_audio.practice import load, timeline_of
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import BeatEvent, Timeline
from coreg_audio.units import samples_to_float_s

from .conftest import CONFORMANCE, FakeSpeech, script_from

BREATHING = """
    title: Breathing
    lead: 1
    tones: none
    steps:
      - section: One
      - breathe: {cycles: 2, pattern: 4-2-6-1, count: true}
      - say: Now slower.
      - section: Two
      - repeat:
          times: 2
          steps:
            - breathe: {cycles: 2, pattern: 3-5, to: 4-8, tone: chime, guide: 1}
      - rock: {period: 4, cycles: 2}
      - walk: {pace: 60, steps: 4, accent: 2}
      - bell: 2
"""


def timeline_from(text: str) -> Timeline:
    return compile_timeline(script_from(text), FakeSpeech())


def breath_phases(timeline: Timeline) -> list[tuple[str, float, float]]:
    return [
        (b.phase, samples_to_float_s(b.start_samples), samples_to_float_s(b.end_samples))
        for b in timeline.breaths
        if b.phase != "rest"
    ]


def test_the_curve_rises_on_inhale_stays_on_hold_and_falls_on_exhale() -> None:
    timeline = timeline_from(BREATHING)
    runs = plot_data(timeline).breath
    phases = breath_phases(timeline)
    assert len(phases) == 2 * 3 + 2 * 2 * 2
    expected_ends = {"inhale": (0.0, 1.0), "hold": (1.0, 1.0), "exhale": (1.0, 0.0)}
    for phase, start_s, end_s in phases:
        low, high = expected_ends[phase]
        middle_s = (start_s + end_s) / 2
        assert level_at(runs, start_s + 1e-9) == pytest.approx(low, abs=1e-6)
        assert level_at(runs, end_s - 1e-9) == pytest.approx(high, abs=1e-6)
        assert level_at(runs, middle_s) == pytest.approx((low + high) / 2, abs=1e-6)


def test_a_rest_is_flat_and_empty_and_speech_ends_a_run() -> None:
    timeline = timeline_from(BREATHING)
    runs = breath_runs(timeline.breaths)
    first_exhale_end = next(end for phase, _, end in breath_phases(timeline) if phase == "exhale")
    assert level_at(runs, first_exhale_end + 0.5) == 0.0
    assert (first_exhale_end, 0.0) in runs[0] and (first_exhale_end + 1, 0.0) in runs[0]
    assert len(runs) == 2, "the words between the two breathe steps break the curve"
    speech = next(e for e in timeline.events if e.kind == "speech")
    assert runs[0][-1][0] <= samples_to_float_s(speech.start_samples)
    assert runs[1][0][0] >= samples_to_float_s(speech.end_samples)


def test_a_ramp_lengthens_the_phases_the_curve_is_drawn_from() -> None:
    runs = plot_data(timeline_from(BREATHING)).breath
    second = runs[1]
    tops = [t for t, level in second if level == 1.0]
    bottoms = [t for t, level in second if level == 0.0]
    assert tops[0] - bottoms[0] == pytest.approx(3)
    assert tops[1] - bottoms[1] == pytest.approx(4), "the ramp's last cycle inhales for 4 s"


def test_cue_words_sit_on_the_curve() -> None:
    data = plot_data(timeline_from(BREATHING))
    assert [(cue.label, cue.level) for cue in data.cues[:3]] == [
        ("In", 0.0),
        ("Hold", 1.0),
        ("Out", 1.0),
    ]
    assert [count.label for count in data.counts[:3]] == ["2", "3", "4"]
    assert [count.level for count in data.counts[:3]] == pytest.approx([0.25, 0.5, 0.75])
    assert {cue.kind for cue in data.cues} == {"inhale", "hold", "exhale"}


def test_sections_speech_beats_and_bells_follow_the_timeline() -> None:
    timeline = timeline_from(BREATHING)
    data = plot_data(timeline)
    assert [s.label for s in data.sections] == [c.title for c in timeline.chapters]
    assert data.sections[-1].end_s == pytest.approx(timeline.duration_s)
    assert [s.label for s in data.speech] == ["Now slower."]
    beats = [e for e in timeline.events if isinstance(e, BeatEvent)]
    assert [(b.side, b.accent) for b in data.beats] == [(e.phase, bool(e.accent)) for e in beats]
    assert [b.side for b in data.beats[:4]] == ["left", "right", "left", "right"]
    assert [b.accent for b in data.beats[-4:]] == [True, False, True, False]
    assert [m.label for m in data.movement_cues] == ["Left", "Right", "Left", "Right"]
    assert len(data.bells) == 2
    assert data.bells[1].start_s - data.bells[0].start_s == pytest.approx(5)


def test_words_over_a_step_are_drawn_along_the_curve_or_the_beats() -> None:
    timeline = timeline_from("""
        title: Over
        lead: 0
        steps:
          - say: Begin.
          - breathe: {cycles: 3, pattern: 4-6, guide: 0, say: [{cycle: 2, text: Let go.}]}
          - rock: {cycles: 2, period: 4, guide: 0, say: [{cycle: 2, text: Sway.}]}
          - walk: {steps: 8, pace: 60, say: [{cycle: 3, text: Step.}]}
    """)
    data = plot_data(timeline)
    begin = next(e for e in timeline.events if e.kind == "speech")
    breathe_start = samples_to_float_s(begin.end_samples) + 1
    assert [s.label for s in data.speech] == ["Begin."]
    assert [s.label for s in data.over_breath] == ["Let go."]
    assert [s.start_s for s in data.over_breath] == pytest.approx([breathe_start + 14])
    assert level_at(data.breath, data.over_breath[0].start_s) == pytest.approx(1.0)
    assert [s.label for s in data.over_movement] == ["Sway.", "Step."]
    assert [s.start_s for s in data.over_movement] == pytest.approx(
        [breathe_start + 30 + 4, breathe_start + 38 + 2]
    )
    assert all(s.end_s > s.start_s for s in data.over_breath + data.over_movement)


def test_the_curve_does_not_depend_on_the_tone_style() -> None:
    script = script_from(BREATHING)
    drawn = {
        style: plot_data(
            compile_timeline(Overrides(tones=style).apply(script), FakeSpeech())
        ).breath
        for style in ("glide", "chime", "none")
    }
    assert drawn["glide"] == drawn["chime"] == drawn["none"]
    assert drawn["none"] == plot_data(timeline_from(BREATHING)).breath


@pytest.mark.parametrize(
    ("duration_s", "row_s"),
    [
        (20, 30),
        (60, 30),
        (239, 30),
        (241, 60),
        (9.5 * 60, 90),
        (30 * 60, 240),
        (4 * 3600, 1800),
    ],
)
def test_rows_fit_the_track_in_at_most_eight(duration_s: float, row_s: int) -> None:
    assert row_length_s(duration_s) == row_s


def test_first_words_cut_at_a_word() -> None:
    assert first_words("Sit facing each other", 40) == "Sit facing each other"
    assert first_words("Sit facing each other", 12) == "Sit facing…"
    assert first_words("Sit facing each other", 3) == ""


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("case", ["movement", "box-breathing"])
def test_a_real_practice_draws_a_png_of_sane_size(case: str, tmp_path: Path) -> None:
    out = tmp_path / "timeline.png"
    timeline = plot_practice(load(str(CONFORMANCE / f"{case}.yaml")), out, timeline_of)
    width, height = png_size(out)
    assert width == 1600
    assert 400 <= height <= 1800
    assert out.stat().st_size > 20_000, "a blank picture would be much smaller"
    assert timeline.title
    assert [p.name for p in tmp_path.iterdir()] == ["timeline.png"]


def test_the_picture_is_readable_like_any_new_file(tmp_path: Path) -> None:
    out = tmp_path / "t.svg"
    previous = os.umask(0o022)
    try:
        plot_practice(load(str(CONFORMANCE / "movement.yaml")), out, timeline_of)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_svg_and_pdf_follow_the_extension(tmp_path: Path) -> None:
    script = load(str(CONFORMANCE / "movement.yaml"))
    plot_practice(script, tmp_path / "t.svg", timeline_of)
    plot_practice(script, tmp_path / "t.pdf", timeline_of)
    assert b"<svg" in (tmp_path / "t.svg").read_bytes()[:500]
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")
    assert set(PICTURE_FORMATS) == {"png", "svg", "pdf"}


@pytest.mark.parametrize(
    ("name", "words"),
    [("t.gif", "must end in .png"), ("no-folder/t.png", "does not exist"), ("t", "must end in")],
)
def test_bad_picture_names_are_usage_errors(tmp_path: Path, name: str, words: str) -> None:
    calls: list[object] = []

    def never(script: object) -> Timeline:
        calls.append(script)
        raise AssertionError("nothing is compiled for a bad file name")

    with pytest.raises(UsageError, match=words):
        plot_practice(script_from(BREATHING), tmp_path / name, never)
    assert not calls and not list(tmp_path.iterdir())
