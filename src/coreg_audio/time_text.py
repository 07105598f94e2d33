"""Times written as text: every way coreg-audio shows a time, in one place.

Each format belongs to a reader (a terminal line, a caption file, a tag, a
message), and each keeps its own rounding: changing one would change what
some player or test reads.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .units import round_half_up, samples_to_float_s, samples_to_seconds

_LRC_UNITS_PER_S = 100


def mm_ss_tenths(samples: int) -> str:
    """mm:ss.s, to the nearest tenth (minutes grow past 59 rather than wrapping into hours)."""
    tenths = round(samples_to_seconds(samples) * 10)
    return f"{tenths // 600:02d}:{tenths % 600 // 10:02d}.{tenths % 10}"


def mm_ss(samples: int) -> str:
    """mm:ss, the first five characters of ``mm_ss_tenths``: a length in a listing."""
    return mm_ss_tenths(samples)[:5]


def h_mm_ss(seconds: Fraction | float) -> str:
    """h:mm:ss, whole seconds cut off: a duration in a message."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def m_ss(seconds: float) -> str:
    """m:ss to the nearest second: a tick on a picture's time axis."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def length_m_ss(samples: int) -> str:
    """m:ss, whole seconds cut off: a track's length as a player shows it."""
    seconds = math.floor(samples_to_seconds(samples))
    return f"{seconds // 60}:{seconds % 60:02d}"


def seconds_2dp(samples: int) -> str:
    """ "1.25 s": a short length in a message, to the hundredth."""
    return f"{samples_to_float_s(samples):.2f} s"


def chapter_clock(samples: int, with_hours: bool) -> str:
    """mm:ss (or h:mm:ss), whole seconds cut off, as show notes list chapters."""
    minutes, seconds = divmod(math.floor(samples_to_seconds(samples)), 60)
    if not with_hours:
        return f"{minutes:02d}:{seconds:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def hh_mm_ss_mmm(samples: int) -> str:
    """HH:MM:SS.mmm (as WebVTT and Ogg chapters write time), rounded once to the millisecond."""
    milliseconds = round_half_up(samples_to_seconds(samples) * 1000)
    seconds, millis = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def lrc_time(samples: int) -> str:
    """[mm:ss.xx]; minutes go past 59 rather than into hours, as LRC players expect."""
    centiseconds = round_half_up(samples_to_seconds(samples) * _LRC_UNITS_PER_S)
    minutes, rest = divmod(centiseconds, 60 * _LRC_UNITS_PER_S)
    seconds, hundredths = divmod(rest, _LRC_UNITS_PER_S)
    return f"[{minutes:02d}:{seconds:02d}.{hundredths:02d}]"


def lrc_length(samples: int) -> str:
    """mm:ss to the nearest second, halves up: an LRC file's [length:] tag."""
    total = round_half_up(samples_to_seconds(samples))
    return f"{total // 60:02d}:{total % 60:02d}"
