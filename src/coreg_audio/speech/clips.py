"""Turn an engine's raw speech into a clip the mixer can place sample-exactly.

Engines pad speech with silence of their own choosing; a cue must sound at its
event's start, so the clip is cut to begin just before its audible onset and to
end a little after its last audible sample. Every clip is then made equally loud.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import resample_poly

from ..loudness import SPEECH_REFERENCE_LUFS, clip_loudness_lufs
from ..units import SAMPLE_RATE_HZ, db_to_gain, ms_to_samples

PROCESSING_VERSION = 1
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

SILENCE_PEAK_DBFS = -60.0
"""An engine's output whose peak is below this holds no speech."""


class NoAudibleSound(ValueError):
    """The samples hold nothing louder than SILENCE_PEAK_DBFS."""


def to_output_rate(samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """Samples at SAMPLE_RATE_HZ (float64), by polyphase resampling (22050 Hz is 2:1)."""
    x = np.asarray(samples, dtype=np.float64)
    if sample_rate_hz == SAMPLE_RATE_HZ:
        return x
    common = math.gcd(SAMPLE_RATE_HZ, sample_rate_hz)
    return np.asarray(
        resample_poly(x, SAMPLE_RATE_HZ // common, sample_rate_hz // common), dtype=np.float64
    )


def audible_span(samples: np.ndarray) -> tuple[int, int]:
    """First and one-past-last sample of the speech, judged against the peak."""
    magnitude = np.abs(np.asarray(samples, dtype=np.float64))
    peak = float(magnitude.max()) if magnitude.size else 0.0
    if peak < db_to_gain(SILENCE_PEAK_DBFS):
        raise NoAudibleSound(f"peak {peak:.2g} is below {SILENCE_PEAK_DBFS} dBFS")
    onset = int(np.argmax(magnitude > peak * db_to_gain(ONSET_THRESHOLD_DB)))
    above_tail = magnitude > peak * db_to_gain(TAIL_THRESHOLD_DB)
    end = magnitude.size - int(np.argmax(above_tail[::-1]))
    return onset, end


def raised_cosine_fades(
    samples: np.ndarray, fade_in_samples: int, fade_out_samples: int
) -> np.ndarray:
    """A copy with sin² fades at both ends, so a cut never clicks."""
    out = np.array(samples, dtype=np.float64)
    n_in = min(fade_in_samples, out.size)
    n_out = min(fade_out_samples, out.size)
    if n_in > 0:
        out[:n_in] *= np.sin(0.5 * np.pi * (np.arange(n_in) + 0.5) / n_in) ** 2
    if n_out > 0:
        out[out.size - n_out :] *= np.cos(0.5 * np.pi * (np.arange(n_out) + 0.5) / n_out) ** 2
    return out


def normalize_loudness(
    samples: np.ndarray, target_lufs: float = SPEECH_REFERENCE_LUFS
) -> np.ndarray:
    """Scale to ``target_lufs`` of ungated loudness (clips are shorter than a gating block)."""
    x = np.asarray(samples, dtype=np.float64)
    loudness = clip_loudness_lufs(x)
    if not math.isfinite(loudness):
        raise NoAudibleSound("the clip has no measurable loudness")
    return x * db_to_gain(target_lufs - loudness)


def process_clip(samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """Raw engine speech to a finished clip: mono float32 at SAMPLE_RATE_HZ.

    The audible onset lands PRE_ROLL_MS after sample 0; the clip ends TAIL_KEEP_MS
    after the last audible sample. Where the engine's audio starts or ends too close
    to the speech, silence is added rather than speech cut. Raises NoAudibleSound.
    """
    x = to_output_rate(samples, sample_rate_hz)
    onset, end = audible_span(x)
    start = onset - ms_to_samples(PRE_ROLL_MS)
    stop = end + ms_to_samples(TAIL_KEEP_MS)
    kept = np.pad(
        x[max(start, 0) : min(stop, x.size)],
        (max(-start, 0), max(stop - x.size, 0)),
    )
    faded = raised_cosine_fades(kept, ms_to_samples(FADE_IN_MS), ms_to_samples(FADE_OUT_MS))
    return normalize_loudness(faded).astype(np.float32)
