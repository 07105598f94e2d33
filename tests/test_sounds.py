"""The synthesized sounds, judged by what can be measured in them: pitch, level, spectrum, edges."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyloudnorm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import butter, hilbert, sosfilt, sosfiltfilt

from coreg_audio.audio import sounds
from coreg_audio.audio.loudness import SPEECH_REFERENCE_LUFS, clip_loudness_lufs
from coreg_audio.units import SAMPLE_RATE_HZ, ms_to_samples, seconds_to_samples

SR = SAMPLE_RATE_HZ
CENTRE_HZ = 196.0
SEMITONE = 2.0 ** (1.0 / 12.0)


def dominant_hz(samples: np.ndarray) -> float:
    """The strongest frequency, to a fraction of a hertz (Hann window, padding, parabola)."""
    windowed = np.asarray(samples, dtype=np.float64) * np.hanning(len(samples))
    size = 1 << 20
    spectrum = np.abs(np.fft.rfft(windowed, size))
    peak = int(np.argmax(spectrum[1:-1])) + 1
    left, centre, right = np.log(spectrum[peak - 1 : peak + 2] + 1e-30)
    shift = 0.5 * (left - right) / (left - 2.0 * centre + right)
    return float((peak + shift) * SR / size)


def semitones(ratio: float) -> float:
    return 12.0 * math.log2(ratio)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def band_fraction_db(samples: np.ndarray, low_hz: float, high_hz: float = SR / 2) -> float:
    """Share of the sound's energy between two frequencies, in dB."""
    power = np.abs(np.fft.rfft(np.asarray(samples, dtype=np.float64))) ** 2
    frequency = np.fft.rfftfreq(len(samples), 1.0 / SR)
    inside = power[(frequency >= low_hz) & (frequency < high_hz)].sum()
    return float(10.0 * math.log10(max(inside, 1e-300) / power.sum()))


def centroid_hz(samples: np.ndarray) -> float:
    power = np.abs(np.fft.rfft(np.asarray(samples, dtype=np.float64))) ** 2
    frequency = np.fft.rfftfreq(len(samples), 1.0 / SR)
    return float((power * frequency).sum() / power.sum())


_ABOVE_10_KHZ = butter(8, 10_000.0, "highpass", fs=SR, output="sos")


def click_level_db(samples: np.ndarray) -> float:
    """The loudest moment above 10 kHz, silence before and after included, relative to the
    sound's peak.

    None of these sounds has content up there, but any step, cut or jump is
    broadband: a step of 1 % of the peak shows at about -55 dB (see
    test_click_level_flags_cuts_and_jumps).
    """
    signal = np.asarray(samples, dtype=np.float64)
    padded = np.concatenate([np.zeros(200), signal, np.zeros(200)])
    high = sosfilt(_ABOVE_10_KHZ, padded)
    return float(20.0 * math.log10(np.max(np.abs(high)) / np.max(np.abs(signal))))


def assert_clean_edges(samples: np.ndarray) -> None:
    assert samples[0] == 0.0
    assert samples[-1] == 0.0
    assert click_level_db(samples) < -60.0


# --- fade, pan -------------------------------------------------------------------------------


def test_raised_cosine_starts_at_zero_and_rises_smoothly_to_one() -> None:
    ramp = sounds.raised_cosine(1000)
    assert ramp.dtype == np.float32
    assert ramp[0] == 0.0
    assert ramp[500] == pytest.approx(0.5, abs=1e-6)
    assert ramp[-1] == pytest.approx(1.0, abs=1e-4)
    assert np.all(np.diff(ramp) > 0)


def test_fade_zeroes_both_ends_and_leaves_the_middle() -> None:
    signal = np.ones(10_000, dtype=np.float32)
    faded = sounds.fade(signal, 1000, 2000)
    assert faded[0] == 0.0 and faded[-1] == 0.0
    assert np.all(faded[1000:8000] == 1.0)
    assert faded[500] == pytest.approx(0.5, abs=1e-6)
    assert faded[-1000] == pytest.approx(0.5, abs=1e-3)
    assert np.all(signal == 1.0), "the input must not change"


def test_fade_shortens_fades_that_would_overlap() -> None:
    faded = sounds.fade(np.ones(100, dtype=np.float32), 300, 100)
    assert faded[0] == 0.0 and faded[-1] == 0.0
    assert np.all(np.diff(faded[:75]) >= 0) and np.all(np.diff(faded[75:]) <= 0)


def test_fade_works_on_stereo() -> None:
    faded = sounds.fade(np.ones((1000, 2), dtype=np.float32), 100, 100)
    assert faded.shape == (1000, 2)
    assert np.all(faded[0] == 0.0) and np.all(faded[-1] == 0.0)
    assert np.array_equal(faded[:, 0], faded[:, 1])


def test_pan_extremes_and_centre() -> None:
    mono = np.ones(8, dtype=np.float32)
    left = sounds.pan(mono, -1.0)
    right = sounds.pan(mono, 1.0)
    centre = sounds.pan(mono, 0.0)
    assert left.shape == (8, 2) and left.dtype == np.float32
    assert np.allclose(left[:, 0], 1.0) and np.allclose(left[:, 1], 0.0, atol=1e-7)
    assert np.allclose(right[:, 0], 0.0, atol=1e-7) and np.allclose(right[:, 1], 1.0)
    assert 20 * math.log10(float(centre[0, 0])) == pytest.approx(-3.01, abs=0.01)
    assert centre[0, 0] == centre[0, 1]


@given(st.floats(min_value=-1.0, max_value=1.0))
def test_pan_keeps_power_and_moves_the_right_way(position: float) -> None:
    mono = np.array([0.5, -0.25, 1.0], dtype=np.float32)
    stereo = sounds.pan(mono, position).astype(np.float64)
    power = np.sum(stereo**2, axis=1)
    assert np.allclose(power, mono.astype(np.float64) ** 2, rtol=1e-5)
    left_gain, right_gain = stereo[2]
    assert (left_gain >= right_gain) == (position <= 0.0) or math.isclose(
        left_gain, right_gain, rel_tol=1e-6
    )


def test_pan_keeps_loudness() -> None:
    tone = sounds.glide_tone(SR, "hold", CENTRE_HZ)
    for position in (-0.6, 0.0, 0.4):
        assert clip_loudness_lufs(sounds.pan(tone, position)) == pytest.approx(
            clip_loudness_lufs(tone), abs=0.01
        )


def test_pan_rejects_out_of_range_and_stereo_input() -> None:
    with pytest.raises(ValueError):
        sounds.pan(np.zeros(4, dtype=np.float32), 1.5)
    with pytest.raises(ValueError):
        sounds.pan(np.zeros((4, 2), dtype=np.float32), 0.0)


# --- glide tone ------------------------------------------------------------------------------


def window(samples: np.ndarray, start_s: float, length_s: float = 0.3) -> np.ndarray:
    start = (
        seconds_to_samples(start_s) if start_s >= 0 else len(samples) + seconds_to_samples(start_s)
    )
    return samples[start : start + seconds_to_samples(length_s)]


def test_inhale_rises_through_the_centre_and_swells() -> None:
    tone = sounds.glide_tone(4 * SR, "inhale", CENTRE_HZ)
    first_hz = dominant_hz(window(tone, 0.1))
    last_hz = dominant_hz(window(tone, -0.4))
    assert semitones(first_hz / CENTRE_HZ) == pytest.approx(-sounds.GLIDE_SPAN_SEMITONES, abs=0.3)
    assert semitones(last_hz / CENTRE_HZ) == pytest.approx(sounds.GLIDE_SPAN_SEMITONES, abs=0.3)
    quarter = len(tone) // 4
    assert rms(tone[-quarter:]) > rms(tone[:quarter]) * 1.15


def test_exhale_falls_and_ebbs() -> None:
    tone = sounds.glide_tone(6 * SR, "exhale", CENTRE_HZ)
    first_hz = dominant_hz(window(tone, 0.1))
    last_hz = dominant_hz(window(tone, -0.4))
    assert semitones(first_hz / last_hz) == pytest.approx(2 * sounds.GLIDE_SPAN_SEMITONES, abs=0.5)
    quarter = len(tone) // 4
    assert rms(tone[:quarter]) > rms(tone[-quarter:]) * 1.15


def test_hold_is_steady_at_the_top() -> None:
    tone = sounds.glide_tone(5 * SR, "hold", CENTRE_HZ)
    top_hz = CENTRE_HZ * SEMITONE**sounds.GLIDE_SPAN_SEMITONES
    pitches = [dominant_hz(window(tone, start_s, 0.5)) for start_s in (0.2, 1.5, 2.5, 4.2)]
    assert max(abs(semitones(hz / top_hz)) for hz in pitches) < 0.1
    levels_db = [20 * math.log10(rms(window(tone, s, 0.5))) for s in (0.2, 1.2, 2.2, 3.2, 4.2)]
    assert max(levels_db) - min(levels_db) < 2.5, "a shimmer at most, not a tremolo"


def test_consecutive_phases_meet_at_the_same_pitch() -> None:
    length = 3 * SR
    inhale = sounds.glide_pitch_hz(length, "inhale", CENTRE_HZ)
    hold = sounds.glide_pitch_hz(length, "hold", CENTRE_HZ)
    exhale = sounds.glide_pitch_hz(length, "exhale", CENTRE_HZ)
    assert inhale[-1] == pytest.approx(hold[0], rel=1e-12)
    assert exhale[0] == pytest.approx(hold[-1], rel=1e-12)
    assert exhale[-1] == pytest.approx(inhale[0], rel=1e-12)
    heard_end = dominant_hz(window(sounds.glide_tone(length, "inhale", CENTRE_HZ), -0.35))
    heard_start = dominant_hz(window(sounds.glide_tone(length, "exhale", CENTRE_HZ), 0.05))
    assert abs(semitones(heard_end / heard_start)) < 0.2


def test_glide_timbre_is_soft() -> None:
    tone = sounds.glide_tone(4 * SR, "hold", CENTRE_HZ)
    assert band_fraction_db(tone, 1000.0) < -40.0
    assert band_fraction_db(tone, 8000.0) < -100.0
    assert centroid_hz(tone) < 1.5 * CENTRE_HZ * SEMITONE**2
    assert band_fraction_db(tone, 330.0, 1000.0) > -30.0, "a touch of harmonics, not a bare sine"


@pytest.mark.parametrize("phase", ["inhale", "hold", "exhale"])
@pytest.mark.parametrize("length_s", [0.5, 4.0, 11.3])
def test_glide_length_edges_and_calibration(phase: str, length_s: float) -> None:
    length = seconds_to_samples(length_s)
    tone = sounds.glide_tone(length, phase, CENTRE_HZ)
    assert tone.shape == (length,) and tone.dtype == np.float32
    assert_clean_edges(tone)
    assert clip_loudness_lufs(tone) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)


@pytest.mark.slow
def test_a_sixty_second_inhale_is_calibrated_and_clean() -> None:
    tone = sounds.glide_tone(60 * SR, "inhale", CENTRE_HZ)
    assert_clean_edges(tone)
    assert clip_loudness_lufs(tone) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)


def test_glide_loudness_agrees_with_pyloudnorm() -> None:
    tone = sounds.glide_tone(6 * SR, "exhale", CENTRE_HZ)
    meter = pyloudnorm.Meter(SR)
    assert meter.integrated_loudness(tone.astype(np.float64)) == pytest.approx(
        SPEECH_REFERENCE_LUFS, abs=0.5
    )


def test_rest_is_silence_of_the_asked_length() -> None:
    rest = sounds.glide_tone(12_345, "rest", CENTRE_HZ)
    assert rest.shape == (12_345,) and not np.any(rest)


def test_glide_follows_the_pitch_it_is_given() -> None:
    low = sounds.glide_tone(2 * SR, "hold", 150.0)
    high = sounds.glide_tone(2 * SR, "hold", 300.0)
    assert semitones(dominant_hz(window(high, 0.5)) / dominant_hz(window(low, 0.5))) == (
        pytest.approx(12.0, abs=0.05)
    )


def test_glide_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        sounds.glide_tone(SR, "sigh", CENTRE_HZ)
    with pytest.raises(ValueError):
        sounds.glide_tone(-1, "inhale", CENTRE_HZ)
    with pytest.raises(ValueError):
        sounds.glide_tone(SR, "inhale", 0.0)


def test_empty_glide() -> None:
    assert sounds.glide_tone(0, "inhale", CENTRE_HZ).shape == (0,)


# --- chime -----------------------------------------------------------------------------------


def test_chime_rings_about_two_seconds_and_is_short() -> None:
    ring = sounds.chime(5 * SR, CENTRE_HZ)
    assert ring.shape == (seconds_to_samples(sounds.CHIME_RING_S),)
    energy = np.cumsum(np.square(ring, dtype=np.float64))
    assert energy[SR] / energy[-1] > 0.95, "most of the chime is in its first second"
    first = rms(ring[: SR // 4])
    last = rms(ring[-SR // 4 :])
    assert 20 * math.log10(last / first) < -40.0
    assert_clean_edges(ring)


def test_chime_is_calibrated_on_its_whole_ring() -> None:
    ring = sounds.chime(3 * SR, CENTRE_HZ)
    assert clip_loudness_lufs(ring) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)


def test_a_short_phase_cuts_the_same_strike_with_a_fade() -> None:
    whole = sounds.chime(3 * SR, CENTRE_HZ)
    cut = sounds.chime(SR // 2, CENTRE_HZ)
    assert cut.shape == (SR // 2,)
    fade_samples = min(ms_to_samples(sounds.CHIME_FADE_OUT_MS), len(cut) // 4)
    unfaded = len(cut) - fade_samples
    assert np.allclose(cut[:unfaded], whole[:unfaded], atol=1e-6)
    assert_clean_edges(cut)
    assert click_level_db(whole[: SR // 2]) > -60.0, "without the fade the cut would click"


def test_chime_sounds_an_octave_above_the_pitch_with_bar_partials() -> None:
    ring = sounds.chime(3 * SR, CENTRE_HZ)
    assert dominant_hz(ring[: SR // 2]) == pytest.approx(2 * CENTRE_HZ, rel=0.002)
    assert band_fraction_db(ring, 2.6 * 2 * CENTRE_HZ, 2.9 * 2 * CENTRE_HZ) > -25.0
    assert band_fraction_db(ring, 8000.0) < -80.0


def test_chime_attack_is_soft_but_quick() -> None:
    ring = sounds.chime(3 * SR, CENTRE_HZ)
    envelope = np.abs(hilbert(ring.astype(np.float64)))
    peak_at = int(np.argmax(envelope))
    assert ms_to_samples(1.0) <= peak_at <= ms_to_samples(30.0)


# --- bell ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bell_5s() -> np.ndarray:
    return sounds.bell(5 * SR)


def spectral_peaks_hz(samples: np.ndarray, count: int, apart_hz: float = 60.0) -> list[float]:
    power = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples)))) ** 2
    frequency = np.fft.rfftfreq(len(samples), 1.0 / SR)
    order = np.argsort(power)[::-1]
    peaks: list[float] = []
    strongest = power[order[0]]
    for index in order:
        if power[index] < strongest * 1e-4 or len(peaks) == count:
            break
        if all(abs(frequency[index] - found) > apart_hz for found in peaks):
            peaks.append(float(frequency[index]))
    return sorted(peaks)


def test_bell_has_several_inharmonic_partials(bell_5s: np.ndarray) -> None:
    peaks = spectral_peaks_hz(bell_5s[: 2 * SR], count=4)
    assert len(peaks) == 4
    fundamental = peaks[0]
    assert 180.0 <= fundamental <= 260.0
    ratios = [peak / fundamental for peak in peaks[1:]]
    assert all(abs(ratio - round(ratio)) > 0.1 for ratio in ratios), ratios
    assert ratios[0] == pytest.approx(2.7, abs=0.15)


def test_bell_partials_beat_slowly(bell_5s: np.ndarray) -> None:
    fundamental = spectral_peaks_hz(bell_5s[: 2 * SR], count=1)[0]
    band = butter(4, [fundamental - 20, fundamental + 20], "bandpass", fs=SR, output="sos")
    envelope = np.abs(hilbert(sosfiltfilt(band, bell_5s[: 3 * SR].astype(np.float64))))
    trend = np.polyval(
        np.polyfit(np.arange(envelope.size), np.log(envelope), 2), np.arange(envelope.size)
    )
    wobble = np.log(envelope) - trend
    spectrum = np.abs(np.fft.rfft(wobble * np.hanning(wobble.size), 1 << 20))
    frequency = np.fft.rfftfreq(1 << 20, 1.0 / SR)
    slow = (frequency > 0.5) & (frequency < 8.0)
    assert 1.0 <= frequency[slow][np.argmax(spectrum[slow])] <= 4.0
    depth_db = 20 / math.log(10) * (np.percentile(wobble, 95) - np.percentile(wobble, 5))
    assert depth_db > 3.0


def test_bell_decays_with_high_partials_dying_first(bell_5s: np.ndarray) -> None:
    first, last = bell_5s[:SR], bell_5s[-SR:]
    assert 20 * math.log10(rms(last) / rms(first)) < -20.0
    early_high = band_fraction_db(bell_5s[: SR // 2], 1000.0)
    late_high = band_fraction_db(bell_5s[2 * SR : 3 * SR], 1000.0)
    assert late_high < early_high - 10.0


def test_bell_is_struck_softly_and_ends_in_silence(bell_5s: np.ndarray) -> None:
    assert bell_5s.shape == (5 * SR,) and bell_5s.dtype == np.float32
    assert_clean_edges(bell_5s)
    peak = np.max(np.abs(bell_5s))
    reached = int(np.argmax(np.abs(bell_5s) > 0.5 * peak))
    assert reached >= ms_to_samples(1.0), "a mallet, not a click"
    assert band_fraction_db(bell_5s, 8000.0) < -80.0
    assert centroid_hz(bell_5s) < 600.0


def test_bell_is_calibrated(bell_5s: np.ndarray) -> None:
    assert clip_loudness_lufs(bell_5s) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)
    assert np.max(np.abs(bell_5s)) < 1.0


@pytest.mark.parametrize("ring_s", [1.0, 2.5])
def test_short_bells_ring_and_fade(ring_s: float) -> None:
    ring = sounds.bell(seconds_to_samples(ring_s))
    assert ring.shape == (seconds_to_samples(ring_s),)
    assert_clean_edges(ring)
    assert clip_loudness_lufs(ring) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)


@pytest.mark.slow
def test_a_sixty_second_bell() -> None:
    ring = sounds.bell(60 * SR)
    assert_clean_edges(ring)
    assert clip_loudness_lufs(ring) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)
    assert 20 * math.log10(rms(ring[-SR:]) / rms(ring[:SR])) < -20.0


# --- movement beat ---------------------------------------------------------------------------


def zero_crossing_hz(samples: np.ndarray) -> float:
    crossings = np.count_nonzero(np.diff(np.signbit(samples)))
    return crossings / 2.0 / (len(samples) / SR)


def test_beat_is_a_low_thump_of_the_timeline_length() -> None:
    beat = sounds.movement_beat(False)
    assert beat.shape == (seconds_to_samples(sounds.BEAT_LENGTH_S),)
    assert beat.dtype == np.float32
    assert_clean_edges(beat)
    assert centroid_hz(beat) < 200.0
    assert band_fraction_db(beat, 1000.0) < -30.0


def test_beat_pitch_drops() -> None:
    beat = sounds.movement_beat(False).astype(np.float64)
    lowpass = butter(4, 400.0, fs=SR, output="sos")
    smooth = sosfiltfilt(lowpass, beat)
    early = zero_crossing_hz(smooth[ms_to_samples(3) : ms_to_samples(25)])
    late = zero_crossing_hz(smooth[ms_to_samples(80) : ms_to_samples(200)])
    assert 80.0 <= early <= 160.0
    assert late < early * 0.8


def test_beat_is_calibrated_and_accent_is_four_db_louder_and_brighter() -> None:
    plain = sounds.movement_beat(False)
    accent = sounds.movement_beat(True)
    assert clip_loudness_lufs(plain) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)
    difference = clip_loudness_lufs(accent) - clip_loudness_lufs(plain)
    assert difference == pytest.approx(sounds.BEAT_ACCENT_DB, abs=0.5)
    assert centroid_hz(accent) > centroid_hz(plain) * 1.1
    assert_clean_edges(accent)


def test_beat_is_deterministic_and_callers_get_their_own_copy() -> None:
    first = sounds.movement_beat(True)
    first *= 0.0
    second = sounds.movement_beat(True)
    assert np.any(second)
    assert np.array_equal(second, sounds.movement_beat(True))


# --- all sounds ------------------------------------------------------------------------------


def test_click_level_flags_cuts_and_jumps() -> None:
    ring = sounds.chime(3 * SR, CENTRE_HZ)
    assert click_level_db(ring[: SR // 2]) > -60.0, "stopped mid-ring"
    tone = sounds.glide_tone(SR, "hold", CENTRE_HZ)
    crest = SR // 2 + int(np.argmax(tone[SR // 2 : SR // 2 + 300]))
    assert click_level_db(tone[crest:]) > -60.0, "started at a crest"
    jump = tone.copy()
    jump[SR // 2 :] *= 0.8
    assert click_level_db(jump) > -60.0, "a sudden 2 dB level change"
    assert click_level_db(sounds.movement_beat(True)[:4000]) > -60.0, "a beat cut short"


@settings(max_examples=15, deadline=None)
@given(
    length=st.integers(min_value=seconds_to_samples(0.5), max_value=seconds_to_samples(3.0)),
    pitch_hz=st.floats(min_value=100.0, max_value=500.0),
    phase=st.sampled_from(["inhale", "hold", "exhale"]),
)
def test_every_glide_and_chime_starts_and_ends_at_zero(
    length: int, pitch_hz: float, phase: str
) -> None:
    for sound in (sounds.glide_tone(length, phase, pitch_hz), sounds.chime(length, pitch_hz)):
        assert sound[0] == 0.0 and sound[-1] == 0.0
        assert np.all(np.isfinite(sound))
        assert np.max(np.abs(sound)) < 1.0


def test_sounds_are_deterministic() -> None:
    makers: tuple[Callable[[], np.ndarray], ...] = (
        lambda: sounds.glide_tone(2 * SR, "inhale", CENTRE_HZ),
        lambda: sounds.chime(SR, CENTRE_HZ),
        lambda: sounds.bell(2 * SR),
        lambda: sounds.movement_beat(False),
    )
    for make in makers:
        assert np.array_equal(make(), make())
