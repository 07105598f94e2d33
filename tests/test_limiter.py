"""The true-peak limiter: peaks under the ceiling as ffmpeg reads them, transparent, streamable."""

from __future__ import annotations

import math
import re
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import maximum_filter1d, minimum_filter1d
from scipy.signal import correlate, resample_poly

from coreg_audio.audio.limiter import (
    DEFAULT_CEILING_DBTP,
    TruePeakLimiter,
    forward_max,
    required_gain,
    true_peak_dbtp,
)
from coreg_audio.audio.loudness import LoudnessMeter, clip_loudness_lufs
from coreg_audio.units import SAMPLE_RATE_HZ, db_to_gain, gain_to_db

FS = SAMPLE_RATE_HZ
CEILING = DEFAULT_CEILING_DBTP
OWN_TOLERANCE_DB = 1e-3
"""Float32 output and gain changes inside the interpolation filter's span; measured <= 1.2e-4 dB."""
FFMPEG_TOLERANCE_DB = 0.05
"""ffmpeg prints true peak to 0.1 dB, so -2.04 still prints as -2.0."""


def ffmpeg_ebur128(source: np.ndarray | Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ``ffmpeg -af ebur128=peak=true`` prints them."""
    if isinstance(source, Path):
        command = ["ffmpeg", "-nostats", "-hide_banner", "-i", str(source)]
        stdin = None
    else:
        command = ["ffmpeg", "-nostats", "-hide_banner", "-f", "f32le", "-ar", str(FS)]
        command += ["-ac", str(source.shape[1]), "-i", "pipe:"]
        stdin = np.ascontiguousarray(source, dtype="<f4").tobytes()
    command += ["-af", "ebur128=peak=true", "-f", "null", "-"]
    result = subprocess.run(command, input=stdin, capture_output=True, check=True)
    summary = result.stderr.decode()
    summary = summary[summary.rindex("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert integrated and peak, summary
    return float(integrated.group(1)), float(peak.group(1))


def write_wav16(samples: np.ndarray, path: Path) -> Path:
    """16-bit PCM stereo WAV, as the render writes."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(samples.shape[1])
        file.setsampwidth(2)
        file.setframerate(FS)
        file.writeframes(pcm.tobytes())
    return path


def espeak_speech(text: str, path: Path, voice: str = "en-us") -> np.ndarray:
    """Real espeak-ng speech, mono float64 at 44.1 kHz."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(path), text], check=True)
    with wave.open(str(path)) as file:
        assert (file.getframerate(), file.getnchannels(), file.getsampwidth()) == (22050, 1, 2)
        pcm = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2")
    return np.asarray(resample_poly(pcm / 32768.0, 2, 1))


def faded(x: np.ndarray, fade_samples: int = 2205) -> np.ndarray:
    """Fades in and out, so a test signal has no step at its edges."""
    n = np.arange(x.shape[0])
    ramp = np.minimum(1.0, np.minimum(n + 1, x.shape[0] - n) / fade_samples)
    faded_x: np.ndarray = x * (ramp if x.ndim == 1 else ramp[:, None])
    return faded_x


def sine(frequency_hz: float, seconds: float, amplitude: float, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * FS)) / FS
    return amplitude * np.sin(2 * np.pi * frequency_hz * t + phase)


def to_lufs(x: np.ndarray, target_lufs: float) -> np.ndarray:
    meter = LoudnessMeter()
    meter.add(x)
    return x * db_to_gain(target_lufs - meter.integrated_lufs())


def limit(
    x: np.ndarray, limiter: TruePeakLimiter | None = None, block_samples: int = 5 * FS
) -> tuple[np.ndarray, np.ndarray]:
    """The whole output and applied gain for ``x`` fed in blocks of ``block_samples``."""
    limiter = limiter or TruePeakLimiter()
    outs, gains = [], []
    for start in range(0, x.shape[0], block_samples):
        out, gain = limiter.process_with_gain(x[start : start + block_samples])
        outs.append(out)
        gains.append(gain)
    out, gain = limiter.flush_with_gain()
    return np.concatenate([*outs, out]), np.concatenate([*gains, gain])


@pytest.fixture(scope="module")
def speech_and_tones(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """About 25 s of espeak-ng speech, breath-tone glides and a bell, at -16 LUFS, float32 stereo.

    Like a rendered practice: every part at -23 LUFS times its level, then the
    whole brought to -16 LUFS, which puts speech peaks well over the ceiling.
    """
    folder = tmp_path_factory.mktemp("speech")
    lines = [
        ("Breathe in slowly through your nose.", "en-us"),
        ("Hold it gently, and soften your shoulders.", "en-gb"),
        ("Now let the breath go, all the way out.", "en-us"),
    ]
    mix = np.zeros((30 * FS, 2))
    at = FS // 2
    for number, (text, voice) in enumerate(lines):
        spoken = espeak_speech(text, folder / f"{number}.wav", voice)
        spoken *= db_to_gain(-23.0 - clip_loudness_lufs(spoken))
        mix[at : at + spoken.size] += np.outer(spoken, [1.0, 0.8])
        at += spoken.size + FS // 4
        t = np.arange(3 * FS) / FS
        glide = faded(np.sin(2 * np.pi * (220 * t + 55 * t * t / 3)), FS // 4)
        glide *= db_to_gain(-23.0 - 12.0 - clip_loudness_lufs(glide))
        mix[at : at + glide.size] += glide[:, None]
        at += glide.size + FS // 4
    t = np.arange(3 * FS) / FS
    bell = sum(
        amplitude * np.sin(2 * np.pi * 523.25 * ratio * t) * np.exp(-t / decay_s)
        for ratio, amplitude, decay_s in [(1.0, 1.0, 1.2), (2.76, 0.6, 0.6), (5.4, 0.4, 0.3)]
    )
    bell = faded(np.asarray(bell), 20)
    mix[at : at + bell.size] += (bell * db_to_gain(-23.0 - clip_loudness_lufs(bell)))[:, None]
    return to_lufs(mix[: at + bell.size + FS // 2], -16.0).astype(np.float32)


# forward_max


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=0, max_size=300),
    st.integers(1, 320),
)
def test_forward_max_matches_scipys_filter(values: list[float], width: int) -> None:
    array = np.array(values, dtype=np.float64)
    whole = max(array.shape[0] - width + 1, 0)
    expected = maximum_filter1d(array, width, origin=-(width // 2))[:whole] if whole else array[:0]
    assert np.array_equal(forward_max(array, width), expected)


def test_forward_max_refuses_an_empty_window() -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        forward_max(np.ones(4), 0)


# true_peak_dbtp


@pytest.mark.parametrize(
    ("frequency_hz", "phase"),
    [(100, 0.0), (1000, 0.3), (5000, 1.0), (FS / 4, math.pi / 4), (15000, 0.2)],
)
def test_true_peak_reads_a_sines_amplitude(frequency_hz: float, phase: float) -> None:
    tone = faded(sine(frequency_hz, 1.0, 0.5, phase))
    assert true_peak_dbtp(np.stack([tone, tone], axis=1)) == pytest.approx(-6.02, abs=0.01)
    assert true_peak_dbtp(tone) == pytest.approx(-6.02, abs=0.01)


def test_true_peak_finds_the_peak_between_samples() -> None:
    """A sine at fs/4 and 45 degrees is sampled at +-0.707 of its peak: 3 dB under it."""
    tone = faded(sine(FS / 4, 1.0, 0.5, math.pi / 4))
    sample_peak_db = gain_to_db(float(np.max(np.abs(tone))))
    assert sample_peak_db == pytest.approx(-6.02 - 3.01, abs=0.01)
    assert true_peak_dbtp(tone) - sample_peak_db == pytest.approx(3.01, abs=0.01)


def test_true_peak_of_silence_and_of_nothing() -> None:
    assert true_peak_dbtp(np.zeros((1000, 2))) == -math.inf
    assert true_peak_dbtp(np.zeros((0, 2))) == -math.inf
    assert true_peak_dbtp(np.zeros(0)) == -math.inf


def test_true_peak_agrees_with_ffmpeg(speech_and_tones: np.ndarray) -> None:
    _, ffmpeg_peak = ffmpeg_ebur128(speech_and_tones)
    assert abs(true_peak_dbtp(speech_and_tones) - ffmpeg_peak) <= FFMPEG_TOLERANCE_DB + 0.02


def test_required_gain_brings_each_peak_to_the_ceiling() -> None:
    x = np.zeros((1000, 2), dtype=np.float32)
    x[500, 0] = 1.0
    x[700, 1] = 0.5
    gain = required_gain(x, -6.0)
    assert gain[500] == pytest.approx(db_to_gain(-6.0), rel=1e-6)
    assert gain[700] == 1.0
    assert np.all(gain <= 1.0)
    assert gain.shape == (1000,)


# Limiting


def test_brings_speech_peaks_under_the_ceiling(
    speech_and_tones: np.ndarray, tmp_path: Path
) -> None:
    assert true_peak_dbtp(speech_and_tones) > CEILING + 3.0
    out, _ = limit(speech_and_tones)
    assert true_peak_dbtp(out) <= CEILING + OWN_TOLERANCE_DB
    assert true_peak_dbtp(out) >= CEILING - 0.05
    _, ffmpeg_peak = ffmpeg_ebur128(write_wav16(out, tmp_path / "limited.wav"))
    assert ffmpeg_peak <= CEILING + FFMPEG_TOLERANCE_DB


def test_brings_an_inter_sample_peak_under_the_ceiling(tmp_path: Path) -> None:
    """Samples 1 dB under the ceiling, the waveform between them 2 dB over it."""
    amplitude = db_to_gain(CEILING + 2.0)
    tone = faded(sine(FS / 4, 3.0, amplitude, math.pi / 4))
    x = np.stack([tone, tone], axis=1).astype(np.float32)
    assert gain_to_db(float(np.max(np.abs(x)))) < CEILING - 0.9
    out, _ = limit(x)
    assert gain_to_db(float(np.max(np.abs(out)))) < CEILING - 2.9
    assert CEILING - 0.05 <= true_peak_dbtp(out) <= CEILING + OWN_TOLERANCE_DB
    _, ffmpeg_peak = ffmpeg_ebur128(write_wav16(out, tmp_path / "limited.wav"))
    assert ffmpeg_peak <= CEILING + FFMPEG_TOLERANCE_DB


@pytest.mark.parametrize("ceiling_dbtp", [-0.5, -1.0, -6.0])
def test_holds_any_ceiling(ceiling_dbtp: float) -> None:
    rng = np.random.default_rng(11)
    x = (0.7 * rng.standard_normal((3 * FS, 2))).astype(np.float32)
    out, _ = limit(x, TruePeakLimiter(ceiling_dbtp=ceiling_dbtp))
    assert true_peak_dbtp(out) <= ceiling_dbtp + OWN_TOLERANCE_DB


def test_under_the_ceiling_passes_bit_for_bit(speech_and_tones: np.ndarray) -> None:
    quiet = (speech_and_tones * db_to_gain(-7.0)).astype(np.float32)
    assert true_peak_dbtp(quiet) < CEILING - 0.5
    out, gain = limit(quiet, block_samples=12345)
    assert np.array_equal(out, quiet)
    assert np.all(gain == 1.0)


def test_output_has_the_inputs_length_and_timing(speech_and_tones: np.ndarray) -> None:
    x = speech_and_tones
    limiter = TruePeakLimiter()
    outs, at = [], 0
    for size in [0, 1, 1, 100, 16383, 2, 0, 50000, 7, 123456]:
        outs.append(limiter.process(x[at : at + size]))
        at += size
    outs.append(limiter.process(x[at:]))
    outs.append(limiter.flush())
    out = np.concatenate(outs)
    assert out.shape == x.shape
    assert out.dtype == np.float32
    envelope_in = np.abs(x).max(axis=1)
    envelope_out = np.abs(out).max(axis=1)
    lags = np.arange(-2000, 2001)
    scores = correlate(envelope_out, envelope_in, mode="full", method="fft")
    middle = x.shape[0] - 1
    assert lags[np.argmax(scores[middle - 2000 : middle + 2001])] == 0
    # Where the gain is 1, each output sample is the input sample at the same index.
    _, gain = limit(x)
    untouched = gain == 1.0
    assert untouched.mean() > 0.5
    assert np.array_equal(out[untouched], x[untouched])


@st.composite
def signals_and_cuts(draw: st.DrawFn) -> tuple[np.ndarray, list[int]]:
    """Noise bursts at random levels (some far over the ceiling) between silences."""
    seed = draw(st.integers(0, 2**32 - 1))
    length = draw(st.integers(0, 60000))
    rng = np.random.default_rng(seed)
    x = np.zeros((length, 2))
    for _ in range(int(rng.integers(0, 5))):
        start = int(rng.integers(0, max(1, length)))
        stop = min(length, start + int(rng.integers(1, 20000)))
        x[start:stop] = rng.standard_normal((stop - start, 2)) * 10 ** rng.uniform(-1.5, 0.7)
    cuts = draw(st.lists(st.integers(0, length), max_size=12))
    return x.astype(np.float32), sorted(cuts)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(signals_and_cuts(), st.sampled_from([(5.0, 100.0), (1.0, 20.0), (0.1, 1.0)]))
def test_output_does_not_depend_on_how_the_input_is_cut(
    signal_and_cuts: tuple[np.ndarray, list[int]], timing_ms: tuple[float, float]
) -> None:
    x, cuts = signal_and_cuts
    lookahead_ms, release_ms = timing_ms

    def fresh() -> TruePeakLimiter:
        return TruePeakLimiter(lookahead_ms=lookahead_ms, release_ms=release_ms)

    whole, whole_gain = limit(x, fresh(), block_samples=max(1, x.shape[0]))
    limiter = fresh()
    pieces = [limiter.process_with_gain(piece) for piece in np.split(x, cuts)]
    pieces.append(limiter.flush_with_gain())
    assert np.array_equal(np.concatenate([p[0] for p in pieces]), whole)
    assert np.array_equal(np.concatenate([p[1] for p in pieces]), whole_gain)
    assert whole.shape == x.shape
    assert true_peak_dbtp(whole) <= CEILING + 0.05


@pytest.mark.parametrize(
    "cuts",
    [[1], [16383, 16384, 16385], [1000, 20000, 20001, 33000, 49151], list(range(0, 60000, 4999))],
)
def test_cuts_inside_heavy_limiting_change_nothing(cuts: list[int]) -> None:
    rng = np.random.default_rng(1)
    x = (0.8 * rng.standard_normal((60000, 2))).astype(np.float32)
    whole, whole_gain = limit(x, block_samples=x.shape[0])
    limiter = TruePeakLimiter()
    pieces = [limiter.process_with_gain(piece) for piece in np.split(x, cuts)]
    pieces.append(limiter.flush_with_gain())
    assert np.array_equal(np.concatenate([p[1] for p in pieces]), whole_gain)
    assert np.array_equal(np.concatenate([p[0] for p in pieces]), whole)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(signals_and_cuts(), st.sampled_from([(5.0, 100.0), (1.0, 20.0), (0.1, 1.0)]))
def test_applied_gain_never_exceeds_the_required_gain(
    signal_and_cuts: tuple[np.ndarray, list[int]], timing_ms: tuple[float, float]
) -> None:
    """At every sample, and at its neighbours the interpolation filter reaches.

    Exactly: ``required_gain`` and the limiter share their arithmetic, and the
    limiter clamps away the rounding of its smoothing.
    """
    x, _ = signal_and_cuts
    limiter = TruePeakLimiter(lookahead_ms=timing_ms[0], release_ms=timing_ms[1])
    _, gain = limit(x, limiter)
    hold = limiter.hold_samples
    needed_nearby = minimum_filter1d(required_gain(x, CEILING), 2 * hold + 1, mode="nearest")
    assert np.all(gain <= needed_nearby)


def test_the_same_input_gives_the_same_output(speech_and_tones: np.ndarray) -> None:
    assert np.array_equal(limit(speech_and_tones)[0], limit(speech_and_tones)[0])


def test_gain_moves_smoothly_around_a_loud_burst() -> None:
    """No clicks: gain falls over the look-ahead before the burst and recovers over the release."""
    rng = np.random.default_rng(5)
    x = np.zeros((round(3.5 * FS), 2))
    onset, end = FS // 2, FS
    x[onset:end] = rng.standard_normal((end - onset, 2)) * db_to_gain(CEILING + 3.0)
    x = x.astype(np.float32)
    limiter = TruePeakLimiter()
    _, gain = limit(x, limiter)
    required = required_gain(x, CEILING)
    largest_excess = 1.0 / float(required.min()) - 1.0
    assert largest_excess > 2.0  # peaks 10 dB or more over the ceiling
    assert np.max(np.abs(np.diff(gain))) <= largest_excess / limiter.lookahead_samples + 1e-9
    first_over = int(np.flatnonzero(required < 1.0)[0])
    ramp_start = int(np.flatnonzero(gain < 1.0)[0])
    assert first_over - ramp_start == limiter.lookahead_samples - 1 + limiter.hold_samples
    assert gain[first_over] <= required[first_over]
    last_over = int(np.flatnonzero(required < 1.0)[-1])
    release = round(0.1 * FS)
    excess = 1.0 / gain - 1.0
    after = last_over + limiter.hold_samples + limiter.lookahead_samples
    assert excess[after + release] == pytest.approx(excess[after] / math.e, rel=1e-6)
    assert np.all(np.diff(gain[after:]) >= 0.0)
    back_to_one = after + round(1.7 * FS)
    assert back_to_one < gain.size
    assert np.all(gain[back_to_one:] == 1.0)


@pytest.mark.parametrize("loud_channel", [0, 1])
def test_both_channels_get_the_same_gain(loud_channel: int) -> None:
    """The loud channel sets the gain; the quiet one follows, so the image does not move."""
    rng = np.random.default_rng(8)
    x = np.zeros((2 * FS, 2))
    x[:, loud_channel] = rng.standard_normal(2 * FS) * db_to_gain(CEILING + 6.0)
    x[:, 1 - loud_channel] = faded(sine(300, 2.0, 0.1))
    x = x.astype(np.float32)
    out, gain = limit(x)
    assert gain.min() < 0.6
    assert true_peak_dbtp(out) <= CEILING + OWN_TOLERANCE_DB
    for channel in (0, 1):
        expected = (x[:, channel].astype(np.float64) * gain).astype(np.float32)
        assert np.array_equal(out[:, channel], expected)


def test_the_caller_may_reuse_its_block_buffer(speech_and_tones: np.ndarray) -> None:
    x = speech_and_tones[: 3 * FS]
    limiter = TruePeakLimiter()
    buffer = np.empty((1000, 2), dtype=np.float32)
    outs = []
    for start in range(0, x.shape[0], 1000):
        piece = x[start : start + 1000]
        buffer[: piece.shape[0]] = piece
        outs.append(limiter.process(buffer[: piece.shape[0]]))
        buffer[:] = 9.0
    outs.append(limiter.flush())
    assert np.array_equal(np.concatenate(outs), limit(x)[0])


def test_mono_blocks() -> None:
    tone = faded(sine(FS / 4, 1.0, 1.0, math.pi / 4)).astype(np.float32)
    limiter = TruePeakLimiter(channels=1)
    out = np.concatenate([limiter.process(tone), limiter.flush()])
    assert out.shape == (tone.size, 1)
    assert true_peak_dbtp(out) <= CEILING + OWN_TOLERANCE_DB


def test_flush_ends_one_stream_and_readies_the_next(speech_and_tones: np.ndarray) -> None:
    limiter = TruePeakLimiter()
    empty = limiter.flush()
    assert empty.shape == (0, 2)
    assert empty.dtype == np.float32
    first, _ = limit(speech_and_tones[: 3 * FS], limiter)
    second, _ = limit(speech_and_tones, limiter)
    assert first.shape == (3 * FS, 2)
    assert np.array_equal(second, limit(speech_and_tones)[0])


def test_rejects_blocks_of_the_wrong_shape() -> None:
    limiter = TruePeakLimiter()
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        limiter.process(np.zeros((10, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        limiter.process(np.zeros(10, dtype=np.float32))


@pytest.mark.parametrize(
    "arguments",
    [{"ceiling_dbtp": 0.5}, {"lookahead_ms": 0.0}, {"release_ms": 0.1}, {"channels": 0}],
)
def test_rejects_impossible_settings(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TruePeakLimiter(**arguments)


# The whole chain, as a player hears it


def test_mp3_of_a_limited_track_meets_the_loudness_spec(
    speech_and_tones: np.ndarray, tmp_path: Path
) -> None:
    """-16 LUFS +-1 LU and at most -1.0 dBTP, measured by ffmpeg on the 128 kbps MP3.

    Limiting takes loudness off the peaks, so the gain is corrected once from
    the limited track's loudness and the track limited again, as the render
    has to.
    """
    x = speech_and_tones.astype(np.float64)
    assert true_peak_dbtp(x) > CEILING + 3.0
    limited, _ = limit(x.astype(np.float32))
    meter = LoudnessMeter()
    meter.add(limited)
    correction_db = -16.0 - meter.integrated_lufs()
    assert 0.0 < correction_db < 3.0
    limited, _ = limit((x * db_to_gain(correction_db)).astype(np.float32))
    mp3 = tmp_path / "track.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "f32le", "-ar", "44100", "-ac", "2", "-i", "pipe:",
         "-c:a", "libmp3lame", "-b:a", "128k", str(mp3)],
        input=np.ascontiguousarray(limited, dtype="<f4").tobytes(), check=True,
    )  # fmt: skip
    integrated, peak = ffmpeg_ebur128(mp3)
    assert -17.0 <= integrated <= -15.0
    assert peak <= -1.0


def test_true_peak_read_in_pieces_equals_the_signal_read_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A peak between two samples at a piece's border is found as when read whole."""
    from coreg_audio.audio import limiter

    border = limiter._PIECE_SAMPLES
    x = np.zeros(3 * border + 77, dtype=np.float32)
    x[border - 1 : border + 1] = [0.9, -0.9]
    x[-1] = 0.5
    in_pieces = true_peak_dbtp(x)
    monkeypatch.setattr(limiter, "_PIECE_SAMPLES", 10 * border)
    assert in_pieces == true_peak_dbtp(x)
    assert in_pieces > 20 * math.log10(0.9)
