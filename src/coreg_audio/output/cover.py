"""Square cover art for a practice: its whole shape as a ring, in its own colour.

A phone shows the cover on the lock screen and in the library, so each
practice must be told apart at a glance. The ring is the practice's time, from
the top, clockwise: two strands (the partners) swell outward with every breath
of a ``breathe`` step, sway in and out with a ``rock``, carry a footstep on
either side for each beat of a ``walk``, and rest as plain circles where words
and silence are; short dashes inside mark the spoken words and the strands
break where a section begins. The colour comes from the title, out of a
palette of calm hues of equal lightness, and the subtitle names what the
practice mostly does: its main breath pattern, "rocking", "walking", or
"spoken guidance". Everything is drawn from the timeline alone, so the same
practice always gets the same bytes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .. import cache
from ..timeline.events import BeatEvent, BreathPhase, Timeline
from ..units import samples_to_float_s

SIZE_PX = 600
_SCALE = 2
"""Drawn at twice the size and scaled down, which smooths every edge."""
_RING = 0.36
"""The ring's radius, as a share of the cover's side."""
_STRAND_GAP = 0.016
_MAX_SWELL = 0.045
_MIN_SWELL = 0.012
_SWELL_PER_CYCLE = 0.42
"""A breath's swell, as a share of one cycle's length along the ring: gentle scallops."""
_SWAY_PER_PERIOD = 0.3
_FOOT_OFFSET = 0.03
_WORDS_INSET = 0.05
_SECTION_GAP_RAD = 0.055
_POINTS = 2880
_TITLE_WIDTH = 0.5
"""The title's widest line, as a share of the side: inside the ring."""
_TITLE_MAX_PX = 56
_TITLE_MIN_PX = 22
_TITLE_MAX_LINES = 4
_SUBTITLE_PX = 19
_FONT_FILE = "DejaVuSans.ttf"
_TEXT = (246, 244, 240)
_SHADOW = (6, 10, 18)
HUES_DEG = (20, 65, 110, 155, 200, 245, 290, 335)
"""Eight calm hues (OKLCH degrees), evenly apart; a practice's title picks one."""
_HUE_SALT = b"17948:"
"""Chosen so that the eight built-in practices get the eight different hues."""
_MIN_SHARE = 0.2
"""An activity is named in the subtitle when it takes this share of the first one's time."""

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Cover:
    """The cover of one practice: the PNG, and what it says and is coloured by."""

    png: bytes
    subtitle: str
    hue_deg: int

    def jpeg(self, size_px: int = SIZE_PX, quality: int = 88) -> bytes:
        """The cover as a (smaller) JPEG, for pages: a fraction of the PNG's bytes."""
        image = Image.open(io.BytesIO(self.png)).convert("RGB")
        if size_px != image.width:
            image = image.resize((size_px, size_px), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
        return out.getvalue()

    def data_url(self, size_px: int = SIZE_PX) -> str:
        """The JPEG as a ``data:`` URL, which a page can show without asking for any file."""
        return "data:image/jpeg;base64," + base64.b64encode(self.jpeg(size_px)).decode("ascii")

    def accent(self, lightness: float, chroma: float = 0.09) -> str:
        """The practice's colour at ``lightness`` (OKLCH, 0 to 1), as a CSS hex colour."""
        return "#{:02x}{:02x}{:02x}".format(*oklch(lightness, chroma, self.hue_deg))


def cover_for(timeline: Timeline) -> Cover:
    """The cover of the practice ``timeline`` holds."""
    shape = practice_shape(timeline)
    hue = hue_of(timeline.title)
    return Cover(_draw(timeline.title, shape, hue), shape.subtitle, hue)


def cover_png(timeline: Timeline) -> bytes:
    return cover_for(timeline).png


# --- what the practice does --------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One ``breathe`` step as breathed: its first and last cycles' patterns and its length."""

    first: tuple[float, float, float, float]
    last: tuple[float, float, float, float]
    length_s: float

    @property
    def label(self) -> str:
        first = pattern_label(*self.first)
        last = pattern_label(*self.last)
        return first if first == last else f"{first} to {last}"


@dataclass(frozen=True)
class Shape:
    """What the ring draws, as tuples of plain numbers (hashable, so drawing is cached)."""

    duration_s: float
    breaths: tuple[tuple[str, float, float], ...]
    """(phase, start_s, end_s) of every breath phase."""
    sways: tuple[tuple[float, float], ...]
    """(time_s, -1 left or +1 right) of every rocking beat, and 0 where a rock starts and ends."""
    steps: tuple[tuple[float, int, bool], ...]
    """(time_s, -1 or +1, accent) of every walking beat."""
    words: tuple[tuple[float, float], ...]
    """(start_s, end_s) of every spoken item."""
    sections: tuple[float, ...]
    """Where each section after the first begins, in seconds."""
    subtitle: str


def _s(samples: int) -> float:
    return samples_to_float_s(samples)


def breath_runs(breaths: Sequence[BreathPhase]) -> list[Run]:
    """The breathe steps in ``breaths``: a run ends where the step or the cycle count restarts."""
    runs: list[Run] = []
    cycles: list[dict[str, float]] = []
    last_key: tuple[str, int] | None = None

    def close() -> None:
        if cycles:
            first, last = (_pattern_of(cycles[0]), _pattern_of(cycles[-1]))
            runs.append(Run(first, last, sum(sum(c.values()) for c in cycles)))
            cycles.clear()

    for phase in breaths:
        key = (phase.step, phase.cycle)
        if last_key is None or key != last_key:
            if last_key is None or phase.step != last_key[0] or phase.cycle <= last_key[1]:
                close()
            cycles.append({})
            last_key = key
        cycles[-1][phase.phase] = _s(phase.end_samples - phase.start_samples)
    close()
    return runs


def _pattern_of(cycle: dict[str, float]) -> tuple[float, float, float, float]:
    inhale, hold, exhale, rest = (cycle.get(p, 0.0) for p in ("inhale", "hold", "exhale", "rest"))
    return inhale, hold, exhale, rest


def pattern_label(inhale_s: float, hold_s: float, exhale_s: float, rest_s: float) -> str:
    """ "4-6" or "4-7-8", as a script would write the pattern."""
    phases = [inhale_s, hold_s, exhale_s, rest_s]
    while len(phases) > 2 and phases[-1] == 0:
        phases.pop()
    if len(phases) == 3 and phases[1] == 0:
        phases.pop(1)
    return "-".join(f"{round(phase, 2):g}" for phase in phases)


def movement_kind(beat: BeatEvent) -> str:
    """ "walk" or "rock": a walk's beats carry an accent (true or false), a rock's none."""
    return "walk" if beat.accent is not None else "rock"


def movement_stretches(timeline: Timeline) -> list[tuple[str, list[BeatEvent], float]]:
    """Each rock or walk step: its kind, its beats, and when it ends (one beat after the last)."""
    stretches: list[tuple[str, list[BeatEvent], float]] = []
    current: list[BeatEvent] = []

    def close() -> None:
        if current:
            starts = [_s(beat.start_samples) for beat in current]
            every = starts[-1] - starts[-2] if len(starts) > 1 else _s(current[-1].length_samples)
            stretches.append((movement_kind(current[0]), list(current), starts[-1] + every))
            current.clear()

    for event in timeline.events:
        if not isinstance(event, BeatEvent) or event.phase not in ("left", "right"):
            continue
        if current and (event.step != current[-1].step or _starts_a_step(event)):
            close()
        current.append(event)
    close()
    return stretches


def _starts_a_step(beat: BeatEvent) -> bool:
    """A rock's and a walk's first beat: the left one of the first cycle (or step)."""
    return beat.cycle == 1 and beat.phase == "left"


def subtitle(timeline: Timeline) -> str:
    """What the practice mostly does: its main breath pattern, rocking or walking."""
    time_s: dict[str, float] = defaultdict(float)
    patterns: dict[str, float] = defaultdict(float)
    for run in breath_runs(timeline.breaths):
        patterns[run.label] += run.length_s
        time_s["breathe"] += run.length_s
    for kind, beats, end_s in movement_stretches(timeline):
        time_s["rocking" if kind == "rock" else "walking"] += end_s - _s(beats[0].start_samples)
    if not time_s:
        return "spoken guidance"
    ranked = sorted(time_s.items(), key=lambda item: -item[1])
    names = []
    for name, seconds in ranked:
        if seconds < _MIN_SHARE * ranked[0][1]:
            break
        if name == "breathe":
            main = max(patterns.items(), key=lambda item: item[1])[0]
            names.append(f"breathe {main}")
        else:
            names.append(name)
    return " · ".join(names[:2])


def practice_shape(timeline: Timeline) -> Shape:
    sways: list[tuple[float, float]] = []
    steps: list[tuple[float, int, bool]] = []
    for kind, beats, end_s in movement_stretches(timeline):
        first_s = _s(beats[0].start_samples)
        if kind == "rock":
            lead_s = (end_s - first_s) / max(len(beats), 1)
            sways.append((first_s - lead_s, 0.0))
        for beat in beats:
            side = -1 if beat.phase == "left" else 1
            if kind == "rock":
                sways.append((_s(beat.start_samples), float(side)))
            else:
                steps.append((_s(beat.start_samples), side, bool(beat.accent)))
        if kind == "rock":
            sways.append((end_s, 0.0))
    return Shape(
        duration_s=max(timeline.duration_s, 1e-3),
        breaths=tuple((p.phase, _s(p.start_samples), _s(p.end_samples)) for p in timeline.breaths),
        sways=tuple(sways),
        steps=tuple(steps),
        words=tuple(
            (_s(e.start_samples), _s(e.end_samples))
            for e in timeline.spoken_events()
            if e.text and e.text.strip()
        ),
        sections=tuple(_s(c.start_samples) for c in timeline.chapters[1:]),
        subtitle=subtitle(timeline),
    )


def fullness(phase: str, progress: float) -> float:
    """How full the lungs are through a phase, 0 (empty) to 1 (full).

    Each change follows a raised cosine, as the breath tone's pitch glides and a
    calm breath eases in and out; the pacer page draws its circle the same way.
    """
    progress = min(max(progress, 0.0), 1.0)
    if phase == "inhale":
        return 0.5 - 0.5 * math.cos(math.pi * progress)
    if phase == "hold":
        return 1.0
    if phase == "exhale":
        return 0.5 + 0.5 * math.cos(math.pi * progress)
    return 0.0


# --- colour ------------------------------------------------------------------------------------


def hue_of(title: str) -> int:
    """The practice's hue, chosen by its title (case and spacing aside)."""
    key = _HUE_SALT + " ".join(title.split()).casefold().encode("utf-8")
    return HUES_DEG[int.from_bytes(hashlib.sha256(key).digest()[:4], "big") % len(HUES_DEG)]


def oklch(lightness: float, chroma: float, hue_deg: float) -> Colour:
    """An OKLCH colour in sRGB: equal lightness looks equally light whatever the hue."""
    a = chroma * math.cos(math.radians(hue_deg))
    b = chroma * math.sin(math.radians(hue_deg))
    l_ = (lightness + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m_ = (lightness - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s_ = (lightness - 0.0894841775 * a - 1.2914855480 * b) ** 3
    linear = (
        4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
        -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
        -0.0041960863 * l_ - 0.7034186147 * m_ + 1.7076147010 * s_,
    )

    def encode(value: float) -> int:
        value = min(max(value, 0.0), 1.0)
        srgb = 12.92 * value if value <= 0.0031308 else 1.055 * value ** (1 / 2.4) - 0.055
        return round(srgb * 255)

    red, green, blue = (encode(value) for value in linear)
    return red, green, blue


# --- drawing -----------------------------------------------------------------------------------


_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _sane_png(stored: np.ndarray) -> bool:
    return stored.dtype == np.uint8 and stored.ndim == 1 and stored[:8].tobytes() == _PNG_MAGIC


@functools.lru_cache(maxsize=4)
def _draw(title: str, shape: Shape, hue: int) -> bytes:
    """The PNG; kept in memory, as a render and its page both want the same cover, and in
    the disk cache, as drawing it takes most of a second before a render can start."""
    key = cache.content_key(
        {
            "cover": [title, repr(shape), hue],
            "code": cache.source_fingerprint(__file__),
            "pillow": PIL.__version__,
        }
    )
    covers = cache.store("covers", _sane_png)
    stored = covers.get(key)
    if stored is not None:
        return stored.tobytes()
    png = _drawn(title, shape, hue)
    covers.put(key, np.frombuffer(png, dtype=np.uint8))
    return png


def _drawn(title: str, shape: Shape, hue: int) -> bytes:
    size = SIZE_PX * _SCALE
    image = _background(size, hue)
    _draw_ring(image, shape, hue)
    bottom = _draw_title(image, title)
    _draw_subtitle(image, shape.subtitle, bottom + size * 0.025, hue)
    small = image.resize((SIZE_PX, SIZE_PX), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _background(size: int, hue: int) -> Image.Image:
    """A soft glow in the middle of the practice's colour, darker toward the corners.

    Worked out a band of rows at a time: the whole picture in float32 would take
    some 70 MB for a moment, for 4 MB of pixels.
    """
    centre = np.array(oklch(0.40, 0.06, hue), dtype=np.float32)
    edge = np.array(oklch(0.22, 0.035, hue), dtype=np.float32)
    axis = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    pixels = np.empty((size, size, 3), dtype=np.uint8)
    for first in range(0, size, _BAND_ROWS):
        rows = axis[first : first + _BAND_ROWS, None]
        distance = np.sqrt(axis[None, :] ** 2 + (rows + 0.04) ** 2) / 0.72
        mix = np.clip(distance, 0.0, 1.0)[..., None] ** 1.3
        pixels[first : first + _BAND_ROWS] = np.round(centre * (1 - mix) + edge * mix)
    return Image.fromarray(pixels, "RGB")


_BAND_ROWS = 64


def _ease(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 0.5 - 0.5 * np.cos(math.pi * np.clip(x, 0.0, 1.0))
    return result


def _fullness_at(shape: Shape, times: np.ndarray) -> np.ndarray:
    out = np.zeros_like(times)
    for phase, start, end in shape.breaths:
        inside = (times >= start) & (times < end)
        if not inside.any():
            continue
        progress = (times[inside] - start) / max(end - start, 1e-9)
        if phase == "inhale":
            out[inside] = _ease(progress)
        elif phase == "hold":
            out[inside] = 1.0
        elif phase == "exhale":
            out[inside] = 1.0 - _ease(progress)
    return out


def _sway_at(shape: Shape, times: np.ndarray) -> np.ndarray:
    """-1 (left) to +1 (right), easing from each rocking beat to the next."""
    out = np.zeros_like(times)
    points = shape.sways
    for (t0, s0), (t1, s1) in itertools.pairwise(points):
        if t1 <= t0:
            continue
        inside = (times >= t0) & (times < t1)
        out[inside] = s0 + (s1 - s0) * _ease((times[inside] - t0) / (t1 - t0))
    return out


def _swell_px(shape: Shape, px_per_s: float, size: int) -> float:
    """How far a full breath swells the ring: gentle scallops, whatever the cycle's length."""
    if not shape.breaths:
        return 0.0
    swell = _SWELL_PER_CYCLE * _median_cycle_s(shape) * px_per_s
    return min(max(swell, _MIN_SWELL * size), _MAX_SWELL * size)


def _median_cycle_s(shape: Shape) -> float:
    """The typical time from one inhale's start to the next."""
    starts = [start for phase, start, _ in shape.breaths if phase == "inhale"]
    gaps = sorted(b - a for a, b in itertools.pairwise(starts))
    if not gaps:
        return max(end for _, _, end in shape.breaths) - min(s for _, s, _ in shape.breaths)
    return gaps[len(gaps) // 2]


def _sway_px(shape: Shape, px_per_s: float, size: int) -> float:
    """How far the strands sway apart: a share of one rocking period along the ring."""
    beats = [time_s for time_s, side in shape.sways if side != 0.0]
    if len(beats) < 2:
        return 0.0
    gaps = sorted(b - a for a, b in itertools.pairwise(beats) if b > a)
    period_s = 2 * gaps[len(gaps) // 2]
    return min(max(_SWAY_PER_PERIOD * period_s * px_per_s, _MIN_SWELL * size), _MAX_SWELL * size)


def _breaks(shape: Shape, times: np.ndarray) -> np.ndarray:
    """Where the strands are broken: around each section's start, and at the top."""
    angle = times / shape.duration_s * 2 * math.pi
    broken = (angle < _SECTION_GAP_RAD / 2) | (angle > 2 * math.pi - _SECTION_GAP_RAD / 2)
    for start in shape.sections:
        at = start / shape.duration_s * 2 * math.pi
        broken |= np.abs(angle - at) < _SECTION_GAP_RAD / 2
    return broken


def _polar(radius: np.ndarray | float, angle: np.ndarray, centre: float) -> np.ndarray:
    return np.stack([centre + radius * np.sin(angle), centre - radius * np.cos(angle)], axis=-1)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Each stretch of True in ``mask`` as (first, last + 1)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _draw_ring(image: Image.Image, shape: Shape, hue: int) -> None:
    size = image.width
    centre = size / 2
    ring = _RING * size
    times = np.linspace(0.0, shape.duration_s, _POINTS, endpoint=False)
    angle = times / shape.duration_s * 2 * math.pi
    px_per_s = 2 * math.pi * ring / shape.duration_s
    swell = _fullness_at(shape, times) * _swell_px(shape, px_per_s, size)
    sway = _sway_at(shape, times) * _sway_px(shape, px_per_s, size)
    solid = ~_breaks(shape, times)
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    glow = (*oklch(0.7, 0.10, hue), 90)
    for first, last in _runs(solid & (swell > 0.5)):
        outer = _polar(ring + swell[first:last], angle[first:last], centre)
        inner = _polar(
            np.full(last - first, ring + _STRAND_GAP * size / 2), angle[first:last], centre
        )[::-1]
        draw.polygon([tuple(p) for p in np.concatenate([outer, inner])], fill=glow)
    layer = layer.filter(ImageFilter.GaussianBlur(size / 250))
    draw = ImageDraw.Draw(layer)
    strand = max(2, round(size * 0.0042))
    for radius, lightness, alpha, side in (
        (ring - _STRAND_GAP * size / 2, 0.86, 210, -1),
        (ring + _STRAND_GAP * size / 2, 0.93, 235, 1),
    ):
        colour = (*oklch(lightness, 0.05, hue), alpha)
        strand_offset = (swell if side > 0 else 0.0) + side * sway
        for first, last in _runs(solid):
            points = _polar(radius + strand_offset[first:last], angle[first:last], centre)
            draw.line([tuple(p) for p in points], fill=colour, width=strand, joint="curve")
    dot = size * 0.0035
    for time_s, side, accent in shape.steps:
        at = time_s / shape.duration_s * 2 * math.pi
        x, y = _polar(ring + side * _FOOT_OFFSET * size, np.array([at]), centre)[0]
        r = dot * (1.5 if accent else 1.0)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*oklch(0.9, 0.06, hue), 200))
    words_radius = ring - (_WORDS_INSET + _STRAND_GAP / 2) * size
    speech = np.zeros_like(times, dtype=bool)
    for start, end in shape.words:
        speech |= (times >= start) & (times < end)
    for first, last in _runs(speech & solid):
        if last - first < 2:
            last = min(first + 2, _POINTS)
        points = _polar(np.full(last - first, words_radius), angle[first:last], centre)
        draw.line(
            [tuple(p) for p in points],
            fill=(*oklch(0.8, 0.07, hue), 150),
            width=max(2, round(size * 0.006)),
        )
    image.paste(Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB"))


@functools.cache
def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans where installed (it has the letters of most languages), else Pillow's own."""
    try:
        return ImageFont.truetype(_FONT_FILE, size_px)
    except OSError:
        return ImageFont.load_default(size=size_px)


def _wrap(
    draw: ImageDraw.ImageDraw,
    words: list[str],
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: float,
) -> list[str] | None:
    """Words in lines no wider than ``width``, or None if one word alone is wider."""
    lines: list[str] = []
    for word in words:
        if draw.textlength(word, font=font) > width:
            return None
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _fit_title(
    draw: ImageDraw.ImageDraw, title: str, width: float
) -> tuple[list[str], ImageFont.FreeTypeFont | ImageFont.ImageFont]:
    """The largest type (down to a floor) that sets the title in a few lines."""
    words = title.split() or [""]
    size_px = _TITLE_MAX_PX * _SCALE
    while True:
        font = _font(size_px)
        lines = _wrap(draw, words, font, width)
        if lines is not None and len(lines) <= _TITLE_MAX_LINES:
            return lines, font
        if size_px <= _TITLE_MIN_PX * _SCALE:
            return _truncate(draw, words, font, width), font
        size_px -= 2 * _SCALE


def _truncate(
    draw: ImageDraw.ImageDraw,
    words: list[str],
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: float,
) -> list[str]:
    """At the smallest size, a title too long for the cover ends in an ellipsis."""
    text = " ".join(words)
    lines: list[str] = []
    while text and len(lines) < _TITLE_MAX_LINES:
        cut = len(text)
        while cut > 1 and draw.textlength(text[:cut], font=font) > width:
            cut -= 1
        if cut < len(text) and " " in text[:cut]:
            cut = text.rindex(" ", 0, cut)
        lines.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _draw_title(image: Image.Image, title: str) -> float:
    """The title, centred inside the ring; returns where its last line ends."""
    size = image.width
    draw = ImageDraw.Draw(image)
    lines, font = _fit_title(draw, " ".join(title.split()), size * _TITLE_WIDTH)
    line_px = font.size * 1.2 if isinstance(font, ImageFont.FreeTypeFont) else 14
    top = size * 0.475 - line_px * len(lines) / 2
    shadow = Image.new("RGBA", image.size, (0, 0, 0, 0))
    shadow_draw = ImageDraw.Draw(shadow)
    for i, line in enumerate(lines):
        y = top + i * line_px
        shadow_draw.text(
            (size / 2, y + _SCALE * 2), line, font=font, anchor="mt", fill=(*_SHADOW, 110)
        )
    blurred = shadow.filter(ImageFilter.GaussianBlur(_SCALE * 3))
    image.paste(Image.alpha_composite(image.convert("RGBA"), blurred).convert("RGB"))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((size / 2, top + i * line_px), line, font=font, anchor="mt", fill=_TEXT)
    return top + len(lines) * line_px


def _draw_subtitle(image: Image.Image, text: str, top: float, hue: int) -> None:
    draw = ImageDraw.Draw(image)
    draw.text(
        (image.width / 2, top),
        text,
        font=_font(_SUBTITLE_PX * _SCALE),
        anchor="mt",
        fill=oklch(0.9, 0.06, hue),
    )
