"""Ambience from an audio file: its beginning, made into a seamless loop as loud as speech.

A file's loop is its beginning with its tail crossfaded into its head, made as
loud as speech (``SPEECH_REFERENCE_LUFS``) by gated integrated loudness. The
file is checked as it is made (it decodes, has sound, is not absurdly long or
large), each problem an ``UnusableAmbience`` whose reason a caller can place at
the script's ``sound`` line.
"""

from __future__ import annotations

import math
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import MissingComponent, UsageError
from ..time_text import h_mm_ss
from ..units import SAMPLE_RATE_HZ, db_to_gain, ms_to_samples, seconds_to_samples
from .decode import UndecodableFile, decode_file, probe_file
from .loudness import (
    ABSOLUTE_GATE_LUFS,
    SPEECH_REFERENCE_LUFS,
    LoudnessMeter,
    clip_loudness_lufs,
)

FILE_MAX_S = 120
"""Only a file's first two minutes are used (and read)."""
FILE_MIN_S = 0.5
FILE_LONGEST_S = 12 * 3600
"""Longer files (the longest ambience recordings sold run ten hours) are surely a mistake."""
FILE_LARGEST_BYTES = 8_000_000_000
FILE_CROSSFADE_MAX_S = 2.0
FILE_ALIGN_MAX_MS = 25.0

_INSTALL_FFMPEG = "sudo apt-get install ffmpeg"


_METER_BLOCK_SAMPLES = seconds_to_samples(4)
_GATING_BLOCK_SAMPLES = ms_to_samples(400)


def loop_loudness_lufs(loop: np.ndarray) -> float:
    """Gated integrated loudness of a (n, 2) loop; ungated when under one 400 ms block.

    -inf for silence. The meter gets the loop in 4 s pieces laid out column by
    column (Fortran order): the same figure, three times faster to filter.
    """
    meter = LoudnessMeter(channels=loop.shape[1])
    for start in range(0, loop.shape[0], _METER_BLOCK_SAMPLES):
        meter.add(np.asfortranarray(loop[start : start + _METER_BLOCK_SAMPLES], dtype=np.float64))
    if loop.shape[0] >= _GATING_BLOCK_SAMPLES:
        return meter.integrated_lufs()
    return clip_loudness_lufs(loop)


class UnusableAmbience(UsageError):
    """An ambience file that cannot be used; ``reason`` says why without naming the file."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"ambience file {path} {reason}")

    def __reduce__(self) -> tuple[type[UnusableAmbience], tuple[Path, str]]:
        return (UnusableAmbience, (self.path, self.reason))


def _tools() -> tuple[str, str]:
    """ffmpeg and ffprobe, or MissingComponent saying what to install."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    missing = [name for name, found in (("ffmpeg", ffmpeg), ("ffprobe", ffprobe)) if not found]
    if ffmpeg is None or ffprobe is None:
        raise MissingComponent(
            f"reading an ambience file needs {' and '.join(missing)}, which is not "
            f"installed: {_INSTALL_FFMPEG}"
        )
    return ffmpeg, ffprobe


def check_file(path: Path) -> int:
    """The file's size in bytes once it is a readable file of a sane size; else UnusableAmbience."""
    try:
        status = path.stat()
        if path.is_dir():
            raise UnusableAmbience(path, "is a folder, not an audio file")
        with path.open("rb"):
            pass
    except FileNotFoundError:
        raise UnusableAmbience(path, "is not there (not found)") from None
    except PermissionError:
        raise UnusableAmbience(path, "cannot be read: permission denied") from None
    except OSError as error:
        raise UnusableAmbience(path, f"cannot be read: {error.strerror or error}") from None
    if status.st_size == 0:
        raise UnusableAmbience(path, "is empty (0 bytes)")
    if status.st_size > FILE_LARGEST_BYTES:
        raise UnusableAmbience(
            path,
            f"is {status.st_size / 1e9:.1f} GB; an ambience file may hold at most "
            f"{FILE_LARGEST_BYTES / 1e9:.0f} GB (only its first {FILE_MAX_S // 60} minutes "
            "are used: cut it shorter)",
        )
    return status.st_size


def _decode(path: Path) -> np.ndarray:
    """The first FILE_MAX_S of ``path`` as float32 (n, 2) at our rate, or UnusableAmbience."""
    ffmpeg, ffprobe = _tools()
    try:
        facts = probe_file(path, ffprobe)
        if facts.duration_s is not None and facts.duration_s > FILE_LONGEST_S:
            raise UnusableAmbience(
                path,
                f"lasts {h_mm_ss(Fraction(round(facts.duration_s)))}; an ambience file may last "
                f"at most {h_mm_ss(Fraction(FILE_LONGEST_S))} (only its first "
                f"{FILE_MAX_S // 60} minutes are used: cut it shorter)",
            )
        samples = decode_file(path, FILE_MAX_S, channels=facts.channels, ffmpeg=ffmpeg)
    except UndecodableFile as error:
        raise UnusableAmbience(
            path, f"cannot be decoded: ffmpeg cannot read it as audio ({error})"
        ) from None
    finite: np.ndarray = np.nan_to_num(samples, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return finite


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
    """The loop made of ``path``: (n, 2) float32, as loud as speech; else UnusableAmbience."""
    check_file(path)
    samples = _decode(path)
    duration_s = samples.shape[0] / SAMPLE_RATE_HZ
    if samples.shape[0] == 0:
        raise UnusableAmbience(path, "has no sound in it (no audio decoded)")
    if duration_s < FILE_MIN_S:
        raise UnusableAmbience(
            path, f"is too short ({duration_s:.2f} s); it must last at least {FILE_MIN_S} s"
        )
    loop = seamless_loop(samples)
    del samples
    measured_lufs = loop_loudness_lufs(loop)
    if not measured_lufs >= ABSOLUTE_GATE_LUFS:
        raise UnusableAmbience(
            path,
            f"is silent (quieter than {ABSOLUTE_GATE_LUFS:.0f} LUFS in its first "
            f"{FILE_MAX_S // 60} minutes, the part that is used)",
        )
    loop *= np.float32(db_to_gain(SPEECH_REFERENCE_LUFS - measured_lufs))
    return loop
