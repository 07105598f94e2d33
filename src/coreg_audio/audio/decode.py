"""Audio files as float samples: the one decoder, pydub (and ffmpeg behind it).

Speech engines' WAV files and ambience files both come in here; pydub is
imported late, so only a command that reads a file pays for it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np


def audio_segment_class() -> Any:
    """pydub's AudioSegment, imported late and quietly.

    Importing pydub warns when ffmpeg is missing (the callers say so themselves,
    better) and, on Python 3.11-3.12, that audioop is deprecated; neither is the
    user's business.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
    return AudioSegment


def segment_samples(segment: Any, dtype: type[np.floating[Any]] = np.float32) -> np.ndarray:
    """A pydub segment as float (n, channels) in [-1, 1].

    pydub keeps samples as signed little-endian integers (it re-biases 8-bit
    WAV's unsigned bytes itself); 24-bit is widened to 32 first.
    """
    if segment.sample_width == 3:
        segment = segment.set_sample_width(4)
    width = segment.sample_width
    if width not in (1, 2, 4):
        raise ValueError(f"unsupported sample width {width}")
    integers = np.frombuffer(segment.raw_data, dtype=np.dtype(f"<i{width}"))
    samples = integers.astype(dtype) / float(2 ** (8 * width - 1))
    return samples.reshape(-1, segment.channels)


def read_pcm_file(path: Path) -> tuple[np.ndarray, int]:
    """A plain PCM WAV (or AIFF) file as float64 (n, channels) and its sample rate.

    pydub parses a WAV file itself, without starting ffmpeg: fast, and enough
    for the integer PCM a speech engine writes. Any pydub failure is raised as it is.
    """
    segment = audio_segment_class().from_file(str(path), format=path.suffix.lstrip(".") or None)
    return segment_samples(segment, np.float64), int(segment.frame_rate)


def decode_file(path: Path, max_s: float) -> tuple[np.ndarray, int]:
    """The first ``max_s`` of any audio file ffmpeg reads, as float32 (n, channels), and its rate.

    Any pydub or ffmpeg failure is raised as it is, for the caller to explain.
    """
    audio_segment = audio_segment_class()
    with path.open("rb") as audio_file:
        # Given a '.wav' name, pydub parses the file itself and reads float
        # samples as integers; given an open file it always asks ffmpeg.
        source: Any = audio_file if path.suffix.lower() == ".wav" else str(path)
        segment = audio_segment.from_file(source, duration=max_s)
    return segment_samples(segment, np.float32), int(segment.frame_rate)
