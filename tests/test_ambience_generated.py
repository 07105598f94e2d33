"""Generated ambience: ocean, rain and noises that sound as named, loop without a seam,
follow their seed and are as loud as speech."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import butter, sosfilt
from scipy.stats import kurtosis

from coreg_audio.audio import ambience_generated
from coreg_audio.audio.ambience import LoopedAmbience, built_in
from coreg_audio.audio.loudness import SPEECH_REFERENCE_LUFS, clip_loudness_lufs
from coreg_audio.format.sounds import BUILT_IN_AMBIENCES
from coreg_audio.units import rfft_frequencies_hz, seconds_to_samples

from .ambience_support import (
    SEED,
    SR,
    assert_seamless,
    built_in_sources,
    integrated_lufs,
    naive_loop,
    rms_db,
    whole_loop,
)


@pytest.fixture(scope="module")
def sources() -> dict[str, LoopedAmbience]:
    """Every built-in, built once for the module."""
    return built_in_sources()


def test_seam_check_catches_a_plain_cut(sources: dict[str, LoopedAmbience]) -> None:
    loop = whole_loop(sources["brown-noise"])
    with pytest.raises(AssertionError):
        assert_seamless(naive_loop(loop[: loop.shape[0] * 2 // 3]))
    time_s = np.arange(seconds_to_samples(3.3)) / SR
    sine = np.repeat(np.sin(2 * np.pi * 220.7 * time_s)[:, None], 2, axis=1).astype(np.float32)
    with pytest.raises(AssertionError):
        assert_seamless(naive_loop(sine))


@pytest.mark.parametrize("name", BUILT_IN_AMBIENCES)
def test_loop_size_and_shape(name: str, sources: dict[str, LoopedAmbience]) -> None:
    loop = whole_loop(sources[name])
    assert loop.dtype == np.float32 and loop.ndim == 2 and loop.shape[1] == 2
    assert 20 * SR <= loop.shape[0] <= 60 * SR
    assert loop.nbytes <= 25 * 2**20
    assert np.all(np.isfinite(loop))
    assert np.max(np.abs(loop)) < 0.9


@pytest.mark.parametrize("name", BUILT_IN_AMBIENCES)
def test_built_ins_are_as_loud_as_speech(name: str, sources: dict[str, LoopedAmbience]) -> None:
    loop = whole_loop(sources[name])
    assert integrated_lufs(loop) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.1)
    independent = pyloudnorm.Meter(SR).integrated_loudness(loop.astype(np.float64))
    assert independent == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)


@pytest.mark.parametrize("name", BUILT_IN_AMBIENCES)
def test_built_ins_are_stereo_with_some_decorrelation(
    name: str, sources: dict[str, LoopedAmbience]
) -> None:
    loop = whole_loop(sources[name]).astype(np.float64)
    correlation = np.corrcoef(loop[:, 0], loop[:, 1])[0, 1]
    assert 0.05 < correlation < 0.9
    assert abs(rms_db(loop[:, 0]) - rms_db(loop[:, 1])) < 1.5


@pytest.mark.parametrize("name", BUILT_IN_AMBIENCES)
def test_built_ins_loop_without_a_seam(name: str, sources: dict[str, LoopedAmbience]) -> None:
    assert_seamless(sources[name])


@pytest.mark.parametrize("name", BUILT_IN_AMBIENCES)
def test_same_seed_same_samples_other_seed_other_samples(
    name: str, sources: dict[str, LoopedAmbience]
) -> None:
    again = built_in(name, SEED).block(12_345, 3 * SR)
    assert np.array_equal(again, sources[name].block(12_345, 3 * SR))
    other = built_in(name, SEED + 1).block(12_345, 3 * SR).astype(np.float64)
    mine = again.astype(np.float64)
    assert abs(np.corrcoef(other[:, 0], mine[:, 0])[0, 1]) < 0.2


def test_each_ambience_has_its_own_noise_for_one_seed(sources: dict[str, LoopedAmbience]) -> None:
    brown = whole_loop(sources["brown-noise"]).astype(np.float64)
    pink = whole_loop(sources["pink-noise"]).astype(np.float64)
    low = butter(4, 300.0, fs=SR, output="sos")
    assert abs(np.corrcoef(sosfilt(low, brown[:, 0]), sosfilt(low, pink[:, 0]))[0, 1]) < 0.2


def octave_slope_db_per_decade(samples: np.ndarray) -> float:
    """Slope of power per hertz against frequency, 100 Hz to 6.4 kHz."""
    power = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    frequency = np.fft.rfftfreq(len(samples), 1.0 / SR)
    centres = 100.0 * 2.0 ** np.arange(7)
    density = [
        np.mean(power[(frequency >= c / math.sqrt(2)) & (frequency < c * math.sqrt(2))])
        for c in centres
    ]
    slope, _ = np.polyfit(np.log10(centres), 10.0 * np.log10(density), 1)
    return float(slope)


def test_pink_and_brown_noise_have_their_colours(sources: dict[str, LoopedAmbience]) -> None:
    pink = whole_loop(sources["pink-noise"])[:, 0]
    brown = whole_loop(sources["brown-noise"])[:, 0]
    assert octave_slope_db_per_decade(pink) == pytest.approx(-10.0, abs=1.0)
    assert octave_slope_db_per_decade(brown) == pytest.approx(-20.0, abs=1.5)


def one_second_profile(loop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loudness (LUFS) and spectral centroid (Hz) of every second, half a second apart."""
    loudness, centroid = [], []
    frequency = np.fft.rfftfreq(SR, 1.0 / SR)
    for start in range(0, loop.shape[0] - SR, SR // 2):
        part = loop[start : start + SR]
        loudness.append(clip_loudness_lufs(part))
        power = np.abs(np.fft.rfft(part[:, 0].astype(np.float64))) ** 2
        centroid.append(float((power * frequency).sum() / power.sum()))
    return np.asarray(loudness), np.asarray(centroid)


def test_ocean_swells_every_six_to_twelve_seconds_and_brightens_with_them(
    sources: dict[str, LoopedAmbience],
) -> None:
    loop = whole_loop(sources["ocean"])
    loudness, centroid = one_second_profile(loop)
    assert loudness.max() - loudness.min() > 5.0
    above = loudness > np.median(loudness) + 1.5
    swells = int(np.count_nonzero(above & ~np.roll(above, 1)))
    loop_s = loop.shape[0] / SR
    assert loop_s / 12.0 - 1 <= swells <= loop_s / 6.0 + 1
    assert np.corrcoef(loudness, centroid)[0, 1] > 0.5


def test_rain_is_steady_with_small_drops(sources: dict[str, LoopedAmbience]) -> None:
    rain = whole_loop(sources["rain"])
    three_seconds = [
        clip_loudness_lufs(rain[s : s + 3 * SR]) for s in range(0, rain.shape[0] - 3 * SR, SR)
    ]
    assert max(three_seconds) - min(three_seconds) < 3.0
    band = butter(4, 1500.0, "highpass", fs=SR, output="sos")
    drops = kurtosis(sosfilt(band, rain[:, 0].astype(np.float64)))
    plain_noise = kurtosis(
        sosfilt(band, whole_loop(sources["pink-noise"])[:, 0].astype(np.float64))
    )
    assert drops > plain_noise + 0.3
    assert 500.0 < np.mean(one_second_profile(rain)[1]) < 4000.0


def test_a_loop_built_a_channel_at_a_time_equals_one_built_whole() -> None:
    """Pink noise made the plain way, both channels' spectra drawn and transformed at
    once, is the same to the last bit, and leaves the generator at the same point."""
    loop_samples = seconds_to_samples(2)
    bins = loop_samples // 2 + 1
    rng = np.random.default_rng(SEED)
    angles = rng.random((2, bins), dtype=np.float32) * np.float32(2.0 * math.pi)
    unit = np.cos(angles) + 1j * np.sin(angles)
    unit = unit.astype(np.complex64)
    correlation = 0.3
    spectra = np.stack([unit[0], correlation * unit[0] + math.sqrt(1 - correlation**2) * unit[1]])
    f = rfft_frequencies_hz(loop_samples).astype(np.float32)
    f = np.maximum(f, f[1])
    amplitude = f**-0.5 * ambience_generated._highpass(f, 20.0)
    amplitude[0] = 0.0
    whole = np.fft.irfft(spectra * amplitude, loop_samples, axis=-1)
    square_sum = sum(float(np.vdot(row, row)) for row in whole)
    whole *= np.float32(1.0 / math.sqrt(square_sum / whole.size))

    built = np.random.default_rng(SEED)
    by_channel = ambience_generated.GENERATORS["pink-noise"](built, loop_samples)
    assert by_channel.shape == (loop_samples, 2) and by_channel.dtype == np.float32
    assert np.array_equal(by_channel, whole.T)
    assert built.random() == rng.random()
