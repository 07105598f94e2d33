"""Ambience: random access, seamless loops, calibration, character, and files decoded by ffmpeg."""

from __future__ import annotations

import itertools
import math
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import butter, sosfilt
from scipy.stats import kurtosis

from coreg_audio.audio import ambience
from coreg_audio.audio.ambience import LoopedAmbience, built_in, from_file
from coreg_audio.audio.loudness import SPEECH_REFERENCE_LUFS, LoudnessMeter, clip_loudness_lufs
from coreg_audio.errors import MissingComponent, UsageError
from coreg_audio.format.sounds import BUILT_IN_AMBIENCES
from coreg_audio.units import SAMPLE_RATE_HZ, ms_to_samples, seconds_to_samples

SR = SAMPLE_RATE_HZ
SEED = 11


@pytest.fixture(scope="module")
def sources() -> dict[str, LoopedAmbience]:
    """Every built-in, built once for the module."""
    made = {name: built_in(name, SEED) for name in BUILT_IN_AMBIENCES}
    for source in made.values():
        source.prepare()
    return made


def whole_loop(source: LoopedAmbience) -> np.ndarray:
    return source.block(0, source.loop_samples)


def integrated_lufs(samples: np.ndarray) -> float:
    meter = LoudnessMeter()
    meter.add(samples)
    return meter.integrated_lufs()


def rms_db(samples: np.ndarray) -> float:
    return 10.0 * math.log10(float(np.mean(np.square(samples, dtype=np.float64))) + 1e-30)


def dominant_hz(samples: np.ndarray) -> float:
    windowed = samples.astype(np.float64) * np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(windowed))
    return float(np.argmax(spectrum) * SR / len(samples))


def energy_outside_db(samples: np.ndarray, centre_hz: float, half_width_hz: float) -> float:
    """Energy away from one tone, relative to all of it: how cleanly a tone came through."""
    windowed = samples.astype(np.float64) * np.hanning(len(samples))
    power = np.abs(np.fft.rfft(windowed)) ** 2
    frequency = np.fft.rfftfreq(len(samples), 1.0 / SR)
    outside = power[np.abs(frequency - centre_hz) > half_width_hz].sum()
    return float(10.0 * math.log10(outside / power.sum() + 1e-30))


# --- seams -----------------------------------------------------------------------------------

_HIGH = butter(8, 10_000.0, "highpass", fs=SR, output="sos")
_THIRD_OCTAVES_HZ = 50.0 * 2.0 ** (np.arange(0, 25) / 3.0)


def _band_levels_db(samples: np.ndarray) -> np.ndarray:
    power = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    frequency = np.fft.rfftfreq(len(samples), 1.0 / SR)
    edges = np.append(_THIRD_OCTAVES_HZ, _THIRD_OCTAVES_HZ[-1] * 2 ** (1 / 3))
    bands = [
        power[(frequency >= lo) & (frequency < hi)].sum() for lo, hi in itertools.pairwise(edges)
    ]
    return 10.0 * np.log10(np.asarray(bands) + 1e-30)


def seam_metrics(source: LoopedAmbience, boundary_sample: int) -> np.ndarray:
    """How much the sound changes at one point: a click, a level step, a change of spectrum.

    Each is measured from one side of ``boundary_sample`` to the other, on the
    left channel then the right.
    """
    half = seconds_to_samples(0.25)
    block = source.block(boundary_sample - half, 2 * half).astype(np.float64)
    metrics = []
    for channel in block.T:
        high = sosfilt(_HIGH, channel)
        near = np.max(np.abs(high[half - ms_to_samples(1) : half + ms_to_samples(1)]))
        click = near / (np.sqrt(np.mean(high[: half - 500] ** 2)) + 1e-12)
        step_window = ms_to_samples(50)
        level_step = abs(
            rms_db(channel[half - step_window : half]) - rms_db(channel[half : half + step_window])
        )
        spectral = float(
            np.mean(np.abs(_band_levels_db(channel[:half]) - _band_levels_db(channel[half:])))
        )
        metrics.extend([click, level_step, spectral])
    return np.asarray(metrics)


def assert_seamless(source: LoopedAmbience) -> None:
    """The wrap changes the sound no more than ordinary moments inside the loop do."""
    rng = np.random.default_rng(5)
    loop_samples = source.loop_samples
    margin = seconds_to_samples(0.3)
    inside = np.max(
        [seam_metrics(source, int(p)) for p in rng.integers(margin, loop_samples - margin, 40)],
        axis=0,
    )
    at_wrap = seam_metrics(source, loop_samples)
    assert np.all(at_wrap <= 1.5 * inside + 0.05), (at_wrap, inside)


def naive_loop(samples: np.ndarray) -> LoopedAmbience:
    return LoopedAmbience("naive", lambda: samples)


def test_seam_check_catches_a_plain_cut(sources: dict[str, LoopedAmbience]) -> None:
    loop = whole_loop(sources["brown-noise"])
    with pytest.raises(AssertionError):
        assert_seamless(naive_loop(loop[: loop.shape[0] * 2 // 3]))
    time_s = np.arange(seconds_to_samples(3.3)) / SR
    sine = np.repeat(np.sin(2 * np.pi * 220.7 * time_s)[:, None], 2, axis=1).astype(np.float32)
    with pytest.raises(AssertionError):
        assert_seamless(naive_loop(sine))


# --- built-ins -------------------------------------------------------------------------------


def test_the_built_in_names() -> None:
    assert BUILT_IN_AMBIENCES == ("ocean", "rain", "brown-noise", "pink-noise")


def test_an_unknown_name_is_a_usage_error_with_a_suggestion() -> None:
    with pytest.raises(UsageError) as caught:
        built_in("ocaen", 1)
    message = str(caught.value)
    assert "ocaen" in message and "did you mean 'ocean'" in message
    assert "\n" not in message
    assert caught.value.exit_code == 2


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


# --- random access ---------------------------------------------------------------------------


def test_a_block_across_the_wrap_joins_the_end_to_the_start(
    sources: dict[str, LoopedAmbience],
) -> None:
    source = sources["rain"]
    loop = whole_loop(source)
    block = source.block(source.loop_samples - 1000, 3000)
    assert np.array_equal(block, np.concatenate([loop[-1000:], loop[:2000]]))


def test_a_block_longer_than_the_loop_repeats_it() -> None:
    loop = np.random.default_rng(1).standard_normal((977, 2)).astype(np.float32)
    source = naive_loop(loop)
    assert np.array_equal(source.block(500, 5000), np.tile(loop, (7, 1))[500:5500])
    assert source.block(10, 0).shape == (0, 2)


@settings(max_examples=200, deadline=None)
@given(
    first=st.integers(min_value=-5000, max_value=5000),
    first_length=st.integers(min_value=0, max_value=3000),
    offset=st.integers(min_value=0, max_value=3000),
    second_length=st.integers(min_value=0, max_value=3000),
    first_asked_first=st.booleans(),
)
def test_overlapping_blocks_agree_whatever_the_order(
    first: int, first_length: int, offset: int, second_length: int, first_asked_first: bool
) -> None:
    loop = np.random.default_rng(2).standard_normal((1009, 2)).astype(np.float32)
    source = naive_loop(loop)
    second = first + min(offset, first_length)
    if first_asked_first:
        a, b = source.block(first, first_length), source.block(second, second_length)
    else:
        b, a = source.block(second, second_length), source.block(first, first_length)
    overlap = min(first + first_length, second + second_length) - second
    if overlap > 0:
        assert np.array_equal(a[second - first : second - first + overlap], b[:overlap])
    positions = (first + np.arange(first_length)) % loop.shape[0]
    assert np.array_equal(a, loop[positions])


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(min_value=-10 * SR, max_value=200 * SR),
    length=st.integers(min_value=1, max_value=5 * SR),
    inner=st.integers(min_value=0, max_value=5 * SR),
)
def test_a_real_ambience_is_a_pure_function_of_position(
    sources: dict[str, LoopedAmbience], start: int, length: int, inner: int
) -> None:
    source = sources["ocean"]
    inner = min(inner, length - 1)
    part = source.block(start + inner, length - inner)
    whole = source.block(start, length)
    assert np.array_equal(whole[inner:], part)


def test_blocks_are_fresh_arrays(sources: dict[str, LoopedAmbience]) -> None:
    source = sources["pink-noise"]
    block = source.block(0, 1000)
    expected = block.copy()
    block *= 0.0
    assert np.array_equal(source.block(0, 1000), expected)


def test_nothing_is_built_until_used_and_then_only_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = ambience._GENERATORS["pink-noise"]

    def counting(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
        calls.append(loop_samples)
        return real(rng, loop_samples)

    monkeypatch.setitem(ambience._GENERATORS, "pink-noise", counting)
    source = built_in("pink-noise", 3)
    assert calls == []
    threads = [threading.Thread(target=source.block, args=(i * SR, SR)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    source.block(0, 10)
    assert len(calls) == 1


def test_a_negative_length_is_a_programming_error(sources: dict[str, LoopedAmbience]) -> None:
    with pytest.raises(ValueError):
        sources["rain"].block(0, -1)


# --- from a file -----------------------------------------------------------------------------


def ffmpeg(path: Path, *arguments: str) -> Path:
    """Make a test file with the real ffmpeg (a missing ffmpeg fails the test)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", *arguments, str(path)], check=True)
    return path


def sine_file(path: Path, *codec: str, seconds: float = 3.0, rate: int = 22050) -> Path:
    """A mono 440 Hz tone at 0.8 of full scale, so even 8-bit samples carry it cleanly."""
    source = f"aevalsrc=0.8*sin(2*PI*440*t):s={rate}:d={seconds}"
    return ffmpeg(path, "-f", "lavfi", "-i", source, *codec)


FORMATS: dict[str, tuple[str, list[str]]] = {
    "mp3": ("tone.mp3", []),
    "ogg": ("tone.ogg", ["-c:a", "libvorbis"]),
    "flac": ("tone.flac", []),
    "wav-16": ("tone.wav", []),
    "wav-float": ("tone.wav", ["-c:a", "pcm_f32le"]),
    "wav-8": ("tone.wav", ["-c:a", "pcm_u8"]),
    "wav-24": ("tone.wav", ["-c:a", "pcm_s24le"]),
}


@pytest.mark.parametrize("kind", FORMATS)
def test_a_22k_mono_file_becomes_a_clean_44k_stereo_loop(kind: str, tmp_path: Path) -> None:
    name, codec = FORMATS[kind]
    source = from_file(sine_file(tmp_path / name, *codec))
    loop = whole_loop(source)
    assert loop.dtype == np.float32 and loop.shape[1] == 2
    assert np.array_equal(loop[:, 0], loop[:, 1])
    crossfade_s = 3.0 / 4
    assert loop.shape[0] / SR == pytest.approx(3.0 - crossfade_s, abs=0.03)
    assert dominant_hz(loop[:, 0]) == pytest.approx(440.0, abs=1.0)
    assert energy_outside_db(loop[:, 0], 440.0, 30.0) < -35.0
    assert integrated_lufs(loop) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)


@pytest.mark.parametrize("quarter", [0, 1, 2, 3])
def test_a_tonal_file_loops_without_a_dip_or_click(quarter: int, tmp_path: Path) -> None:
    """Four hums a quarter cycle apart over the file: one of them meets its head out of phase
    wherever the loop ends, and would cancel there under a plain crossfade."""
    frequency_hz = 220.0 + quarter * 0.25 / 3.7
    path = ffmpeg(tmp_path / "hum.flac", "-f", "lavfi", "-i", f"sine={frequency_hz}:duration=5")
    source = from_file(path)
    assert_seamless(source)
    around = source.block(-SR, source.loop_samples + 2 * SR)[:, 0].astype(np.float64)
    window = ms_to_samples(20)
    levels = [rms_db(around[i : i + window]) for i in range(0, len(around) - window, window)]
    assert max(levels) - min(levels) < 1.0


def test_a_noisy_file_loops_without_a_seam(tmp_path: Path) -> None:
    path = ffmpeg(
        tmp_path / "wind.ogg",
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=color=pink:duration=8:seed=3",
        "-c:a",
        "libvorbis",
    )
    assert_seamless(from_file(path))


def test_a_file_whose_end_differs_from_its_start_still_joins_smoothly(tmp_path: Path) -> None:
    expression = "aevalsrc=if(lt(t\\,3)\\,0.3*sin(2*PI*300*t)\\,0.05*sin(2*PI*700*t)):s=44100:d=6"
    source = from_file(ffmpeg(tmp_path / "change.wav", "-f", "lavfi", "-i", expression))
    assert source.loop_samples == pytest.approx(4.5 * SR, abs=ms_to_samples(26))
    assert_seamless(source)


def test_stereo_files_keep_their_sides_and_surround_files_their_front_pair(tmp_path: Path) -> None:
    inputs = []
    for frequency in (300, 500, 700, 700, 700, 700):
        inputs += ["-f", "lavfi", "-i", f"sine=frequency={frequency}:duration=2"]
    stereo = ffmpeg(tmp_path / "two.wav", *inputs[:8], "-filter_complex", "amerge=inputs=2")
    surround = ffmpeg(tmp_path / "six.wav", *inputs, "-filter_complex", "amerge=inputs=6")
    for path in (stereo, surround):
        loop = whole_loop(from_file(path))
        assert dominant_hz(loop[:, 0]) == pytest.approx(300.0, abs=1.0)
        assert dominant_hz(loop[:, 1]) == pytest.approx(500.0, abs=1.0)
        assert energy_outside_db(loop[:, 1], 500.0, 30.0) < -40.0


@pytest.mark.slow
def test_only_the_first_two_minutes_are_used(tmp_path: Path) -> None:
    expression = "aevalsrc=if(lt(t\\,120)\\,sin(2*PI*300*t)\\,sin(2*PI*1000*t)):s=8000:d=130"
    source = from_file(ffmpeg(tmp_path / "long.wav", "-f", "lavfi", "-i", expression))
    loop = whole_loop(source)
    assert loop.shape[0] / SR == pytest.approx(120.0 - 2.0, abs=0.03)
    assert energy_outside_db(loop[:, 0], 300.0, 30.0) < -40.0


def test_a_short_file_gets_a_short_crossfade(tmp_path: Path) -> None:
    source = from_file(sine_file(tmp_path / "blip.wav", seconds=0.6, rate=44100))
    assert source.loop_samples == pytest.approx(seconds_to_samples(0.45), abs=ms_to_samples(26))


def assert_usage_error(path: Path, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        from_file(path)
    message = str(caught.value)
    assert str(path) in message and words in message, message
    assert "\n" not in message


def test_a_missing_file(tmp_path: Path) -> None:
    assert_usage_error(tmp_path / "nowhere.mp3", "not found")


def test_a_folder(tmp_path: Path) -> None:
    assert_usage_error(tmp_path, "folder")


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    assert_usage_error(path, "empty")


@pytest.mark.parametrize("name", ["garbage.mp3", "garbage.wav", "notes.ogg"])
def test_garbage_is_not_audio(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(4).bytes(5000) if "garbage" in name else b"hello\n")
    assert_usage_error(path, "cannot decode")


def test_a_file_without_sound_in_it(tmp_path: Path) -> None:
    picture = ffmpeg(
        tmp_path / "picture.png", "-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "1"
    )
    assert_usage_error(picture, "no audio")


def test_a_too_short_file(tmp_path: Path) -> None:
    assert_usage_error(sine_file(tmp_path / "tick.mp3", seconds=0.3), "too short")


def test_a_silent_file(tmp_path: Path) -> None:
    path = ffmpeg(
        tmp_path / "quiet.flac", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "2"
    )
    assert_usage_error(path, "silent")


def test_without_ffmpeg_the_user_is_told_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sine_file(tmp_path / "tone.mp3")
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("COREG_AUDIO_CACHE_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(MissingComponent) as caught:
        from_file(path)
    assert "sudo apt-get install ffmpeg" in str(caught.value)
    assert caught.value.exit_code == 3


def test_a_decoded_file_is_cached_by_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second use of a file needs no decoding (no ffmpeg at all), a changed file does."""
    monkeypatch.setenv("COREG_AUDIO_CACHE_DIR", str(tmp_path / "cache"))
    path = sine_file(tmp_path / "tone.mp3")
    first = from_file(path).block(0, SR)
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    np.testing.assert_array_equal(from_file(path).block(0, SR), first)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(MissingComponent):
        from_file(path)


def test_built_in_loops_are_cached_and_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COREG_AUDIO_CACHE_DIR", str(tmp_path / "cache"))
    made = built_in("rain", 3).block(0, SR)
    again = built_in("rain", 3)
    np.testing.assert_array_equal(again.block(0, SR), made)
    loop = again._get_loop()
    assert not loop.flags.owndata and isinstance(loop.base, np.memmap), "mapped from the cache"
    assert len(list((tmp_path / "cache" / "ambience").rglob("*.npy"))) == 1


def test_a_file_ambience_is_random_access_too(tmp_path: Path) -> None:
    source = from_file(sine_file(tmp_path / "tone.ogg", "-c:a", "libvorbis"))
    make: Callable[[int, int], np.ndarray] = source.block
    assert np.array_equal(make(-500, 4 * SR)[700:], make(200, 4 * SR - 700))
