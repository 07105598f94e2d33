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
    LINGER_S,
    Breath,
    Layout,
    LiveScreen,
    PlainLog,
    ScreenIndex,
    frame,
    fullness,
    state_at,
)
from coreg_audio.live.tapping import TapShown
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import Timeline
from coreg_audio.units import SAMPLE_RATE_HZ, seconds_to_samples

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


def test_with_chimes_the_pacer_still_shows_the_rest_and_a_ramps_last_breath() -> None:
    index = ScreenIndex(
        timeline("""\
        title: Chimes
        lead: 0
        tones: chime
        steps:
          - breathe: {cycles: 2, pattern: 2-0-4-2, to: 4-0-8-2}
        """)
    )
    assert index.state_at(7 * S).breath == Breath("rest", 0.0, 1.0)
    last_exhale = index.state_at(14 * S).breath
    assert last_exhale is not None and last_exhale.phase == "exhale"
    assert last_exhale.left_s == 6.0 and last_exhale.word == "Out"
    assert index.state_at(21 * S).breath == Breath("rest", 0.0, 1.0)


def test_with_neither_tones_nor_cues_the_pacer_still_follows_the_breath() -> None:
    index = ScreenIndex(
        timeline("""\
        title: Quiet
        lead: 0
        tones: none
        steps:
          - breathe: {cycles: 4, pattern: 4-6, guide: 1}
        """)
    )
    assert index.state_at(31 * S).breath == Breath("inhale", 0.25, 3.0, "In")


@pytest.mark.parametrize(
    ("phase", "progress", "size"),
    [
        ("inhale", 0.0, 0.0),
        ("inhale", 0.25, 0.25),
        ("inhale", 1.0, 1.0),
        ("hold", 0.5, 1.0),
        ("exhale", 0.0, 1.0),
        ("exhale", 0.75, 0.25),
        ("rest", 0.5, 0.0),
        ("inhale", 1.5, 1.0),
    ],
)
def test_the_pacer_grows_in_holds_and_shrinks_out(phase: str, progress: float, size: float) -> None:
    assert fullness(phase, progress) == size


def test_state_through_a_breath() -> None:
    index = ScreenIndex(timeline(GLIDE))
    one_in = index.state_at(2 * S)
    assert one_in.section == "Breathing" and one_in.title == "Glide"
    assert one_in.breath == Breath("inhale", 0.25, 3.0, "In")
    assert one_in.breath.seconds_left == 3
    assert one_in.words is None
    assert index.state_at(6 * S).breath == Breath("hold", 1.0, 1.0, "Hold")
    exhale = index.state_at(8 * S + S // 2).breath
    assert exhale is not None and exhale.phase == "exhale" and exhale.fullness == 0.75
    assert exhale.left_s == 4.5 and exhale.seconds_left == 5
    assert index.state_at(14 * S).breath == Breath("rest", 0.0, 1.0)
    assert index.state_at(0).breath is None and index.state_at(0).section == "Breathing"


def test_state_shows_the_words_being_spoken_and_the_time() -> None:
    line = timeline(GLIDE)
    said = next(event for event in line.events if event.kind == "speech")
    during = state_at(line, said.start_samples + 10)
    assert during.words == "Done." and during.breath is None
    assert state_at(line, said.end_samples + S).words == "Done.", "read to the end"
    assert state_at(line, said.end_samples + 2 * S).words is None
    assert during.elapsed_samples == said.start_samples + 10
    assert during.total_samples == line.duration_samples
    assert state_at(line, line.duration_samples + 999).elapsed_samples == line.duration_samples
    cue = state_at(line, seconds_to_samples(1) + 10)
    assert cue.words is None and cue.breath is not None and cue.breath.word == "In", (
        "a cue is the phase word, not words that come and go"
    )


def test_the_pacer_goes_on_while_words_are_spoken_over_the_breath() -> None:
    line = timeline("""\
        title: Over
        lead: 1
        steps:
          - breathe:
              cycles: 3
              pattern: 4-6
              guide: 0
              say: [{cycle: 2, text: "Let the out-breath be long and slow."}]
          - rock: {cycles: 2, period: 4, guide: 0, say: [{cycle: 2, text: Sway together.}]}
        """)
    over = [event for event in line.events if event.kind == "speech"]
    assert len(over) == 2
    for at_s in (0.1, 1.0, 2.0):
        state = state_at(line, over[0].start_samples + round(at_s * S))
        assert state.words == "Let the out-breath be long and slow."
        assert state.breath is not None and state.breath.phase == "exhale"
        assert state.breath.left_s == pytest.approx(6 - at_s)
    kept = state_at(line, over[0].end_samples + S)
    assert kept.words == "Let the out-breath be long and slow.", "kept a moment to be read"
    after = state_at(line, over[0].end_samples + round((LINGER_S + 0.1) * S))
    assert after.words is None and after.breath is not None
    sway = state_at(line, over[1].start_samples + S // 2)
    assert (sway.words, sway.side) == ("Sway together.", "left")


def test_rock_and_walk_show_the_side() -> None:
    line = timeline("""\
        title: Moving
        lead: 1
        steps:
          - section: Sway
          - rock: {cycles: 2, period: 4, guide: 0}
          - section: Walk
          - walk: {pace: 60, steps: 3}
          - pause: 5
        """)
    sides = [state_at(line, round(t * S)).side for t in (0.5, 1, 2.9, 3, 4.9, 5, 7, 8.99)]
    assert sides == [None, "left", "left", "right", "right", "left", "right", "right"]
    walk = [state_at(line, round(t * S)) for t in (9, 10.5, 11.2, 12.5)]
    assert [state.side for state in walk] == ["left", "right", "left", None]
    assert walk[0].section == "Walk"


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
