"""Audio files as float samples: speech engines' WAV files and ambience files.

A speech engine's short PCM WAV is parsed by pydub (imported late, so only a
command that reads a file pays for it). Any other file is probed by ffprobe
and decoded by ffmpeg as a stream, so a file of hours costs the memory of the
part that is used and no more.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..units import CHANNELS, SAMPLE_RATE_HZ


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


class UndecodableFile(ValueError):
    """ffmpeg cannot read a file as audio; ``str()`` is its reason in plain words."""


@dataclass(frozen=True)
class AudioFacts:
    """What ffprobe says of a file's first audio stream, read from its header."""

    channels: int
    sample_rate_hz: int
    duration_s: float | None
    """None where the container does not say."""


def probe_file(path: Path, ffprobe: str = "ffprobe") -> AudioFacts:
    """The facts of ``path``'s first audio stream; ``UndecodableFile`` if it has none."""
    command = [
        ffprobe, "-v", "error", "-select_streams", "a:0",
        "-show_entries", "stream=channels,sample_rate,duration:format=duration",
        "-of", "json", f"file:{path}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise UndecodableFile(_last_word(result.stderr))
    try:
        facts = json.loads(result.stdout)
        streams = facts.get("streams") or []
        if not streams:
            raise UndecodableFile("there is no sound in it (no audio stream)")
        stream = streams[0]
        channels, rate = int(stream["channels"]), int(stream["sample_rate"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        if isinstance(error, UndecodableFile):
            raise
        raise UndecodableFile("ffprobe cannot say what audio it holds") from None
    if channels < 1 or rate < 1:
        raise UndecodableFile("there is no sound in it (an empty audio stream)")
    duration = _seconds(stream.get("duration")) or _seconds(facts.get("format", {}).get("duration"))
    return AudioFacts(channels, rate, duration)


def decode_file(
    path: Path,
    max_s: float,
    *,
    channels: int,
    sample_rate_hz: int = SAMPLE_RATE_HZ,
    ffmpeg: str = "ffmpeg",
) -> np.ndarray:
    """The first ``max_s`` of ``path`` as float32 (n, 2) at ``sample_rate_hz``.

    ``channels`` is the file's own count (``probe_file``): mono is doubled, of
    more channels the front pair is kept. ffmpeg decodes and resamples; its
    output is read as it comes into one array of at most ``max_s``, so however
    long the file, nothing more is ever in memory. ``UndecodableFile`` if
    ffmpeg fails.
    """
    pan = "pan=stereo|c0=c0|c1=c0" if channels == 1 else "pan=stereo|c0=c0|c1=c1"
    command = [
        ffmpeg, "-nostdin", "-v", "error", "-i", f"file:{path}", "-map", "0:a:0",
        "-t", f"{max_s}", "-af", pan, "-ar", str(sample_rate_hz),
        "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1",
    ]  # fmt: skip
    most_bytes = (math.ceil(max_s * sample_rate_hz) + 1) * CHANNELS * 4
    buffer = bytearray(most_bytes)
    view = memoryview(buffer)
    filled = 0
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
        )
        stdout = process.stdout
        assert isinstance(stdout, io.BufferedReader)
        try:
            while filled < most_bytes:
                count = stdout.readinto(view[filled:])
                if not count:
                    break
                filled += count
        finally:
            stdout.close()
            if process.poll() is None and filled >= most_bytes:
                process.kill()
            status = process.wait()
        if status != 0 and filled < most_bytes:
            errors.seek(0)
            raise UndecodableFile(_last_word(errors.read()))
    view.release()
    frames = filled // (CHANNELS * 4)
    samples = np.frombuffer(buffer, dtype="<f4", count=frames * CHANNELS)
    return samples.reshape(frames, CHANNELS)


def _seconds(value: object) -> float | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _last_word(stderr: bytes) -> str:
    """ffmpeg's last word on a failure, e.g. 'Invalid data found when processing input'."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "ffmpeg cannot read it"
    return lines[-1].rsplit(": ", 1)[-1]
