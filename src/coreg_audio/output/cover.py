"""Square cover art for a practice: its title over two waves that breathe its pattern.

A phone's player shows the cover on the lock screen and in the library, so
each practice gets its own: the two waves are the two partners breathing in
step, shaped by the pattern (rising on the inhale, level on a hold, falling on
the exhale), and the colour deepens from teal to indigo as the cycle slows.
Everything is drawn from the inputs alone, so the same practice always gets
the same bytes.
"""

from __future__ import annotations

import colorsys
import functools
import io
import math
from collections.abc import Iterator

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..format.model import Breathe, Pattern, Script
from ..format.validate import walk_steps

SIZE_PX = 600
_SCALE = 2
"""Drawn at twice the size and scaled down, which smooths every edge."""
_MARGIN = 0.1
_TITLE_MAX_PX = 60
_TITLE_MIN_PX = 26
_TITLE_MAX_LINES = 4
_CYCLES_SHOWN = 2.5
_FAST_CYCLE_S = 6.0
_SLOW_CYCLE_S = 20.0
_TEAL_HUE = 185 / 360
_INDIGO_HUE = 235 / 360
_FONT_FILE = "DejaVuSans.ttf"
_TEXT = (244, 246, 248)
_SHADOW = (10, 20, 35)


def breath_pattern(script: Script) -> Pattern:
    """The pattern a listener first breathes: the first ``breathe`` step's, else the script's."""
    for step in walk_steps(script.steps):
        if isinstance(step, Breathe):
            return step.first_pattern(script.pattern)
    return script.pattern


def pattern_label(pattern: Pattern) -> str:
    """ "4-6" or "4-7-8", as the script would write it."""
    phases = [pattern.inhale_s, pattern.hold_s, pattern.exhale_s, pattern.rest_s]
    while len(phases) > 2 and phases[-1] == 0:
        phases.pop()
    if len(phases) == 3 and phases[1] == 0:
        phases.pop(1)
    return "-".join(f"{float(phase):g}" for phase in phases)


def cover_png(title: str, pattern: Pattern) -> bytes:
    """A SIZE_PX square PNG: a calm gradient, two breathing waves and the title."""
    size = SIZE_PX * _SCALE
    hue = _hue(float(pattern.cycle_s))
    image = _gradient(size, _colour(hue, 0.45, 0.30), _colour(hue + 0.03, 0.35, 0.62))
    _draw_waves(image, pattern, hue)
    title_bottom = _draw_title(image, title)
    _draw_label(image, f"breathe {pattern_label(pattern)}", title_bottom + size * 0.04)
    small = image.resize((SIZE_PX, SIZE_PX), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG")
    return out.getvalue()


def _hue(cycle_s: float) -> float:
    slowness = min(max((cycle_s - _FAST_CYCLE_S) / (_SLOW_CYCLE_S - _FAST_CYCLE_S), 0.0), 1.0)
    return _TEAL_HUE + (_INDIGO_HUE - _TEAL_HUE) * slowness


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _gradient(size: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    mask = Image.linear_gradient("L").resize((size, size), Image.Resampling.BICUBIC)
    return Image.composite(
        Image.new("RGB", (size, size), bottom), Image.new("RGB", (size, size), top), mask
    )


def breath_curve(pattern: Pattern, time_s: float) -> float:
    """How full the lungs are at ``time_s`` into the pattern, 0 (empty) to 1 (full).

    Each change follows a raised cosine, as a calm breath eases in and out.
    """
    cycle_s = float(pattern.cycle_s)
    t = time_s % cycle_s
    inhale, hold, exhale = float(pattern.inhale_s), float(pattern.hold_s), float(pattern.exhale_s)
    if t < inhale:
        return 0.5 - 0.5 * math.cos(math.pi * t / inhale)
    t -= inhale
    if t < hold:
        return 1.0
    t -= hold
    if t < exhale:
        return 0.5 + 0.5 * math.cos(math.pi * t / exhale)
    return 0.0


def _wave_points(
    pattern: Pattern, size: int, baseline: float, height: float
) -> Iterator[tuple[float, float]]:
    span_s = _CYCLES_SHOWN * float(pattern.cycle_s)
    steps = size // 4
    for i in range(steps + 1):
        x = size * i / steps
        yield x, baseline - height * breath_curve(pattern, span_s * i / steps)


def _draw_waves(image: Image.Image, pattern: Pattern, hue: float) -> None:
    """Two waves in step, a little apart: the partners; soft hills below, a clear line on top."""
    size = image.width
    hills = Image.new("RGBA", image.size, (0, 0, 0, 0))
    lines = Image.new("RGBA", image.size, (0, 0, 0, 0))
    height = size * 0.15
    for offset, alpha in ((0.0, 80), (size * 0.06, 120)):
        points = list(_wave_points(pattern, size, size * 0.86 + offset, height))
        ImageDraw.Draw(hills).polygon(
            [*points, (size, size), (0, size)], fill=(*_colour(hue + 0.02, 0.45, 0.18), alpha)
        )
        ImageDraw.Draw(lines).line(
            points,
            fill=(*_colour(hue - 0.03, 0.15, 0.97), alpha + 60),
            width=max(2, size // 300),
            joint="curve",
        )
    softened = Image.alpha_composite(hills.filter(ImageFilter.GaussianBlur(size / 200)), lines)
    image.paste(Image.alpha_composite(image.convert("RGBA"), softened).convert("RGB"))


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
    """The title, centred in the upper half; returns where its last line ends."""
    size = image.width
    draw = ImageDraw.Draw(image)
    width = size * (1 - 2 * _MARGIN)
    lines, font = _fit_title(draw, " ".join(title.split()), width)
    line_px = font.size * 1.25 if isinstance(font, ImageFont.FreeTypeFont) else 14
    top = size * 0.36 - line_px * len(lines) / 2
    shadow = Image.new("RGBA", image.size, (0, 0, 0, 0))
    shadow_draw = ImageDraw.Draw(shadow)
    for i, line in enumerate(lines):
        y = top + i * line_px
        shadow_draw.text(
            (size / 2, y + _SCALE * 2), line, font=font, anchor="mt", fill=(*_SHADOW, 120)
        )
    blurred = shadow.filter(ImageFilter.GaussianBlur(_SCALE * 3))
    image.paste(Image.alpha_composite(image.convert("RGBA"), blurred).convert("RGB"))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((size / 2, top + i * line_px), line, font=font, anchor="mt", fill=_TEXT)
    return top + len(lines) * line_px


def _draw_label(image: Image.Image, text: str, top: float) -> None:
    draw = ImageDraw.Draw(image)
    draw.text((image.width / 2, top), text, font=_font(18 * _SCALE), anchor="mt", fill=_TEXT)
