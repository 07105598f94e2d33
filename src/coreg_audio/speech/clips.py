"""Turn an engine's raw speech into a clip the mixer can place sample-exactly.

Engines pad speech with silence of their own choosing; a cue must sound at its
event's start, so the clip is cut to begin just before its audible onset and to
end a little after its last audible sample. Every clip is then evened out (its
loudest syllables compressed, its peaks held) and made equally loud.

A clip is held whole only as float32 at our rate (and as the engine gave it);
everything else (levels, gains, loudness, true peaks) is worked out a piece at a
time, so a minute of speech costs a few tens of megabytes and a short one
almost nothing.
"""

from __future__ import annotations

import math

import numpy as np

from ..audio.limiter import TruePeakLimiter, true_peak_dbtp
from ..audio.loudness import SPEECH_REFERENCE_LUFS, LoudnessMeter
from ..audio.sounds import fade
from ..units import db_to_gain, ms_to_samples, rate_ratio

PROCESSING_VERSION = 4
"""Part of every cache key: bump it whenever this module changes what a clip sounds like."""

ONSET_THRESHOLD_DB = -45.0
"""Speech starts at the first sample this far under the clip's peak: under the
-40 dB the mix is judged by, so the judged onset can only fall at or after it."""

TAIL_THRESHOLD_DB = -60.0
"""Speech ends at the last sample this far under the peak: quiet endings (a soft
"s", a decaying vowel) are kept whole."""

PRE_ROLL_MS = 1.0
FADE_IN_MS = 1.0
TAIL_KEEP_MS = 20.0
FADE_OUT_MS = 10.0
"""The fade-out takes the last part of the kept tail, so it never touches speech."""

PEAK_TO_LOUDNESS_DB = 9.5
"""How far a finished clip's true peak may sit above its loudness.

A practice is mostly quiet tones with speech in between, so at -16 LUFS
integrated its speech plays some 4-5 dB louder than that; raw espeak-ng speech
peaks 13-20 dB above its loudness and would drive the master limiter 8-10 dB
into every syllable. Evening the voice here, once per cached clip, leaves the
master limiter a light touch."""

COMPRESSOR_RATIO = 3.0
COMPRESSOR_THRESHOLD_DB = 3.0
"""Above the clip's mean power: only the louder syllables are brought down."""
LEVEL_WINDOW_MS = 15.0
GAIN_HOLD_MS = 20.0
GAIN_SMOOTHING_MS = 40.0
PEAK_RELEASE_MS = 10.0
"""espeak-ng's peaks are brief spikes in the waveform, not loud syllables: a quick
release trims them without taking the syllable's loudness down with them."""
PEAK_TOLERANCE_DB = 0.1
PEAK_PASSES = 6

PIECE_SAMPLES = 1 << 16
"""Clips are worked on this many samples at a time (about 1.4 s)."""

SILENCE_PEAK_DBFS = -60.0
"""An engine's output whose peak is below this holds no speech."""


class NoAudibleSound(ValueError):
    """The samples hold nothing louder than SILENCE_PEAK_DBFS."""


def to_output_rate(samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """Samples at our rate (float32), by polyphase resampling (22050 Hz is 2:1)."""
    x = np.asarray(samples, dtype=np.float32)
    ratio = rate_ratio(sample_rate_hz)
    if ratio == 1:
        return x
    from scipy.signal import resample_poly  # only on a cache miss: keeps renders light

    return np.asarray(resample_poly(x, ratio.numerator, ratio.denominator), dtype=np.float32)


def _pieces(length: int) -> range:
    return range(0, length, PIECE_SAMPLES)


def audible_span(samples: np.ndarray) -> tuple[int, int]:
    """First and one-past-last sample of the speech, judged against the peak."""
    x = np.asarray(samples)
    peak = max(
        (float(np.max(np.abs(x[a : a + PIECE_SAMPLES]))) for a in _pieces(x.size)), default=0.0
    )
    if peak < db_to_gain(SILENCE_PEAK_DBFS):
        raise NoAudibleSound(f"peak {peak:.2g} is below {SILENCE_PEAK_DBFS} dBFS")
    onset_level = peak * db_to_gain(ONSET_THRESHOLD_DB)
    onset = next(
        a + int(np.argmax(above))
        for a in _pieces(x.size)
        if (above := np.abs(x[a : a + PIECE_SAMPLES]) > onset_level).any()
    )
    tail_level = peak * db_to_gain(TAIL_THRESHOLD_DB)
    end = next(
        a + above.size - int(np.argmax(above[::-1]))
        for a in reversed(_pieces(x.size))
        if (above := np.abs(x[a : a + PIECE_SAMPLES]) > tail_level).any()
    )
    return onset, end


def clip_loudness(samples: np.ndarray) -> float:
    """Ungated loudness of a clip, measured by the track meter a piece at a time."""
    x = np.asarray(samples)
    meter = LoudnessMeter(channels=1)
    for a in _pieces(x.size):
        meter.add(x[a : a + PIECE_SAMPLES])
    return meter.ungated_lufs()


def normalize_loudness(
    samples: np.ndarray, target_lufs: float = SPEECH_REFERENCE_LUFS
) -> np.ndarray:
    """Scale to ``target_lufs`` of ungated loudness (clips are shorter than a gating block);
    float32, in place when ``samples`` is a float32 array."""
    x = np.asarray(samples, dtype=np.float32)
    loudness = clip_loudness(x)
    if not math.isfinite(loudness):
        raise NoAudibleSound("the clip has no measurable loudness")
    x *= np.float32(db_to_gain(target_lufs - loudness))
    return x


def _moving_average(values: np.ndarray, window_samples: int) -> np.ndarray:
    """Hann-weighted moving average, centred (FFT convolution: windows are hundreds long)."""
    from scipy.signal import oaconvolve  # only on a cache miss: keeps renders light

    kernel = np.hanning(window_samples + 2)[1:-1]
    averaged: np.ndarray = oaconvolve(values, kernel / kernel.sum(), mode="same")
    return averaged


def _limited(samples: np.ndarray, ceiling_dbtp: float) -> np.ndarray:
    limiter = TruePeakLimiter(ceiling_dbtp=ceiling_dbtp, release_ms=PEAK_RELEASE_MS, channels=1)
    out = np.empty(samples.size, dtype=np.float32)
    done = 0
    for a in [*_pieces(samples.size), None]:
        ready = limiter.flush() if a is None else limiter.process(samples[a : a + PIECE_SAMPLES])
        out[done : done + ready.shape[0]] = ready[:, 0]
        done += ready.shape[0]
    return out


def _compressor_gain_db(x: np.ndarray, mean_power: float) -> np.ndarray:
    """The compressor's gain over ``x`` (float64 dB), looking both ways."""
    power = _moving_average(x * x, ms_to_samples(LEVEL_WINDOW_MS))
    level_db = 10.0 * np.log10(np.maximum(power, 1e-20) / mean_power)
    from scipy.ndimage import maximum_filter1d  # only on a cache miss: keeps renders light

    reduction_db = np.maximum(level_db - COMPRESSOR_THRESHOLD_DB, 0.0) * (1 - 1 / COMPRESSOR_RATIO)
    held_db = maximum_filter1d(reduction_db, ms_to_samples(GAIN_HOLD_MS))
    gain_db: np.ndarray = -_moving_average(held_db, ms_to_samples(GAIN_SMOOTHING_MS))
    return gain_db


def _reach_samples() -> int:
    """How far either way one sample's gain depends on the clip: the three windows."""
    return sum(ms_to_samples(ms) for ms in (LEVEL_WINDOW_MS, GAIN_HOLD_MS, GAIN_SMOOTHING_MS))


def even_out(samples: np.ndarray) -> np.ndarray:
    """Compress the louder syllables, then hold true peaks PEAK_TO_LOUDNESS_DB over loudness.

    The compressor looks both ways, so its gain is already down when a syllable
    starts and nothing pumps; the limiter only trims what the compressor leaves.
    Each piece's gain is worked out from the piece and enough of the clip either
    side to see what the whole clip would (the edges of the clip stay edges).
    The result (float32) is at SPEECH_REFERENCE_LUFS.
    """
    x = np.asarray(samples, dtype=np.float32)
    mean_power = sum(
        float(np.sum(np.square(x[a : a + PIECE_SAMPLES], dtype=np.float64)))
        for a in _pieces(x.size)
    ) / max(x.size, 1)
    if mean_power <= 0.0:
        raise NoAudibleSound("the clip is silent")
    reach = 2 * _reach_samples()
    compressed = np.empty(x.size, dtype=np.float32)
    for a in _pieces(x.size):
        b = min(a + PIECE_SAMPLES, x.size)
        first, last = max(a - reach, 0), min(b + reach, x.size)
        around = x[first:last].astype(np.float64)
        gain_db = _compressor_gain_db(around, mean_power)[a - first : b - first]
        compressed[a:b] = around[a - first : b - first] * np.power(10.0, gain_db / 20.0)
    return _peaks_held(normalize_loudness(compressed))


def _peaks_held(speech: np.ndarray) -> np.ndarray:
    """``speech`` (at the reference) limited until, brought back to the reference, it
    peaks about PEAK_TO_LOUDNESS_DB above it.

    Limiting takes some loudness off and bringing the clip back up raises the
    peaks again, so the clip is limited and re-levelled a few times, each pass
    aiming lower by what the last one missed by; the first aims below the goal by
    the unlimited clip's miss (the passes: a third fewer on Piper's speech, a
    seventh on espeak-ng's, with peaks as close to the goal).
    """
    goal_dbtp = SPEECH_REFERENCE_LUFS + PEAK_TO_LOUDNESS_DB
    aim_dbtp = goal_dbtp
    for _ in range(PEAK_PASSES):
        missed_db = true_peak_dbtp(speech) - goal_dbtp
        if missed_db <= PEAK_TOLERANCE_DB:
            break
        aim_dbtp -= missed_db
        speech = normalize_loudness(_limited(speech, aim_dbtp))
    return speech


def trimmed(samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """The engine's speech at our rate, cut to its audible span and faded (float32).

    The audible onset lands PRE_ROLL_MS after sample 0; the clip ends TAIL_KEEP_MS
    after the last audible sample. Where the engine's audio starts or ends too close
    to the speech, silence is added rather than speech cut. Raises NoAudibleSound.
    """
    x = to_output_rate(samples, sample_rate_hz)
    onset, end = audible_span(x)
    start = onset - ms_to_samples(PRE_ROLL_MS)
    stop = end + ms_to_samples(TAIL_KEEP_MS)
    kept = np.zeros(stop - start, dtype=np.float32)
    kept[max(-start, 0) : max(-start, 0) + min(stop, x.size) - max(start, 0)] = x[
        max(start, 0) : min(stop, x.size)
    ]
    del x
    return fade(kept, ms_to_samples(FADE_IN_MS), ms_to_samples(FADE_OUT_MS))


def process_clip(samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """Raw engine speech to a finished clip: mono float32, trimmed, evened out, at reference."""
    return even_out(trimmed(samples, sample_rate_hz))
