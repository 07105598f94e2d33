"""The continuous sound under a whole track: generated noises, ocean and rain, or a file.

Every source repeats one stereo loop that is seamless by construction, so a
block of samples is a pure function of its position: the mixer's two passes
and live playback's jumps all see the same samples. Generated loops are noise
shaped in the frequency domain with random phases (periodic by construction),
with waves, gusts and drops placed circularly on the loop; a file's loop is
its beginning with its tail crossfaded into its head.

Each loop is made as loud as speech (``SPEECH_REFERENCE_LUFS``) over the whole
loop: gated integrated loudness for files; for generated loops, which have no
quiet stretches for the gates to drop, the faster ungated figure, the same
within 0.05 LU. The mixer applies level, fades and ducking.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import threading
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .. import cache
from ..errors import MissingComponent, UsageError
from ..format.sounds import BUILT_IN_AMBIENCES
from ..suggest import suggestion
from ..units import CHANNELS, SAMPLE_RATE_HZ, db_to_gain, ms_to_samples, seconds_to_samples
from .loudness import SPEECH_REFERENCE_LUFS, LoudnessMeter, clip_loudness_lufs
from .sounds import raised_cosine

GENERATED_LOOP_S = 60
"""Long enough that nothing recognisably repeats; 60 s of stereo float32 is 21 MB."""
FILE_MAX_S = 120
FILE_MIN_S = 0.5
FILE_CROSSFADE_MAX_S = 2.0
FILE_ALIGN_MAX_MS = 25.0

_INSTALL_FFMPEG = "sudo apt-get install ffmpeg"


@runtime_checkable
class AmbienceSource(Protocol):
    """Endless stereo sound addressed by sample position."""

    def block(self, start_sample: int, length_samples: int) -> np.ndarray:
        """Samples ``start_sample`` to ``start_sample + length_samples``, shape (n, 2) float32.

        The same position always gives the same samples, whatever was asked before.
        """
        ...


class LoopedAmbience:
    """An ambience that repeats one seamless loop, built on first use and kept.

    The loop is read-only and every block is a fresh array, so callers may
    scale blocks in place. Building is guarded by a lock because live playback
    may ask for the first block from its audio thread.
    """

    def __init__(self, name: str, build_loop: Callable[[], np.ndarray]) -> None:
        self.name = name
        self._build_loop = build_loop
        self._loop: np.ndarray | None = None
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Build the loop now (it takes a fraction of a second) rather than on the first block."""
        self._get_loop()

    @property
    def loop_samples(self) -> int:
        return int(self._get_loop().shape[0])

    def _get_loop(self) -> np.ndarray:
        loop = self._loop
        if loop is None:
            with self._lock:
                if self._loop is None:
                    built = np.ascontiguousarray(self._build_loop(), dtype=np.float32)
                    if built.ndim != 2 or built.shape[1] != CHANNELS or built.shape[0] == 0:
                        raise ValueError(f"ambience loop has shape {built.shape}")
                    built.flags.writeable = False
                    self._loop = built
                loop = self._loop
        return loop

    def block(self, start_sample: int, length_samples: int) -> np.ndarray:
        if length_samples < 0:
            raise ValueError(f"cannot take {length_samples} samples")
        loop = self._get_loop()
        loop_samples = loop.shape[0]
        out = np.empty((length_samples, CHANNELS), dtype=np.float32)
        position = start_sample % loop_samples
        filled = 0
        while filled < length_samples:
            take = min(loop_samples - position, length_samples - filled)
            out[filled : filled + take] = loop[position : position + take]
            filled += take
            position = 0
        return out

    def __repr__(self) -> str:
        return f"LoopedAmbience({self.name!r})"


_METER_BLOCK_SAMPLES = seconds_to_samples(4)


def loop_loudness_lufs(loop: np.ndarray) -> float:
    """Gated integrated loudness of a (n, 2) loop; ungated when under one 400 ms block.

    -inf for silence. The meter gets the loop in 4 s pieces laid out column by
    column (Fortran order): the same figure, three times faster to filter.
    """
    meter = LoudnessMeter(channels=loop.shape[1])
    for start in range(0, loop.shape[0], _METER_BLOCK_SAMPLES):
        meter.add(np.asfortranarray(loop[start : start + _METER_BLOCK_SAMPLES], dtype=np.float64))
    measured_lufs = meter.integrated_lufs()
    if math.isfinite(measured_lufs):
        return measured_lufs
    return clip_loudness_lufs(loop)


# --- generated ambience ---------------------------------------------------------------


def _rng(name: str, seed: int) -> np.random.Generator:
    """A generator for one ambience and seed; the name keeps sources of one seed apart."""
    entropy = [seed % 2**64, zlib.crc32(name.encode("utf-8"))]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def _fast_loudness_lufs(channels_first: np.ndarray) -> float:
    """Ungated K-weighted loudness of a (2, n) loop, one contiguous channel at a time.

    Generated loops have no quiet stretches, so the BS.1770 gates would drop
    nothing and this equals the gated figure (the tests check it against
    LoudnessMeter); measured per channel it is three times faster.
    """
    power = sum(
        10.0 ** ((clip_loudness_lufs(np.ascontiguousarray(channel)) + 0.691) / 10.0)
        for channel in channels_first
    )
    return -0.691 + 10.0 * math.log10(power)


def _highpass(frequency_hz: np.ndarray, corner_hz: float, order: int = 2) -> np.ndarray:
    ratio = (frequency_hz / corner_hz) ** order
    result: np.ndarray = ratio / np.sqrt(1.0 + ratio * ratio)
    return result


def _lowpass(frequency_hz: np.ndarray, corner_hz: float, order: int = 2) -> np.ndarray:
    result: np.ndarray = 1.0 / np.sqrt(1.0 + (frequency_hz / corner_hz) ** (2 * order))
    return result


@dataclass(frozen=True)
class _NoiseBed:
    """White spectra for one loop, shared by every shaped layer made from them.

    Layers cut from the same white noise overlap coherently where their bands
    meet, so crossfading between a dark and a bright layer acts like a moving
    filter rather than two sounds. Arrays here are channels-first, (2, n).
    """

    spectra: np.ndarray
    frequency_hz: np.ndarray
    loop_samples: int

    @classmethod
    def make(cls, rng: np.random.Generator, loop_samples: int, correlation: float) -> _NoiseBed:
        """Two unit-magnitude spectra with random phases, the right one partly the left's.

        Random phase alone makes Gaussian-like noise (each sample sums a million
        sinusoids) with a perfectly even spectrum, at a third of the cost of
        drawing Gaussian spectra.
        """
        bins = loop_samples // 2 + 1
        angles = rng.random((2, bins), dtype=np.float32) * np.float32(2.0 * math.pi)
        unit = np.empty((2, bins), dtype=np.complex64)
        unit.real = np.cos(angles)
        unit.imag = np.sin(angles)
        spectra = np.empty((2, bins), dtype=np.complex64)
        spectra[0] = unit[0]
        spectra[1] = correlation * unit[0] + math.sqrt(1.0 - correlation**2) * unit[1]
        frequency_hz = np.fft.rfftfreq(loop_samples, 1.0 / SAMPLE_RATE_HZ).astype(np.float32)
        return cls(spectra, frequency_hz, loop_samples)

    def layers(self, amplitudes: list[np.ndarray]) -> list[np.ndarray]:
        """One (2, n) periodic noise per spectral amplitude curve, each at unit RMS."""
        shaped = np.empty((2 * len(amplitudes), self.spectra.shape[1]), dtype=np.complex64)
        for index, amplitude in enumerate(amplitudes):
            gain = amplitude.astype(np.float32)
            gain[0] = 0.0
            np.multiply(self.spectra, gain, out=shaped[2 * index : 2 * index + 2])
        import scipy.fft  # building a loop is rare (loops are cached); keep renders light

        signals = scipy.fft.irfft(shaped, n=self.loop_samples, axis=-1)
        out = []
        for index in range(len(amplitudes)):
            stereo = signals[2 * index : 2 * index + 2]
            rms = math.sqrt(sum(float(np.vdot(row, row)) for row in stereo) / stereo.size)
            stereo *= np.float32(1.0 / max(rms, 1e-20))
            out.append(stereo)
        return out


def _safe_frequencies(frequency_hz: np.ndarray) -> np.ndarray:
    """Frequencies with the DC bin nudged off zero so 1/f shapes stay finite."""
    result: np.ndarray = np.maximum(frequency_hz, frequency_hz[1])
    return result


def _colored_noise(
    rng: np.random.Generator, loop_samples: int, exponent: float, correlation: float
) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (1: pink, 2: brown), high-passed at 20 Hz."""
    bed = _NoiseBed.make(rng, loop_samples, correlation)
    f = _safe_frequencies(bed.frequency_hz)
    (noise,) = bed.layers([f ** (-exponent / 2.0) * _highpass(f, 20.0)])
    return noise


def _pink_noise(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    return _colored_noise(rng, loop_samples, exponent=1.0, correlation=0.3)


def _brown_noise(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    return _colored_noise(rng, loop_samples, exponent=2.0, correlation=0.5)


_CONTROL_STEP_SAMPLES = 441
"""Envelopes are drawn at 100 points a second and interpolated linearly between them."""


def _circular_events(
    rng: np.random.Generator, loop_s: float, min_gap_s: float, max_gap_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Event times spaced min_gap..max_gap apart (roughly) that tile the loop exactly.

    Gaps are drawn at random and then scaled together so they sum to the loop,
    so the spacing across the wrap is like every other spacing.
    """
    count = max(1, round(loop_s / ((min_gap_s + max_gap_s) / 2.0)))
    gaps_s = rng.uniform(min_gap_s, max_gap_s, count)
    gaps_s *= loop_s / gaps_s.sum()
    starts_s = np.concatenate([[0.0], np.cumsum(gaps_s)[:-1]]) + rng.uniform(0.0, loop_s)
    return np.mod(starts_s, loop_s), gaps_s


def _control_times_s(loop_samples: int) -> np.ndarray:
    if loop_samples % _CONTROL_STEP_SAMPLES:
        raise ValueError(f"a generated loop must be whole control steps, not {loop_samples}")
    result: np.ndarray = (
        np.arange(loop_samples // _CONTROL_STEP_SAMPLES) * _CONTROL_STEP_SAMPLES / SAMPLE_RATE_HZ
    )
    return result


def _control_to_audio(control: np.ndarray) -> np.ndarray:
    """Periodic control curves (k, m) stretched to (k, m * _CONTROL_STEP_SAMPLES) float32.

    Linear between points, and from the last point back to the first across the wrap.
    """
    start = control.astype(np.float32)
    rise = np.roll(start, -1, axis=1) - start
    ramp = np.arange(_CONTROL_STEP_SAMPLES, dtype=np.float32) / _CONTROL_STEP_SAMPLES
    audio = start[:, :, None] + rise[:, :, None] * ramp[None, None, :]
    return audio.reshape(control.shape[0], -1)


def _ocean(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    """Slow irregular swells over a dark rumble that never stops.

    Each wave lifts the rumble and, more steeply, a brighter surf layer, so the
    sound grows brighter as well as louder towards the crest; the surf lingers
    as a hissing wash while the water draws back. Waves come from slightly
    different sides.
    """
    loop_s = loop_samples / SAMPLE_RATE_HZ
    bed = _NoiseBed.make(rng, loop_samples, correlation=0.35)
    f = _safe_frequencies(bed.frequency_hz)
    rumble, surf = bed.layers(
        [
            f**-1.0 * _highpass(f, 30.0) * _lowpass(f, 500.0),
            f**-0.5 * _highpass(f, 150.0) * _lowpass(f, 5000.0),
        ]
    )

    time_s = _control_times_s(loop_samples)
    starts_s, gaps_s = _circular_events(rng, loop_s, 6.0, 12.0)
    swell = np.zeros((2, time_s.size))
    wash = np.zeros((2, time_s.size))
    for start_s, gap_s in zip(starts_s, gaps_s, strict=True):
        height = rng.uniform(0.55, 1.0)
        pan_angle = (rng.uniform(-0.35, 0.35) + 1.0) * math.pi / 4.0
        side_gains = math.sqrt(2.0) * np.array([math.cos(pan_angle), math.sin(pan_angle)])
        since_s = np.mod(time_s - start_s, loop_s)
        rise_s = 0.4 * gap_s
        rising = 0.5 - 0.5 * np.cos(math.pi * np.minimum(since_s / rise_s, 1.0))
        falling = np.exp(-np.maximum(since_s - rise_s, 0.0) / (0.25 * gap_s))
        swell += height * np.outer(side_gains, rising * falling)
        after_crest_s = since_s - rise_s
        lingering = (after_crest_s > 0.0) * np.exp(-np.maximum(after_crest_s, 0.0) / (0.4 * gap_s))
        wash += height * np.outer(side_gains, rising * lingering)
    swell /= swell.max()
    wash /= wash.max()
    rumble_gain = 0.45 + 0.55 * swell
    surf_gain = db_to_gain(-2.0) * (0.08 + 0.92 * np.maximum(swell * swell, 0.35 * wash))
    gains = _control_to_audio(np.concatenate([rumble_gain, surf_gain]))
    rumble *= gains[0:2]
    surf *= gains[2:4]
    rumble += surf
    return rumble


_RAIN_DROPS_PER_S = 7.0
_DROP_MAX_S = 0.06
_DROP_PEAK_DB = 8.0
"""A drop's typical peak over the hiss's RMS: plinks just above the rain, never on top of it."""
_DROP_PEAK_SPREAD_DB = 4.0


def _raindrops(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    """Sparse small drops, (2, n): short rising blips of 1.8-4.5 kHz placed around the loop."""
    count = round(_RAIN_DROPS_PER_S * loop_samples / SAMPLE_RATE_HZ)
    length = seconds_to_samples(_DROP_MAX_S)
    local_s = np.arange(length) / SAMPLE_RATE_HZ
    pitch_hz = np.exp(rng.uniform(math.log(1800.0), math.log(4500.0), (count, 1)))
    decay_s = rng.uniform(0.004, 0.010, (count, 1))
    level = 10.0 ** (rng.normal(_DROP_PEAK_DB, _DROP_PEAK_SPREAD_DB, (count, 1)) / 20.0)
    pan_angle = (rng.uniform(-0.8, 0.8, count) + 1.0) * math.pi / 4.0
    starts = rng.integers(loop_samples, size=(count, 1))
    chirp_hz = pitch_hz * (1.0 + 0.25 * local_s / _DROP_MAX_S)
    phase = 2.0 * math.pi * np.cumsum(chirp_hz, axis=1) / SAMPLE_RATE_HZ
    drops = level * np.sin(phase) * np.exp(-local_s / decay_s)
    attack_samples = ms_to_samples(0.6)
    drops[:, :attack_samples] *= raised_cosine(attack_samples)
    drops[:, length - length // 2 :] *= raised_cosine(length // 2)[::-1]
    where = ((starts + np.arange(length)) % loop_samples).ravel()
    return np.stack(
        [
            np.bincount(where, (drops * side(pan_angle)[:, None]).ravel(), loop_samples)
            for side in (np.cos, np.sin)
        ]
    ).astype(np.float32)


def _rain(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
    """Steady soft rain: a band-limited hiss over a faint low body, its level breathing
    slowly, and sparse small drops scattered around the listener."""
    loop_s = loop_samples / SAMPLE_RATE_HZ
    bed = _NoiseBed.make(rng, loop_samples, correlation=0.2)
    f = _safe_frequencies(bed.frequency_hz)
    hiss = f**-0.5 * _highpass(f, 500.0) * _lowpass(f, 6000.0, order=3)
    body = f**-1.0 * _highpass(f, 40.0) * _lowpass(f, 250.0)
    body *= db_to_gain(-8.0) * float(np.sqrt(np.sum(hiss**2) / np.sum(body**2)))
    (mix,) = bed.layers([hiss + body])
    time_s = _control_times_s(loop_samples)
    gusts = np.ones_like(time_s)
    for cycles in (3, 5, 7, 11):
        offset = rng.uniform(0.0, 2.0 * math.pi)
        gusts += 0.05 * np.sin(2.0 * math.pi * cycles * time_s / loop_s + offset)
    mix *= _control_to_audio(gusts[None, :])
    mix += _raindrops(rng, loop_samples)
    return mix


_GENERATORS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "ocean": _ocean,
    "rain": _rain,
    "brown-noise": _brown_noise,
    "pink-noise": _pink_noise,
}


def built_in(name: str, seed: int) -> LoopedAmbience:
    """The generated ambience ``name`` (one of BUILT_IN_AMBIENCES) for ``seed``.

    Nothing is computed until the first block (or ``prepare``); the same name
    and seed always give the same samples, another seed other samples.
    """
    generator = _GENERATORS.get(name)
    if generator is None:
        hint = suggestion(name, BUILT_IN_AMBIENCES)
        raise UsageError(
            f"unknown ambience '{name}'{hint} (built in: {', '.join(BUILT_IN_AMBIENCES)}; "
            "or give the path of an audio file)"
        )
    loop_samples = seconds_to_samples(GENERATED_LOOP_S)

    def build() -> np.ndarray:
        channels_first = generator(_rng(name, seed), loop_samples)
        gain = db_to_gain(SPEECH_REFERENCE_LUFS - _fast_loudness_lufs(channels_first))
        return (channels_first * np.float32(gain)).T

    key = {"built_in": name, "seed": seed, "loop_samples": loop_samples}
    return LoopedAmbience(name, lambda: _cached_loop(key, build))


def _cached_loop(fields: dict[str, object], build: Callable[[], np.ndarray]) -> np.ndarray:
    """The loop from the disk cache (memory-mapped), or built now and stored.

    A loop takes tenfold its size in working memory to build and a fraction of a
    second; mapped from the cache it costs only the pages a render reads. The key
    holds this module's source, so any change to a design makes new loops.
    """
    entries = cache.store("ambience")
    key = cache.content_key({**fields, "code": cache.source_fingerprint(__file__)})
    stored = entries.get(key, mapped=True)
    if (
        stored is not None
        and stored.dtype == np.float32
        and stored.ndim == 2
        and stored.shape[1] == CHANNELS
        and stored.shape[0] > 0
    ):
        return stored
    built = np.ascontiguousarray(build(), dtype=np.float32)
    entries.put(key, built)
    return built


# --- ambience from a file ---------------------------------------------------------------


def _audio_segment_class() -> Any:
    """pydub's AudioSegment, imported late and quietly.

    Importing pydub warns when ffmpeg is missing (we say so ourselves, better)
    and, on Python 3.11-3.12, that audioop is deprecated; neither is the user's
    business.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
    return AudioSegment


def _ffmpeg_reason(error: Exception) -> str:
    """ffmpeg's last word on a failure, e.g. 'Invalid data found when processing input'."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return lines[-1].rsplit(": ", 1)[-1]


def _segment_to_float(segment: Any) -> np.ndarray:
    """A pydub segment as float32 (n, channels) in [-1, 1].

    pydub keeps samples as signed little-endian integers (it re-biases 8-bit
    WAV's unsigned bytes itself); 24-bit is widened to 32 first.
    """
    if segment.sample_width == 3:
        segment = segment.set_sample_width(4)
    width = segment.sample_width
    if width not in (1, 2, 4):
        raise ValueError(f"unsupported sample width {width}")
    integers = np.frombuffer(segment.raw_data, dtype=np.dtype(f"<i{width}"))
    samples = integers.astype(np.float32) / float(2 ** (8 * width - 1))
    return samples.reshape(-1, segment.channels)


def _decode(path: Path) -> tuple[np.ndarray, int]:
    """The first FILE_MAX_S of ``path`` as float32 (n, channels) and its sample rate."""
    audio_segment = _audio_segment_class()
    missing = [
        tool
        for tool, found in (
            ("ffmpeg", shutil.which(audio_segment.converter)),
            ("ffprobe", shutil.which("ffprobe") or shutil.which("avprobe")),
        )
        if not found
    ]
    if missing:
        raise MissingComponent(
            f"reading ambience file {path} needs {' and '.join(missing)}, which is not "
            f"installed: {_INSTALL_FFMPEG}"
        )
    try:
        with path.open("rb") as audio_file:
            # Given a '.wav' name, pydub parses the file itself and reads float
            # samples as integers; given an open file it always asks ffmpeg.
            source: Any = audio_file if path.suffix.lower() == ".wav" else str(path)
            segment = audio_segment.from_file(source, duration=FILE_MAX_S)
    except FileNotFoundError as error:
        if error.filename in (None, str(path)) and not path.exists():
            raise UsageError(f"ambience file not found: {path}") from error
        raise MissingComponent(
            f"reading ambience file {path} needs ffmpeg, which could not be run: {_INSTALL_FFMPEG}"
        ) from error
    except IsADirectoryError as error:
        raise UsageError(f"ambience path {path} is a folder, not an audio file") from error
    except PermissionError as error:
        raise UsageError(f"cannot read ambience file {path}: permission denied") from error
    except IndexError as error:
        raise UsageError(f"ambience file {path} has no audio in it") from error
    except Exception as error:  # pydub raises many kinds (CouldntDecodeError, KeyError, ...)
        raise UsageError(
            f"cannot decode ambience file {path}: ffmpeg cannot read it as audio "
            f"({_ffmpeg_reason(error)})"
        ) from error
    return _segment_to_float(segment), int(segment.frame_rate)


def _to_stereo_44k(samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """Mono is doubled; of more channels the front pair (the first two) is kept."""
    stereo = np.repeat(samples, 2, axis=1) if samples.shape[1] == 1 else samples[:, :2]
    if sample_rate_hz != SAMPLE_RATE_HZ:
        ratio = Fraction(SAMPLE_RATE_HZ, sample_rate_hz).limit_denominator(1000)
        from scipy.signal import resample_poly

        stereo = resample_poly(stereo, ratio.numerator, ratio.denominator, axis=0)
    return np.ascontiguousarray(stereo, dtype=np.float32)


def seamless_loop(samples: np.ndarray) -> np.ndarray:
    """``samples`` (n, 2) made into a loop by crossfading its tail into its head.

    The crossfade is FILE_CROSSFADE_MAX_S long, or a quarter of the sound when
    that is shorter. The loop is shorter than the sound by the crossfade (and
    up to FILE_ALIGN_MAX_MS more): its last sample is followed, on the wrap, by
    the sample that followed it in the original, and the crossfade's end joins
    the head where the head continues.

    Tonal sound (a drone, a hum) would beat or cancel when a tail meets a head
    in the wrong phase, so the loop's end is moved by up to FILE_ALIGN_MAX_MS to
    where tail and head agree best, and the crossfade keeps the power constant
    for the correlation they then have: equal-power (sine/cosine) for unrelated
    sound such as noise, equal-gain for sound that matches.
    """
    from scipy.signal import correlate

    length = samples.shape[0]
    crossfade = min(seconds_to_samples(FILE_CROSSFADE_MAX_S), length // 4)
    if crossfade == 0:
        return np.array(samples, dtype=np.float32, copy=True)
    search = min(ms_to_samples(FILE_ALIGN_MAX_MS), length // 8)
    head = samples[:crossfade].astype(np.float64)
    region = samples[length - crossfade - search :].astype(np.float64)
    products = sum(
        correlate(region[:, channel], head[:, channel], mode="valid", method="fft")
        for channel in range(head.shape[1])
    )
    running = np.concatenate([[0.0], np.cumsum(np.sum(region * region, axis=1))])
    window_energy = running[crossfade:] - running[:-crossfade]
    head_energy = float(np.sum(head * head))
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = products / np.sqrt(window_energy * head_energy)
    correlation = np.nan_to_num(correlation, nan=0.0)
    offset = int(np.argmax(correlation))
    loop_length = length - crossfade - search + offset
    agreement = float(np.clip(correlation[offset], 0.0, 1.0))

    angle = (math.pi / 2.0) * np.arange(crossfade, dtype=np.float64) / crossfade
    rising, falling = np.sin(angle), np.cos(angle)
    norm = np.sqrt(1.0 + 2.0 * agreement * rising * falling)
    fade_in = (rising / norm).astype(np.float32)[:, None]
    fade_out = (falling / norm).astype(np.float32)[:, None]
    loop = np.array(samples[:loop_length], dtype=np.float32, copy=True)
    tail = samples[loop_length : loop_length + crossfade]
    loop[:crossfade] = samples[:crossfade] * fade_in + tail * fade_out
    return loop


def from_file(path: Path) -> LoopedAmbience:
    """An ambience looping the first FILE_MAX_S of an audio file in any format ffmpeg reads.

    The file is decoded and checked now, so a bad file is reported before any
    audio is made. Raises UsageError for a missing, unreadable, silent or too
    short (< FILE_MIN_S) file, MissingComponent when ffmpeg is not installed.
    """
    if not path.exists():
        raise UsageError(f"ambience file not found: {path}")
    if path.is_file() and path.stat().st_size == 0:
        raise UsageError(f"ambience file {path} is empty")
    try:
        content = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise UsageError(f"cannot read ambience file {path}: {error.strerror or error}") from None
    loop = _cached_loop({"file": content}, lambda: _file_loop(path))
    return LoopedAmbience(path.name, lambda: loop)


def _file_loop(path: Path) -> np.ndarray:
    samples, sample_rate_hz = _decode(path)
    duration_s = samples.shape[0] / sample_rate_hz if sample_rate_hz else 0.0
    if duration_s < FILE_MIN_S:
        raise UsageError(
            f"ambience file {path} is too short ({duration_s:.2f} s); it must last at least "
            f"{FILE_MIN_S} s"
        )
    loop = seamless_loop(_to_stereo_44k(samples, sample_rate_hz))
    measured_lufs = loop_loudness_lufs(loop)
    if not math.isfinite(measured_lufs):
        raise UsageError(f"ambience file {path} is silent")
    loop *= np.float32(db_to_gain(SPEECH_REFERENCE_LUFS - measured_lufs))
    return loop
