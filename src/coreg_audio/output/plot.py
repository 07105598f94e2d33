"""``show --plot``: a picture of a practice, so an author sees its shape at a glance.

The picture reads like a score, in rows of equal length: sections as coloured
bands, speech as spans with their first words, the breath as a curve that rises
on the in-breath, stays up on a hold and falls on the out-breath, cue words
along it, movement beats as ticks (left below the line, right above), bells as
marks. Words spoken over a step (its ``say`` list) are drawn where they are
heard: along the breath curve, or along the beats, never on the words' line.
``plot_data`` turns a timeline into plain numbers (tested on its own);
``draw`` only paints them. matplotlib is imported inside ``draw``, so nothing
else pays for it.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import write_file
from ..errors import UsageError
from ..format.model import PHASES, Script
from ..time_text import m_ss
from ..timeline.events import (
    BeatEvent,
    BellEvent,
    BreathPhase,
    CountEvent,
    CueEvent,
    SpeechEvent,
    SpeechOverEvent,
    Timeline,
)
from ..units import samples_to_float_s

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Point = tuple[float, float]
"""(seconds, breath level): 0 is empty, 1 is full."""

PICTURE_FORMATS = ("png", "svg", "pdf")
ROW_CHOICES_S = (30, 60, 90, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 3600)
MAX_ROWS = 8
TICK_STEPS_S = ((60, 5), (120, 10), (360, 30), (900, 60), (math.inf, 120))
"""(longest row, seconds between labelled ticks) for rows up to that length."""
WIDTH_IN = 16.0
ROW_HEIGHT_IN = 1.9
DPI = 100


@dataclass(frozen=True)
class Span:
    start_s: float
    end_s: float
    label: str


@dataclass(frozen=True)
class Mark:
    """A word or a dot at one moment; ``level`` places it on the breath curve."""

    at_s: float
    label: str
    level: float = 0.0
    kind: str = ""


@dataclass(frozen=True)
class Beat:
    at_s: float
    side: str
    accent: bool


@dataclass(frozen=True)
class PlotData:
    """Everything the picture shows, in seconds from the track's start."""

    title: str
    duration_s: float
    sections: tuple[Span, ...]
    speech: tuple[Span, ...]
    breath: tuple[tuple[Point, ...], ...]
    cues: tuple[Mark, ...]
    counts: tuple[Mark, ...]
    beats: tuple[Beat, ...]
    movement_cues: tuple[Mark, ...]
    bells: tuple[Span, ...]
    over_breath: tuple[Span, ...] = ()
    """Words spoken over breathing, drawn along the curve."""
    over_movement: tuple[Span, ...] = ()
    """Words spoken over rocking or walking, drawn along the beats."""


def _s(samples: int) -> float:
    return samples_to_float_s(samples)


_LEVELS = {"inhale": (0.0, 1.0), "hold": (1.0, 1.0), "exhale": (1.0, 0.0), "rest": (0.0, 0.0)}
"""Where the curve starts and ends through each phase: empty lungs 0, full 1."""


def breath_runs(breaths: tuple[BreathPhase, ...]) -> tuple[tuple[Point, ...], ...]:
    """The breath curve, one run of points per stretch of uninterrupted breathing.

    A run ends where breathing stops (speech, a pause, another step).
    """
    runs: list[list[Point]] = []
    previous_end = None
    for breath in breaths:
        start_s, end_s = _s(breath.start_samples), _s(breath.end_samples)
        level_from, level_to = _LEVELS[breath.phase]
        if breath.start_samples != previous_end:
            runs.append([])
        run = runs[-1]
        if not run or run[-1] != (start_s, level_from):
            run.append((start_s, level_from))
        run.append((end_s, level_to))
        previous_end = breath.end_samples
    return tuple(tuple(run) for run in runs)


def level_at(runs: tuple[tuple[Point, ...], ...], at_s: float) -> float:
    """The breath curve's level at ``at_s`` (0 outside breathing)."""
    for run in runs:
        if not run or not run[0][0] <= at_s <= run[-1][0]:
            continue
        for (t0, y0), (t1, y1) in itertools.pairwise(run):
            if t0 <= at_s <= t1:
                return y0 if t1 == t0 else y0 + (y1 - y0) * (at_s - t0) / (t1 - t0)
    return 0.0


def plot_data(timeline: Timeline) -> PlotData:
    """The numbers the picture is drawn from; a pure function of the timeline."""
    events = timeline.events
    runs = breath_runs(timeline.breaths)

    def on_curve(event: CueEvent | CountEvent) -> Mark:
        at_s = _s(event.start_samples)
        return Mark(at_s, event.text, level_at(runs, at_s), event.phase)

    breath_spoken = [
        e for e in events if isinstance(e, CueEvent | CountEvent) and e.phase in PHASES
    ]
    over = [e for e in events if isinstance(e, SpeechOverEvent)]
    return PlotData(
        title=timeline.title,
        duration_s=timeline.duration_s,
        sections=tuple(
            Span(_s(c.start_samples), _s(c.end_samples), c.title) for c in timeline.chapters
        ),
        speech=tuple(
            Span(_s(e.start_samples), _s(e.end_samples), e.text)
            for e in events
            if isinstance(e, SpeechEvent) and not isinstance(e, SpeechOverEvent)
        ),
        breath=runs,
        cues=tuple(on_curve(e) for e in breath_spoken if isinstance(e, CueEvent)),
        counts=tuple(on_curve(e) for e in breath_spoken if isinstance(e, CountEvent)),
        beats=tuple(
            Beat(_s(e.start_samples), e.phase, bool(e.accent))
            for e in events
            if isinstance(e, BeatEvent)
        ),
        movement_cues=tuple(
            Mark(_s(e.start_samples), e.text, 0.0, e.phase)
            for e in events
            if isinstance(e, CueEvent) and e.phase in ("left", "right")
        ),
        bells=tuple(
            Span(_s(e.start_samples), _s(e.end_samples), "bell")
            for e in events
            if isinstance(e, BellEvent)
        ),
        over_breath=tuple(
            Span(_s(e.start_samples), _s(e.end_samples), e.text) for e in over if e.phase in PHASES
        ),
        over_movement=tuple(
            Span(_s(e.start_samples), _s(e.end_samples), e.text)
            for e in over
            if e.phase not in PHASES
        ),
    )


def row_length_s(duration_s: float) -> int:
    """The shortest row (from a few round lengths) that fits the track in MAX_ROWS rows."""
    for row_s in ROW_CHOICES_S:
        if math.ceil(duration_s / row_s) <= MAX_ROWS:
            return row_s
    return math.ceil(duration_s / MAX_ROWS)


def first_words(text: str, max_chars: int) -> str:
    """As many whole words of ``text`` as fit in ``max_chars``, with "…" when cut."""
    if len(text) <= max_chars:
        return text
    words: list[str] = []
    for word in text.split():
        if len(" ".join([*words, word])) + 1 > max_chars:
            break
        words.append(word)
    return " ".join(words) + "…" if words else ""


def picture_format(path: Path) -> str:
    """The picture format ``path``'s extension names; a ``UsageError`` for anything else."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in PICTURE_FORMATS:
        raise UsageError(
            f"cannot draw {path}: the file name must end in "
            f"{', '.join('.' + name for name in PICTURE_FORMATS)}"
        )
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: the folder {folder} does not exist")
    return suffix


def plot_practice(script: Script, out: Path, timeline_of: Callable[[Script], Timeline]) -> Timeline:
    """Draw ``script`` into ``out``; returns the timeline drawn.

    ``timeline_of`` compiles the script (with real speech lengths in use).
    """
    picture_format(out)
    timeline = timeline_of(script)
    draw(plot_data(timeline), out)
    return timeline


# -- painting ----------------------------------------------------------------------

SECTION_COLOURS = ("#eef3fb", "#f6f1e7", "#eef7ee", "#f7eef4", "#f1f1f7")
SPEECH_COLOUR = "#9db8d9"
BREATH_COLOUR = "#2f6f9f"
CUE_COLOUR = "#17405e"
BEAT_COLOUR = "#7a5c3a"
BELL_COLOUR = "#c08a00"
SPEECH_Y = (0.84, 0.98)
SECTION_LABEL_Y = 0.815
BREATH_Y = (0.38, 0.68)
BEAT_MID_Y = 0.16
BEAT_HEIGHT = 0.08
ACCENT_HEIGHT = 0.12
CHAR_WIDTH_IN = 0.062


def _breath_y(level: float) -> float:
    return BREATH_Y[0] + (BREATH_Y[1] - BREATH_Y[0]) * level


def draw(data: PlotData, out: Path) -> None:
    """Paint ``data`` into ``out`` (png, svg or pdf), whole or not at all."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fmt = picture_format(out)
    row_s = row_length_s(data.duration_s)
    rows = max(1, math.ceil(data.duration_s / row_s))
    figure = Figure(figsize=(WIDTH_IN, 1.1 + rows * ROW_HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(
        left=0.07,
        right=0.99,
        top=1 - 0.75 / (1.1 + rows * ROW_HEIGHT_IN),
        bottom=0.35 / (1.1 + rows * ROW_HEIGHT_IN),
        hspace=0.45,
    )
    figure.suptitle(
        f"{data.title}  ·  {m_ss(data.duration_s)}  ·  {len(data.sections)} sections",
        fontsize=14,
        fontweight="bold",
        x=0.07,
        ha="left",
    )
    figure.text(
        0.99,
        1 - 0.45 / (1.1 + rows * ROW_HEIGHT_IN),
        "breath: rises on the in-breath, flat on a hold, falls on the out-breath  ·  "
        "words spoken over it: shaded along it  ·  beats: left below, right above  ·  ▼ bell",
        ha="right",
        fontsize=9,
        color="#555555",
    )
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    for index, ax in enumerate(axes):
        _draw_row(_Row(ax, index * row_s, (index + 1) * row_s), data)
    picture = io.BytesIO()
    figure.savefig(picture, format=fmt, dpi=DPI)
    write_file(out, picture.getvalue())


@dataclass(frozen=True)
class _Row:
    """One row of the picture: its axes and the stretch of time it shows."""

    ax: Axes
    start_s: float
    end_s: float

    @property
    def length_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def inches_per_s(self) -> float:
        return WIDTH_IN * 0.92 / self.length_s

    def shows(self, start_s: float, end_s: float | None = None) -> bool:
        if end_s is None:
            return self.start_s <= start_s < self.end_s
        return start_s < self.end_s and end_s > self.start_s


def _draw_row(row: _Row, data: PlotData) -> None:
    ax = row.ax
    ax.set_xlim(row.start_s, row.end_s)
    ax.set_ylim(0, 1)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_yticks(
        [BEAT_MID_Y, sum(BREATH_Y) / 2, sum(SPEECH_Y) / 2],
        ["movement", "breath", "words"],
        fontsize=8,
        color="#666666",
    )
    ax.tick_params(axis="y", length=0)
    step_s = next(step for limit, step in TICK_STEPS_S if row.length_s <= limit)
    ticks = list(range(int(row.start_s), int(row.end_s) + 1, step_s))
    ax.set_xticks(ticks, [m_ss(t) for t in ticks], fontsize=8)
    _draw_sections(row, data)
    _draw_speech(row, data)
    _draw_breath(row, data)
    _draw_movement(row, data)
    _draw_over(row, data)
    for bell in data.bells:
        if row.shows(bell.start_s):
            ax.axvline(bell.start_s, color=BELL_COLOUR, linewidth=1.0, linestyle="--", zorder=3)
            ax.plot(
                [bell.start_s],
                [SECTION_LABEL_Y - 0.04],
                marker="v",
                color=BELL_COLOUR,
                markersize=8,
                zorder=7,
            )


def _section_chars(row: _Row, start_s: float, end_s: float) -> int:
    """How many characters of a section title fit between ``start_s`` and ``end_s``."""
    return int((end_s - start_s) * row.inches_per_s / (CHAR_WIDTH_IN * 1.2))


def _draw_sections(row: _Row, data: PlotData) -> None:
    """Bands with titles; a title with no room where its section starts goes on the next row."""
    ax = row.ax
    for index, section in enumerate(data.sections):
        if not row.shows(section.start_s, section.end_s):
            continue
        ax.axvspan(section.start_s, section.end_s, color=SECTION_COLOURS[index % 5], zorder=0)
        first_row_end_s = (section.start_s // row.length_s + 1) * row.length_s
        fits_at_start = (
            _section_chars(row, section.start_s, min(section.end_s, first_row_end_s))
            >= min(len(section.label), 12)
            or section.end_s <= first_row_end_s
        )
        starts_here = section.start_s >= row.start_s
        if starts_here:
            ax.axvline(section.start_s, color="#999999", linewidth=0.8, zorder=1)
            if not fits_at_start:
                continue
        continued = not starts_here and (fits_at_start or row.start_s > first_row_end_s)
        label_s = max(section.start_s, row.start_s)
        ax.text(
            label_s + row.length_s * 0.003,
            SECTION_LABEL_Y,
            first_words(
                section.label + (" (cont.)" if continued else ""),
                _section_chars(row, label_s, min(section.end_s, row.end_s)),
            ),
            fontsize=8 if continued else 9,
            fontweight="normal" if continued else "bold",
            color="#888888" if continued else "#333333",
            va="top",
            clip_on=True,
        )
    if row.start_s < data.duration_s < row.end_s:
        ax.axvspan(data.duration_s, row.end_s, color="#ffffff", zorder=2)
        ax.axvline(data.duration_s, color="#333333", linewidth=1.2, zorder=3)
        ax.text(
            data.duration_s + row.length_s * 0.004, 0.5, "end", fontsize=8, va="center", zorder=3
        )


def _draw_speech(row: _Row, data: PlotData) -> None:
    """Each spoken span, labelled with the words that fit before the next one starts."""
    from matplotlib.patches import Rectangle

    for index, span in enumerate(data.speech):
        if not row.shows(span.start_s, span.end_s):
            continue
        row.ax.add_patch(
            Rectangle(
                (span.start_s, SPEECH_Y[0]),
                span.end_s - span.start_s,
                SPEECH_Y[1] - SPEECH_Y[0],
                facecolor=SPEECH_COLOUR,
                edgecolor="none",
                zorder=3,
            )
        )
        label_s = max(span.start_s, row.start_s)
        next_s = data.speech[index + 1].start_s if index + 1 < len(data.speech) else data.duration_s
        room = int((min(next_s, row.end_s) - label_s) * row.inches_per_s / CHAR_WIDTH_IN) - 2
        row.ax.text(
            label_s + row.length_s * 0.002,
            sum(SPEECH_Y) / 2,
            first_words(span.label, room),
            fontsize=7,
            va="center",
            clip_on=True,
            zorder=4,
        )


def _draw_breath(row: _Row, data: PlotData) -> None:
    ax = row.ax
    for run in data.breath:
        points = [p for p in run if row.start_s - row.length_s <= p[0] <= row.end_s + row.length_s]
        if len(points) > 1:
            ax.plot(
                [p[0] for p in points],
                [_breath_y(p[1]) for p in points],
                color=BREATH_COLOUR,
                linewidth=1.6,
                zorder=5,
            )
    ax.axhline(BREATH_Y[0], color="#cccccc", linewidth=0.6, zorder=1)
    counts = [m for m in data.counts if row.shows(m.at_s)]
    ax.scatter(
        [m.at_s for m in counts],
        [_breath_y(m.level) for m in counts],
        s=5,
        color=BREATH_COLOUR,
        zorder=6,
    )
    for cue in data.cues:
        if row.shows(cue.at_s):
            at_bottom = cue.level < 0.5
            ax.text(
                cue.at_s,
                _breath_y(cue.level) + (-0.035 if at_bottom else 0.035),
                cue.label,
                fontsize=7.5,
                color=CUE_COLOUR,
                ha="left",
                va="top" if at_bottom else "bottom",
                zorder=6,
                clip_on=True,
            )


def _draw_movement(row: _Row, data: PlotData) -> None:
    """Beats as ticks below the line (left) or above it (right); accents taller."""
    ax = row.ax
    beats = [b for b in data.beats if row.shows(b.at_s)]
    for beat in beats:
        height = ACCENT_HEIGHT if beat.accent else BEAT_HEIGHT
        low, high = (
            (BEAT_MID_Y - height, BEAT_MID_Y)
            if beat.side == "left"
            else (BEAT_MID_Y, BEAT_MID_Y + height)
        )
        ax.vlines(
            beat.at_s, low, high, color=BEAT_COLOUR, linewidth=2.0 if beat.accent else 1.3, zorder=5
        )
    if beats:
        ax.axhline(BEAT_MID_Y, color="#d9cbb8", linewidth=0.6, zorder=1)
    for cue in data.movement_cues:
        if row.shows(cue.at_s):
            ax.text(
                cue.at_s,
                0.0 if cue.kind == "left" else BEAT_MID_Y + ACCENT_HEIGHT + 0.01,
                cue.label,
                fontsize=7,
                color=BEAT_COLOUR,
                va="bottom",
                zorder=6,
                clip_on=True,
            )


def _draw_over(row: _Row, data: PlotData) -> None:
    """Words spoken over a step: the stretch of curve or beats they cover, shaded, and the words.

    The words sit in a pale box at the middle of the breath band (or just above
    the beats), cut to the room before the next words over the same lane.
    """

    def on_curve(at_s: float) -> float:
        return _breath_y(level_at(data.breath, at_s))

    def on_beats(at_s: float) -> float:
        return BEAT_MID_Y

    lanes: tuple[tuple[tuple[Span, ...], float, Callable[[float], float]], ...] = (
        (data.over_breath, sum(BREATH_Y) / 2, on_curve),
        (data.over_movement, BEAT_MID_Y + ACCENT_HEIGHT + 0.03, on_beats),
    )
    for spans, label_y, along in lanes:
        for index, span in enumerate(spans):
            if not row.shows(span.start_s, span.end_s):
                continue
            steps = max(2, math.ceil((span.end_s - span.start_s) * 4))
            times = [
                span.start_s + (span.end_s - span.start_s) * k / steps for k in range(steps + 1)
            ]
            row.ax.plot(
                times,
                [along(t) for t in times],
                color=SPEECH_COLOUR,
                linewidth=7,
                alpha=0.7,
                solid_capstyle="butt",
                zorder=4,
            )
            label_s = max(span.start_s, row.start_s)
            next_s = spans[index + 1].start_s if index + 1 < len(spans) else data.duration_s
            room = int((min(next_s, row.end_s) - label_s) * row.inches_per_s / CHAR_WIDTH_IN) - 3
            row.ax.text(
                label_s + row.length_s * 0.002,
                label_y,
                first_words(span.label, room),
                fontsize=7,
                fontstyle="italic",
                color=CUE_COLOUR,
                va="center",
                clip_on=True,
                zorder=8,
                bbox={
                    "boxstyle": "round,pad=0.2",
                    "facecolor": "#ffffff",
                    "edgecolor": SPEECH_COLOUR,
                    "alpha": 0.85,
                },
            )
