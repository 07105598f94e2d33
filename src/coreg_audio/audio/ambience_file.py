"""Ambience from an audio file: its beginning, made into a seamless loop as loud as speech.

A file's loop is its beginning with its tail crossfaded into its head, made as
loud as speech (``SPEECH_REFERENCE_LUFS``) by gated integrated loudness.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np

from ..errors import MissingComponent, UsageError
from ..units import db_to_gain, ms_to_samples, rate_ratio, seconds_to_samples
from .decode import audio_segment_class, decode_file
from .loudness import SPEECH_REFERENCE_LUFS, LoudnessMeter, clip_loudness_lufs

FILE_MAX_S = 120
FILE_MIN_S = 0.5
FILE_CROSSFADE_MAX_S = 2.0
FILE_ALIGN_MAX_MS = 25.0

_INSTALL_FFMPEG = "sudo apt-get install ffmpeg"


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


def _ffmpeg_reason(error: Exception) -> str:
    """ffmpeg's last word on a failure, e.g. 'Invalid data found when processing input'."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return lines[-1].rsplit(": ", 1)[-1]


def _decode(path: Path) -> tuple[np.ndarray, int]:
    """The first FILE_MAX_S of ``path`` as float32 (n, channels) and its sample rate."""
    missing = [
        tool
        for tool, found in (
            ("ffmpeg", shutil.which(audio_segment_class().converter)),
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
        return decode_file(path, FILE_MAX_S)
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


def _to_stereo(samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """Stereo at our rate: mono is doubled; of more channels the front pair is kept."""
    stereo = np.repeat(samples, 2, axis=1) if samples.shape[1] == 1 else samples[:, :2]
    ratio = rate_ratio(sample_rate_hz)
    if ratio != 1:
        ratio = ratio.limit_denominator(1000)
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


def file_loop(path: Path) -> np.ndarray:
    """The loop made of ``path``: (n, 2) float32, as loud as speech; UsageError if unusable."""
    samples, sample_rate_hz = _decode(path)
    duration_s = samples.shape[0] / sample_rate_hz if sample_rate_hz else 0.0
    if duration_s < FILE_MIN_S:
        raise UsageError(
            f"ambience file {path} is too short ({duration_s:.2f} s); it must last at least "
            f"{FILE_MIN_S} s"
        )
    loop = seamless_loop(_to_stereo(samples, sample_rate_hz))
    measured_lufs = loop_loudness_lufs(loop)
    if not math.isfinite(measured_lufs):
        raise UsageError(f"ambience file {path} is silent")
    loop *= np.float32(db_to_gain(SPEECH_REFERENCE_LUFS - measured_lufs))
    return loop
