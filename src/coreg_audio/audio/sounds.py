"""The synthesized sounds: breath tones, chimes, the bowl bell and movement beats.

Everything here is a pure function of its arguments returning mono float32 at
our sample rate (``pan`` makes stereo). Each sound is made as loud as speech
(``SPEECH_REFERENCE_LUFS``) at level 0 dB; the mixer applies a script's level
afterwards. Every sound starts and ends at exactly zero through a raised-cosine
fade, so nothing clicks wherever the timeline places it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..units import (
    db_to_gain,
    ms_to_samples,
    rfft_frequencies_hz,
    samples_to_float_s,
    seconds_to_samples,
)
from .loudness import SPEECH_REFERENCE_LUFS, clip_loudness_lufs

PHASES: tuple[str, ...] = ("inhale", "hold", "exhale", "rest")

GLIDE_SPAN_SEMITONES = 2.0
"""How far the breath tone sits below (start of inhale) and above (hold) its centre."""
GLIDE_SWELL_DB = 3.0
"""How much quieter the inhale starts (and the exhale ends) than its crest."""
GLIDE_FADE_MS = 80.0

CHIME_RING_S = 2.0
CHIME_OCTAVES_ABOVE_PITCH = 1
CHIME_FADE_OUT_MS = 150.0

BELL_FUNDAMENTAL_HZ = 196.0
BELL_ATTACK_MS = 4.0

BEAT_LENGTH_S = 0.3
BEAT_ACCENT_DB = 4.0

PERCUSSIVE_ATTACK_MS = 2.0

_MAX_PARTIAL_HZ = 8000.0
"""Partials above this are dropped: the sounds stay soft and never alias."""


@dataclass(frozen=True)
class Partial:
    """One partial of a struck sound, relative to the fundamental."""

    ratio: float
    level_db: float
    t60_fraction: float
    """Time to decay by 60 dB, as a fraction of the sound's ring."""
    beat_hz: float = 0.0
    """Detuning of a second, quieter sine, heard as a slow beating."""


CHIME_PARTIALS: tuple[Partial, ...] = (
    Partial(ratio=1.0, level_db=0.0, t60_fraction=1.0),
    Partial(ratio=2.0, level_db=-12.0, t60_fraction=0.6),
    Partial(ratio=2.76, level_db=-10.0, t60_fraction=0.4),
    Partial(ratio=5.40, level_db=-18.0, t60_fraction=0.2),
)
"""A glockenspiel bar's free-free modes (1 : 2.76 : 5.40) with a soft kalimba-like octave."""

BELL_PARTIALS: tuple[Partial, ...] = (
    Partial(ratio=1.0, level_db=0.0, t60_fraction=3.0, beat_hz=1.3),
    Partial(ratio=2.71, level_db=-3.0, t60_fraction=2.0, beat_hz=2.1),
    Partial(ratio=5.18, level_db=-10.0, t60_fraction=1.25, beat_hz=2.9),
    Partial(ratio=8.42, level_db=-17.0, t60_fraction=0.75, beat_hz=3.6),
    Partial(ratio=12.3, level_db=-25.0, t60_fraction=0.45, beat_hz=4.0),
)
"""A singing bowl's inharmonic modes; each is a detuned pair, so the bowl beats slowly.

A bowl sustains: the fundamental has lost only 20 dB when the ring ends, and
the closing fade (the last BELL_FADE_OUT_FRACTION of the ring) is the hand
that stills it. A faster decay would make the strike far louder than the ring
it is calibrated on.
"""

BELL_BEAT_PAIR_GAIN = 0.6
BELL_FADE_OUT_FRACTION = 0.3


def ease(position: np.ndarray) -> np.ndarray:
    """Raised cosine of ``position`` clipped to [0, 1]: 0 → 1 with zero slope at both ends.

    The one shape of every fade, swell and duck, so none of them clicks.
    """
    clipped = np.clip(np.asarray(position, dtype=np.float64), 0.0, 1.0)
    result: np.ndarray = 0.5 - 0.5 * np.cos(math.pi * clipped)
    return result


def raised_cosine(length_samples: int) -> np.ndarray:
    """A ramp from exactly 0 towards 1 (float32), half a cosine period long."""
    if length_samples <= 0:
        return np.zeros(0, dtype=np.float32)
    return ease(np.arange(length_samples, dtype=np.float64) / length_samples).astype(np.float32)


def fade(samples: np.ndarray, fade_in_samples: int, fade_out_samples: int) -> np.ndarray:
    """A copy of ``samples`` (mono or (n, channels)) with raised-cosine fades at both ends.

    The first and last samples become exactly 0. When the two fades together are
    longer than the sound they are shortened in proportion, so they never overlap.
    """
    out = np.array(samples, dtype=np.float32, copy=True)
    length = out.shape[0]
    fade_in_samples = max(0, fade_in_samples)
    fade_out_samples = max(0, fade_out_samples)
    total = fade_in_samples + fade_out_samples
    if total > length:
        fade_in_samples = fade_in_samples * length // total
        fade_out_samples = length - fade_in_samples
    ramp_in = raised_cosine(fade_in_samples)
    ramp_out = raised_cosine(fade_out_samples)[::-1]
    if out.ndim == 2:
        ramp_in = ramp_in[:, None]
        ramp_out = ramp_out[:, None]
    out[:fade_in_samples] *= ramp_in
    if fade_out_samples:
        out[length - fade_out_samples :] *= ramp_out
    return out


def calibrate(samples: np.ndarray, target_lufs: float = SPEECH_REFERENCE_LUFS) -> np.ndarray:
    """``samples`` scaled so ``clip_loudness_lufs`` measures ``target_lufs``; silence stays."""
    measured_lufs = clip_loudness_lufs(samples)
    if not math.isfinite(measured_lufs):
        return np.asarray(samples, dtype=np.float32)
    return (samples * db_to_gain(target_lufs - measured_lufs)).astype(np.float32)


def pan(mono: np.ndarray, pan: float) -> np.ndarray:
    """Equal-power pan of a mono sound into (n, 2): -1 left, 0 centre (-3 dB a side), +1 right.

    Left and right powers always sum to the mono power, so panning never changes loudness.
    """
    if not -1.0 <= pan <= 1.0:
        raise ValueError(f"pan must be in [-1, 1], got {pan}")
    signal = np.asarray(mono, dtype=np.float32)
    if signal.ndim != 1:
        raise ValueError(f"pan takes a mono sound, got shape {signal.shape}")
    angle = (pan + 1.0) * math.pi / 4.0
    gains = np.array([math.cos(angle), math.sin(angle)], dtype=np.float32)
    return signal[:, None] * gains[None, :]


def _check_length(length_samples: int) -> None:
    if length_samples < 0:
        raise ValueError(f"a sound cannot be {length_samples} samples long")


def _ease(length_samples: int) -> np.ndarray:
    """0 → 1 across the whole span with zero slope at both ends (float64)."""
    return ease(np.arange(length_samples, dtype=np.float64) / max(length_samples - 1, 1))


def glide_pitch_hz(length_samples: int, phase: str, pitch_hz: float) -> np.ndarray:
    """The breath tone's instantaneous pitch through one phase (float64, Hz).

    The inhale rises from ``GLIDE_SPAN_SEMITONES`` below the centre to as far above
    it, the hold stays at the top and the exhale falls back, so consecutive phases
    meet at the same pitch.
    """
    if phase not in PHASES:
        raise ValueError(f"unknown breath phase {phase!r}; expected one of {PHASES}")
    span = GLIDE_SPAN_SEMITONES
    if phase == "inhale":
        semitones = -span + 2.0 * span * _ease(length_samples)
    elif phase == "exhale":
        semitones = span - 2.0 * span * _ease(length_samples)
    elif phase == "hold":
        semitones = np.full(length_samples, span)
    else:
        semitones = np.full(length_samples, -span)
    result: np.ndarray = pitch_hz * 2.0 ** (semitones / 12.0)
    return result


def _glide_envelope_db(length_samples: int, phase: str) -> np.ndarray:
    if phase == "inhale":
        result: np.ndarray = -GLIDE_SWELL_DB * (1.0 - _ease(length_samples))
    elif phase == "exhale":
        result = -GLIDE_SWELL_DB * _ease(length_samples)
    else:
        result = np.zeros(length_samples)
    return result


def oscillator_phase_rad(frequency_hz: np.ndarray) -> np.ndarray:
    """The phase of an oscillator that follows ``frequency_hz`` sample by sample (last axis)."""
    phase_rad: np.ndarray = samples_to_float_s(2.0 * math.pi * np.cumsum(frequency_hz, axis=-1))
    return phase_rad


def _soft_oscillator(pitch_hz: np.ndarray) -> np.ndarray:
    """A sine with a little 2nd and 3rd harmonic and a faint voice 4 cents sharp (float64).

    The sharp voice beats against the main one every two to three seconds, a
    shimmer of under 1 dB that keeps a long hold alive without a tremolo.
    """
    harmonics = ((1, 1.0), (2, 0.18), (3, 0.07))
    voices = ((1.0, 1.0), (2.0 ** (4.0 / 1200.0), 0.1))
    out = np.zeros(pitch_hz.shape[0], dtype=np.float64)
    for detune_ratio, voice_gain in voices:
        phase_rad = oscillator_phase_rad(pitch_hz * detune_ratio)
        phase_rad -= phase_rad[0] if phase_rad.size else 0.0
        for number, harmonic_gain in harmonics:
            if float(np.max(pitch_hz, initial=0.0)) * detune_ratio * number > _MAX_PARTIAL_HZ:
                continue
            out += voice_gain * harmonic_gain * np.sin(number * phase_rad)
    return out


def glide_tone(length_samples: int, phase: str, pitch_hz: float) -> np.ndarray:
    """The soft breath tone for one phase: ``inhale`` rises and swells, ``hold`` stays
    at the top, ``exhale`` falls and ebbs, ``rest`` is silence.

    ``pitch_hz`` is the centre of the glide (the script's tone pitch). Calibration:
    each phase's ``clip_loudness_lufs`` is measured after its fades and scaled to
    SPEECH_REFERENCE_LUFS, so every phase, long or short, is as loud as speech.
    Because the inhale swells by GLIDE_SWELL_DB, its crest sits 1-2.5 dB above the
    hold's steady level (more for short phases); the dip of the 80 ms fades at
    each phase boundary hides the step.
    """
    _check_length(length_samples)
    if pitch_hz <= 0.0 or not math.isfinite(pitch_hz):
        raise ValueError(f"pitch must be a positive frequency, got {pitch_hz}")
    pitch_curve_hz = glide_pitch_hz(length_samples, phase, pitch_hz)
    if phase == "rest" or length_samples == 0:
        return np.zeros(length_samples, dtype=np.float32)
    envelope = 10.0 ** (_glide_envelope_db(length_samples, phase) / 20.0)
    tone = (_soft_oscillator(pitch_curve_hz) * envelope).astype(np.float32)
    fade_samples = min(ms_to_samples(GLIDE_FADE_MS), length_samples // 4)
    return calibrate(fade(tone, fade_samples, fade_samples))


def _struck(
    length_samples: int,
    fundamental_hz: float,
    partials: tuple[Partial, ...],
    ring_s: float,
    pair_gain: float,
) -> np.ndarray:
    """Exponentially decaying partials, each optionally a detuned pair (float64)."""
    time_s = samples_to_float_s(np.arange(length_samples, dtype=np.float64))
    out = np.zeros(length_samples, dtype=np.float64)
    for partial in partials:
        frequency_hz = fundamental_hz * partial.ratio
        if frequency_hz + partial.beat_hz > _MAX_PARTIAL_HZ:
            continue
        t60_s = partial.t60_fraction * ring_s
        decay = np.exp(-math.log(1000.0) * time_s / t60_s)
        if partial.beat_hz:
            low = np.sin(2.0 * math.pi * (frequency_hz - partial.beat_hz / 2.0) * time_s)
            high = np.sin(2.0 * math.pi * (frequency_hz + partial.beat_hz / 2.0) * time_s)
            tone = (low + pair_gain * high) / (1.0 + pair_gain)
        else:
            tone = np.sin(2.0 * math.pi * frequency_hz * time_s)
        out += db_to_gain(partial.level_db) * decay * tone
    return out


@lru_cache(maxsize=8)
def _chime_gain(fundamental_hz: float) -> float:
    """The gain that makes the whole, uncut chime as loud as speech."""
    natural = _chime_unscaled(seconds_to_samples(CHIME_RING_S), fundamental_hz)
    return db_to_gain(SPEECH_REFERENCE_LUFS - clip_loudness_lufs(natural))


def _chime_unscaled(length_samples: int, fundamental_hz: float) -> np.ndarray:
    ring_samples = seconds_to_samples(CHIME_RING_S)
    length_samples = min(length_samples, ring_samples)
    struck = _struck(length_samples, fundamental_hz, CHIME_PARTIALS, CHIME_RING_S, 0.0)
    fade_out_samples = min(ms_to_samples(CHIME_FADE_OUT_MS), length_samples // 4)
    return fade(struck.astype(np.float32), ms_to_samples(PERCUSSIVE_ATTACK_MS), fade_out_samples)


def chime(length_samples: int, pitch_hz: float) -> np.ndarray:
    """A short soft chime struck at the start of a phase, an octave above ``pitch_hz``.

    It rings for CHIME_RING_S; when the phase is shorter (``length_samples``) the
    ring is cut with a fade, so the result is ``min(length_samples, 2 s)`` long.
    Calibration: the whole 2 s chime measures SPEECH_REFERENCE_LUFS; a cut chime
    keeps that gain (it is the same strike, only stopped sooner).
    """
    _check_length(length_samples)
    if pitch_hz <= 0.0 or not math.isfinite(pitch_hz):
        raise ValueError(f"pitch must be a positive frequency, got {pitch_hz}")
    fundamental_hz = pitch_hz * 2.0**CHIME_OCTAVES_ABOVE_PITCH
    unscaled = _chime_unscaled(length_samples, fundamental_hz)
    return (unscaled * _chime_gain(fundamental_hz)).astype(np.float32)


def bell(ring_samples: int) -> np.ndarray:
    """A warm struck singing bowl that rings for ``ring_samples`` and fades to silence.

    Five inharmonic partials, each a slowly beating pair, a soft 4 ms mallet attack,
    and decays that scale with the ring so higher partials die first and a 1 s
    bell is a 60 s bell heard faster. Calibration: the whole ring measures
    SPEECH_REFERENCE_LUFS; since the envelope scales with the ring, the strike
    itself is equally loud for every ring length.
    """
    _check_length(ring_samples)
    if ring_samples == 0:
        return np.zeros(0, dtype=np.float32)
    ring_s = samples_to_float_s(ring_samples)
    struck = _struck(
        ring_samples, BELL_FUNDAMENTAL_HZ, BELL_PARTIALS, ring_s, BELL_BEAT_PAIR_GAIN
    ).astype(np.float32)
    faded = fade(
        struck, ms_to_samples(BELL_ATTACK_MS), round(ring_samples * BELL_FADE_OUT_FRACTION)
    )
    return calibrate(faded)


@dataclass(frozen=True)
class _BeatDesign:
    start_hz: float
    end_hz: float
    pitch_drop_s: float
    decay_s: float
    noise_cutoff_hz: float
    noise_level_db: float
    noise_decay_s: float


_PLAIN_BEAT = _BeatDesign(
    start_hz=120.0,
    end_hz=65.0,
    pitch_drop_s=0.04,
    decay_s=0.07,
    noise_cutoff_hz=300.0,
    noise_level_db=-14.0,
    noise_decay_s=0.015,
)
_ACCENT_BEAT = _BeatDesign(
    start_hz=150.0,
    end_hz=72.0,
    pitch_drop_s=0.04,
    decay_s=0.08,
    noise_cutoff_hz=800.0,
    noise_level_db=-10.0,
    noise_decay_s=0.02,
)
_BEAT_NOISE_SEED = 20240607


def _low_passed(samples: np.ndarray, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """A Butterworth low-pass's magnitude applied in the frequency domain (zero phase).

    Numpy alone: the beat is the only filtered sound made while mixing, and
    scipy.signal would add tens of megabytes to every render that has beats.
    """
    spectrum = np.fft.rfft(samples)
    frequency_hz = rfft_frequencies_hz(samples.shape[0])
    spectrum /= np.sqrt(1.0 + (frequency_hz / cutoff_hz) ** (2 * order))
    return np.fft.irfft(spectrum, samples.shape[0])


def _beat_unscaled(design: _BeatDesign) -> np.ndarray:
    length_samples = seconds_to_samples(BEAT_LENGTH_S)
    time_s = samples_to_float_s(np.arange(length_samples, dtype=np.float64))
    drop = np.exp(-time_s / design.pitch_drop_s)
    frequency_hz = design.end_hz + (design.start_hz - design.end_hz) * drop
    phase_rad = oscillator_phase_rad(frequency_hz)
    thump = np.sin(phase_rad - phase_rad[0]) * np.exp(-time_s / design.decay_s)
    noise = np.random.default_rng(_BEAT_NOISE_SEED).standard_normal(length_samples)
    muffled = _low_passed(noise, design.noise_cutoff_hz)
    muffled *= np.exp(-time_s / design.noise_decay_s)
    muffled *= db_to_gain(design.noise_level_db) / max(float(np.max(np.abs(muffled))), 1e-12)
    beat = (thump + muffled).astype(np.float32)
    return fade(beat, ms_to_samples(PERCUSSIVE_ATTACK_MS), ms_to_samples(30.0))


@lru_cache(maxsize=2)
def _movement_beat_cached(accent: bool) -> np.ndarray:
    plain = calibrate(_beat_unscaled(_PLAIN_BEAT))
    if not accent:
        return plain
    return calibrate(_beat_unscaled(_ACCENT_BEAT), SPEECH_REFERENCE_LUFS + BEAT_ACCENT_DB)


def movement_beat(accent: bool) -> np.ndarray:
    """A soft low thump for swaying and walking, BEAT_LENGTH_S long, felt more than heard.

    A sine dropping from about 120 to 65 Hz with a touch of low-passed noise for
    the footfall. ``accent`` starts higher, has brighter noise and is BEAT_ACCENT_DB
    louder. Calibration: the plain beat measures SPEECH_REFERENCE_LUFS, the accent
    that plus BEAT_ACCENT_DB, both with ``clip_loudness_lufs`` over the whole beat.
    """
    return _movement_beat_cached(accent).copy()
