"""The transport's fades: exactly as long as asked, ending on exact silence or full level."""

from __future__ import annotations

import numpy as np

from coreg_audio.live.fades import PAUSE_FADE_MS, Ramp
from coreg_audio.units import ms_to_samples


def fade_gains(ramp: Ramp, chunk: int) -> np.ndarray:
    """The gains of one whole fade, asked for in chunks of ``chunk`` samples."""
    gains: list[np.ndarray] = []
    while True:
        moved, gain = ramp.advance(chunk)
        if gain is None or moved == 0:
            return np.concatenate(gains) if gains else np.zeros(0)
        gains.append(gain)
        if ramp.silent or ramp.position == ramp.steps:
            return np.concatenate(gains)


def test_a_full_level_ramp_leaves_samples_untouched() -> None:
    ramp = Ramp()
    assert ramp.advance(1000) == (1000, None)
    assert not ramp.silent


def test_a_fade_out_takes_exactly_its_length_and_ends_in_silence() -> None:
    ramp = Ramp()
    ramp.towards(False, PAUSE_FADE_MS)
    gains = fade_gains(ramp, 777)
    assert gains.size == ms_to_samples(PAUSE_FADE_MS)
    assert gains[-1] == 0.0 and ramp.silent
    assert np.all(np.diff(gains) <= 0) and gains[0] > 0.99


def test_a_fade_in_from_silence_ends_on_full_level_then_passes_samples() -> None:
    ramp = Ramp()
    ramp.silence()
    ramp.towards(True, 10.0)
    gains = fade_gains(ramp, 100)
    assert gains.size == ms_to_samples(10.0)
    assert gains[-1] == 1.0 and np.all(np.diff(gains) >= 0) and gains[0] < 0.01
    assert ramp.advance(50) == (50, None)


def test_turning_back_mid_fade_starts_from_the_level_reached() -> None:
    ramp = Ramp()
    ramp.towards(False, 100.0)
    _, gains = ramp.advance(ms_to_samples(50.0))
    assert gains is not None
    ramp.towards(True, 200.0)
    moved, back = ramp.advance(1)
    assert moved == 1 and back is not None
    assert abs(float(back[0]) - float(gains[-1])) < 0.01
    assert fade_gains(ramp, 4096).size == ms_to_samples(100.0) - 1
