"""What the screen shows at a sample, as data; then drawn, and logged as plain lines."""

from __future__ import annotations

import io
import math
import re

import pytest
from rich.console import Console

from coreg_audio.format.model import BUILT_IN
from coreg_audio.format.patterns import parse_pattern_text
from coreg_audio.live.bigtext import big_lines
from coreg_audio.live.screen import (
    Layout,
    LiveScreen,
    PlainLog,
    ScreenIndex,
    frame,
    state_at,
)
from coreg_audio.live.tapping import TapShown
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import Timeline
from coreg_audio.units import SAMPLE_RATE_HZ

from .conftest import FakeSpeech, script_from

S = SAMPLE_RATE_HZ


def timeline(text: str) -> Timeline:
    return compile_timeline(script_from(text), FakeSpeech())


GLIDE = """\
    title: Glide
    lead: 1
    steps:
      - section: Breathing
      - breathe: {cycles: 2, pattern: 4-2-6-2}
      - say: Done.
    """


def test_the_plain_log_writes_each_section_and_spoken_item_once_as_reached() -> None:
    line = timeline("""\
        title: Log
        lead: 1
        steps:
          - section: One
          - say: Hello there.
          - section: Two
          - breathe: {cycles: 1, pattern: 2-3, count: true}
        """)
    out = io.StringIO()
    log = PlainLog(line, out)
    for position in range(0, line.duration_samples, S // 10):
        log.update(position, False)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["00:01.0  section  One", "00:01.0  speech   Hello there."]
    assert lines[2].endswith("section  Two")
    assert [entry.split()[-1] for entry in lines[3:]] == ["In", "2", "Out", "2", "3"]
    log.update(0, False)
    log.update(S + 1, False)
    assert out.getvalue().splitlines()[-2:] == lines[:2]


def test_the_live_screen_draws_in_place_and_only_what_changed() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=80, color_system=None)
    with LiveScreen(timeline(GLIDE), stream, (80, 24), console) as screen:
        screen.update(2 * S, False)
        first = stream.getvalue()
        screen.update(2 * S + 10, False)
        second = stream.getvalue()[len(first) :]
        screen.update(6 * S, True)
        third = stream.getvalue()[len(first) + len(second) :]
    assert first.startswith("\x1b[?1049h") and "\x1b[2J" in first
    assert second == "\x1b[?2026h\x1b[?2026l", "nothing visible changed: nothing is written"
    assert "PAUSED" in third and "\x1b[2J" not in third and "\x1b[2K" not in third
    assert third.startswith("\x1b[?2026h") and third.endswith("\x1b[?2026l")
    assert stream.getvalue().endswith("\x1b[?1049l"), "the terminal's own screen comes back"


def test_every_line_is_written_again_each_second_to_undo_what_others_wrote() -> None:
    """Text another program writes on the terminal (alsa-lib's "underrun occurred") is
    written over within a second, in place and without clearing."""
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=80, color_system=None)
    now = [0.0]
    with LiveScreen(timeline(GLIDE), stream, (80, 24), console, 1.0, lambda: now[0]) as screen:
        screen.update(2 * S, False)
        now[0] = 0.9
        before = len(stream.getvalue())
        screen.update(2 * S + 10, False)
        unchanged = stream.getvalue()[before:]
        now[0] = 1.0
        before = len(stream.getvalue())
        screen.update(2 * S + 20, False)
        again = stream.getvalue()[before:]
        now[0] = 1.5
        before = len(stream.getvalue())
        screen.update(2 * S + 30, False)
        after = stream.getvalue()[before:]
    assert unchanged == after == "\x1b[?2026h\x1b[?2026l"
    assert [f"\x1b[{row};1H" in again for row in range(1, 25)] == [True] * 24
    assert "\x1b[2J" not in again and again.endswith("\x1b[?2026l")


def test_the_live_screen_has_no_colour_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, color_system="truecolor")
    with LiveScreen(timeline(GLIDE), stream, (80, 24), console) as screen:
        screen.update(8 * S, True)
    text = stream.getvalue()
    assert "\x1b[2m" in text and "\x1b[1m" in text, "dim and bold stay"
    assert not re.search(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7])[;m]", text), "no colour"


BIG = """\
    title: Big pacer
    lead: 1
    params: {b: Alex}
    steps:
      - say: Breathe with me.
      - breathe: {cycles: 2, pattern: 4-6, cues: {inhale: Inspirez, exhale: Expirez}}
    """


def shape_cells(lines: list[str], layout: Layout) -> tuple[int, int]:
    """How wide and tall the solid breath shape is, in cells."""
    rows = [lines[row] for row in layout.shape_lines]
    solid = [[i for i, ch in enumerate(row) if ch not in " ·"] for row in rows]
    filled = [cells for cells in solid if cells]
    if not filled:
        return 0, 0
    return max(c[-1] for c in filled) - min(c[0] for c in filled) + 1, len(filled)


@pytest.mark.parametrize(("width", "height"), [(80, 24), (200, 60)])
def test_the_big_pacer_at_the_start_middle_and_end_of_an_inhale(width: int, height: int) -> None:
    line = timeline(BIG)
    index = ScreenIndex(line)
    inhale = next(span for span in line.breaths if span.phase == "inhale")
    layout = Layout(width, height)
    sizes = []
    for share in (0.0, 0.5, 0.999):
        at = inhale.start_samples + round(share * inhale_length(inhale))
        lines = [text.plain for text in frame(index.state_at(at), width, height)]
        assert len(lines) == height and all(len(text) <= width for text in lines)
        sizes.append(shape_cells(lines, layout))
        big = big_lines("Inspirez", layout.big_rows, width) or []
        drawn = "\n".join(lines[layout.big_top : layout.big_top + layout.big_rows])
        assert all(row.strip() in drawn for row in big if row.strip()), "the voice's word, large"
        seconds_left = big_lines(str(4 - math.floor(share * 4)), layout.big_rows, width // 4)
        assert seconds_left is not None
        assert all(row.strip() in drawn for row in seconds_left if row.strip())
        assert lines[0].startswith("Big pacer")
        assert "space pause/resume" in lines[-1]
    (small_w, small_h), (mid_w, mid_h), (full_w, full_h) = sizes
    shape_rows = len(layout.shape_lines)
    assert small_w <= 0.2 * width and small_h <= 0.3 * shape_rows, "small at the start"
    assert 0.35 * full_w <= mid_w <= 0.75 * full_w, "half way between in the middle"
    assert small_h < mid_h < full_h
    assert full_w >= 0.6 * width and full_h >= shape_rows - 1, "the terminal's width and height"
    assert shape_rows >= 0.45 * height


def inhale_length(span: object) -> int:
    return int(span.end_samples - span.start_samples)  # type: ignore[attr-defined]


def test_facing_partners_see_no_side_and_walkers_see_theirs() -> None:
    line = timeline("""\
        title: Facing
        lead: 1
        steps:
          - rock: {cycles: 1, period: 4, facing: true}
          - walk: {pace: 60, steps: 2}
          - walk: {pace: 60, steps: 2, facing: true}
        """)
    sway = state_at(line, round(1.5 * S)).move
    back = state_at(line, round(3.5 * S)).move
    assert sway is not None and sway.facing and sway.word == "Sway"
    assert back is not None and back.word == "Back"
    stepping = [state_at(line, round(t * S)).move for t in (5.5, 6.5, 7.5, 8.5)]
    assert [m.word if m else None for m in stepping] == ["Left", "Right", None, None]
    text = "\n".join(t.plain for t in frame(state_at(line, round(1.5 * S)), 80, 24))
    assert "LEFT" not in text.upper() and "RIGHT" not in text.upper()
    facing_step = "\n".join(t.plain for t in frame(state_at(line, round(8.5 * S)), 80, 24))
    two = big_lines("2", Layout(80, 24).big_rows, 80) or []
    assert all(row.strip() in facing_step for row in two if row.strip()), "the step's number"


def test_the_tap_screen_says_whose_breath_and_how_many_taps_are_left() -> None:
    index = ScreenIndex(timeline(BIG))
    taking = TapShown("Alex", 3, "in")
    lines = [text.plain for text in frame(index.state_at(S, tap=taking), 80, 24)]
    text = "\n".join(lines)
    name = big_lines("Alex", 5, 80) or []
    assert any(row.strip() and row.strip() in text for row in name)
    assert "tap the space bar each time Alex begins to breathe in" in text
    assert "3 taps to go" in text and "space tap" in lines[-1]
    met = parse_pattern_text("1.4-2", BUILT_IN)
    done = TapShown("Alex", 0, "in", met=met, tapped=True)
    lines = [text.plain for text in frame(index.state_at(S, tap=done), 80, 24)]
    assert any("about 3.4 s a breath; we'll start there" in row for row in lines)
    nobody = TapShown(None, 0, "in", met=met, tapped=False)
    lines = [text.plain for text in frame(index.state_at(S, tap=nobody), 80, 24)]
    assert any("no taps: we'll start at about 3.4 s a breath (1.4-2)" in row for row in lines)
