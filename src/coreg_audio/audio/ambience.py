"""The continuous sound under a whole track: generated noises, ocean and rain, or a file.

Every source repeats one stereo loop that is seamless by construction, so a
block of samples is a pure function of its position: the mixer's two passes
and live playback's jumps all see the same samples. Generated loops come from
``ambience_generated``, a file's loop from ``ambience_file``; each is made as
loud as speech, and the mixer applies level, fades and ducking. Loops are kept
in the disk cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .. import cache
from ..errors import UsageError
from ..format.sounds import BUILT_IN_AMBIENCES
from ..suggest import suggestion
from ..units import CHANNELS, seconds_to_samples
from . import ambience_file, ambience_generated, decode
from .ambience_generated import GENERATED_LOOP_S, GENERATORS

SOURCE_FILES: tuple[str, ...] = (
    __file__,
    ambience_generated.__file__,
    ambience_file.__file__,
    decode.__file__,
)
"""The code that decides an ambience's samples, for cache keys."""
SANE_LOOP_PEAK = 64.0
"""Loops are as loud as speech (-23 LUFS); a sample of +36 dBFS is damage, not sound."""


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

    def __init__(
        self, name: str, build_loop: Callable[[], np.ndarray], content: str | None = None
    ) -> None:
        self.name = name
        self.content = content
        """A hash of the file the loop is made of; None for a generated one."""
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


def open_ambience(sound: str, seed: int) -> LoopedAmbience:
    """A built-in ambience by name, else the audio file ``sound`` names."""
    if sound in BUILT_IN_AMBIENCES:
        return built_in(sound, seed)
    return from_file(Path(sound))


def built_in(name: str, seed: int) -> LoopedAmbience:
    """The generated ambience ``name`` (one of BUILT_IN_AMBIENCES) for ``seed``.

    Nothing is computed until the first block (or ``prepare``); the same name
    and seed always give the same samples, another seed other samples.
    """
    if name not in GENERATORS:
        hint = suggestion(name, BUILT_IN_AMBIENCES)
        raise UsageError(
            f"unknown ambience '{name}'{hint} (built in: {', '.join(BUILT_IN_AMBIENCES)}; "
            "or give the path of an audio file)"
        )
    loop_samples = seconds_to_samples(GENERATED_LOOP_S)
    key = {"built_in": name, "seed": seed, "loop_samples": loop_samples}
    return LoopedAmbience(
        name,
        lambda: _cached_loop(
            key, lambda: ambience_generated.generated_loop(name, seed, loop_samples)
        ),
    )


def from_file(path: Path) -> LoopedAmbience:
    """An ambience looping the first FILE_MAX_S of an audio file in any format ffmpeg reads.

    The file is checked now, so a bad file is reported before any audio is
    made: ``ambience_file.UnusableAmbience`` (a UsageError) for a missing,
    unreadable, undecodable, silent, too short or absurdly long file,
    MissingComponent when ffmpeg is not installed. Its loop is kept in the cache
    by the file's content, hashed as it is read and remembered by its path, size
    and change time, so a file of hours is never in memory and read whole once.
    """
    ambience_file.check_file(path)
    try:
        content = cache.file_digest(path)
    except OSError as error:
        raise ambience_file.UnusableAmbience(
            path, f"cannot be read: {error.strerror or error}"
        ) from None
    loop = _cached_loop({"file": content}, lambda: ambience_file.file_loop(path))
    return LoopedAmbience(path.name, lambda: loop, content)


def _cached_loop(fields: dict[str, object], build: Callable[[], np.ndarray]) -> np.ndarray:
    """The loop from the disk cache (memory-mapped), or built now and stored.

    A loop takes tenfold its size in working memory to build and a fraction of a
    second; mapped from the cache it costs only the pages a render reads. The key
    holds the ambience code, so any change to a design makes new loops.
    """
    entries = cache.store("ambience", sane_loop)
    key = cache.content_key({**fields, "code": cache.source_fingerprint(*SOURCE_FILES)})
    stored = entries.get(key, mapped=True)
    if stored is not None:
        return stored
    built = np.ascontiguousarray(build(), dtype=np.float32)
    entries.put(key, built)
    return built


def sane_loop(loop: np.ndarray) -> bool:
    """A loop as made: stereo float32, not silent, its samples within SANE_LOOP_PEAK."""
    if loop.dtype != np.float32 or loop.ndim != 2 or loop.shape[1] != CHANNELS:
        return False
    if loop.shape[0] == 0:
        return False
    peak = float(np.max(np.abs(loop)))
    return 0.0 < peak <= SANE_LOOP_PEAK
