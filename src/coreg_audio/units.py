"""Seconds and samples, converted in this one place.

Times are exact ``Fraction`` seconds while a timeline is built; each event is
rounded to the nearest sample once, so no error accumulates.
"""

from __future__ import annotations

import math
from fractions import Fraction

SAMPLE_RATE_HZ = 44100
CHANNELS = 2

Seconds = Fraction


def round_half_up(value: Fraction | int) -> int:
    """Nearest integer, halves up: unlike ``round``, the result never depends on parity."""
    return math.floor(Fraction(value) + Fraction(1, 2))


def seconds_to_samples(seconds: Fraction | int | float) -> int:
    """Nearest sample to ``seconds``."""
    return round_half_up(Fraction(seconds) * SAMPLE_RATE_HZ)


def samples_to_seconds(samples: int) -> Fraction:
    return Fraction(samples, SAMPLE_RATE_HZ)


def samples_to_float_s(samples: int) -> float:
    return samples / SAMPLE_RATE_HZ


def ms_to_samples(milliseconds: float) -> int:
    return round(milliseconds * SAMPLE_RATE_HZ / 1000)


def db_to_gain(level_db: float) -> float:
    return float(10.0 ** (level_db / 20.0))


def gain_to_db(gain: float) -> float:
    return float(20.0 * math.log10(max(gain, 1e-12)))
