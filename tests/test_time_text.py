"""Every way a time is written: each format exactly as its reader expects it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from coreg_audio.time_text import (
    chapter_clock,
    h_mm_ss,
    hh_mm_ss_mmm,
    length_m_ss,
    lrc_length,
    lrc_time,
    m_ss,
    mm_ss,
    mm_ss_tenths,
    seconds_2dp,
)
from coreg_audio.units import SAMPLE_RATE_HZ

SR = SAMPLE_RATE_HZ


def test_mm_ss_tenths_keeps_counting_minutes() -> None:
    assert mm_ss_tenths(0) == "00:00.0"
    assert mm_ss_tenths(SR * 61 + SR // 2) == "01:01.5"
    assert mm_ss_tenths(SR * 3 * 3600) == "180:00.0"


@pytest.mark.parametrize("samples", [2205, 6615, 11025, 4410 * 7 + 2205, 123_456_789])
def test_mm_ss_tenths_rounds_halves_to_even_as_the_float_formula_did(samples: int) -> None:
    tenths = round(samples * 10 / SR)
    assert mm_ss_tenths(samples) == f"{tenths // 600:02d}:{tenths % 600 // 10:02d}.{tenths % 10}"


def test_mm_ss_is_the_listing_length() -> None:
    assert mm_ss(SR * 61 + SR // 2) == "01:01"
    assert mm_ss(SR * 59 + SR * 99 // 100) == "01:00"


def test_h_mm_ss_cuts_whole_seconds_for_messages() -> None:
    assert h_mm_ss(Fraction(3725)) == "1:02:05"
    assert h_mm_ss(59.99) == "0:00:59"


def test_m_ss_rounds_to_the_second_for_a_time_axis() -> None:
    assert m_ss(0.0) == "0:00"
    assert m_ss(89.6) == "1:30"
    assert m_ss(3600.0) == "60:00"


def test_length_m_ss_is_written_as_a_player_shows_it() -> None:
    assert length_m_ss(0) == "0:00"
    assert length_m_ss(59 * SR + SR // 2) == "0:59"
    assert length_m_ss(60 * SR) == "1:00"
    assert length_m_ss(573 * SR) == "9:33"
    assert length_m_ss(3725 * SR) == "62:05"


def test_seconds_2dp() -> None:
    assert seconds_2dp(SR + SR // 4) == "1.25 s"
    assert seconds_2dp(0) == "0.00 s"


def test_chapter_clock_cuts_to_the_second_with_hours_when_asked() -> None:
    assert chapter_clock(75 * SR - 1, with_hours=False) == "01:14"
    assert chapter_clock(3600 * SR, with_hours=True) == "1:00:00"
    assert chapter_clock(0, with_hours=True) == "0:00:00"


def test_lrc_time_rounds_to_the_nearest_hundredth_and_keeps_counting_minutes() -> None:
    assert lrc_time(0) == "[00:00.00]"
    assert lrc_time(220) == "[00:00.00]"
    assert lrc_time(221) == "[00:00.01]"
    assert lrc_time(59 * SR + 44_000) == "[01:00.00]"
    assert lrc_time(3725 * SR + SR // 2) == "[62:05.50]"


def test_lrc_length_rounds_halves_up() -> None:
    assert lrc_length(61 * SR + SR // 2) == "01:02"
    assert lrc_length(61 * SR + SR // 2 - 1) == "01:01"


def test_hh_mm_ss_mmm_has_hours_and_milliseconds() -> None:
    assert hh_mm_ss_mmm(0) == "00:00:00.000"
    assert hh_mm_ss_mmm(22) == "00:00:00.000"
    assert hh_mm_ss_mmm(23) == "00:00:00.001"
    assert hh_mm_ss_mmm(3725 * SR + SR // 4) == "01:02:05.250"
    assert hh_mm_ss_mmm(100 * 3600 * SR) == "100:00:00.000"
