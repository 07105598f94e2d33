"""Seconds and samples, converted in this one place, at the one sample rate.

Times are exact ``Fraction`` seconds while a timeline is built; each event is
rounded to the nearest sample once, so no error accumulates. ``SAMPLE_RATE_HZ``
is read here and stamped on the timeline; what runs at a rate (the mixer, the
sinks, the sound card) takes it from there.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    import numpy as np

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


@overload
def samples_to_float_s(samples: int) -> float: ...


@overload
def samples_to_float_s(samples: np.ndarray) -> np.ndarray: ...


def samples_to_float_s(samples: int | np.ndarray) -> float | np.ndarray:
    """Seconds as floats, of one sample count or elementwise of an array of them."""
    return samples / SAMPLE_RATE_HZ


def rfft_frequencies_hz(length_samples: int) -> np.ndarray:
    """The frequency of each bin of the real FFT of ``length_samples`` samples."""
    import numpy as np

    frequencies: np.ndarray = np.fft.rfftfreq(length_samples, 1.0 / SAMPLE_RATE_HZ)
    return frequencies


def rate_ratio(sample_rate_hz: int) -> Fraction:
    """Our samples per sample at ``sample_rate_hz``: the factor that resamples to our rate."""
    return Fraction(SAMPLE_RATE_HZ, sample_rate_hz)


def ms_to_samples(milliseconds: float) -> int:
    return round(milliseconds * SAMPLE_RATE_HZ / 1000)


def db_to_gain(level_db: float) -> float:
    return float(10.0 ** (level_db / 20.0))


def gain_to_db(gain: float) -> float:
    return float(20.0 * math.log10(max(gain, 1e-12)))
