"""16-bit PCM WAV: TPDF-dithered quantization, and the sink that writes it."""

from __future__ import annotations

import os
import wave
from contextlib import suppress
from pathlib import Path
from typing import IO, Final

import numpy as np

from ..errors import RenderFailed
from ..units import CHANNELS
from .sink_base import Sink
from .tags import TrackInfo

_INT16_FULL_SCALE: Final = 32768.0
_BYTES_PER_FRAME: Final = 2 * CHANNELS
_MAX_DATA_BYTES: Final = 0xFFFFFFFF - 36


def quantize_int16(samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Float samples (full scale ±1) as native int16, clipped, with TPDF dither of ±1 LSB.

    TPDF dither makes the rounding error independent of the signal, so quiet
    fades keep their shape instead of turning into distortion. It is drawn from
    ``rng`` in sample order, so a file repeats exactly however the track is cut
    into blocks.
    """
    uniform = rng.random((*samples.shape, 2), dtype=np.float32)
    dither = uniform[..., 0] - uniform[..., 1]
    scaled = np.clip(samples, -2.0, 2.0).astype(np.float32) * np.float32(_INT16_FULL_SCALE)
    quantized: np.ndarray = np.clip(np.rint(scaled + dither), -32768, 32767).astype(np.int16)
    return quantized


class WavSink(Sink):
    """Stereo 16-bit PCM, dithered from a seed so a render repeats bit for bit."""

    def __init__(
        self, path: Path, info: TrackInfo, *, sample_rate_hz: int, dither_seed: int = 0
    ) -> None:
        super().__init__(path, info, sample_rate_hz=sample_rate_hz)
        self._rng = np.random.default_rng(dither_seed)
        self._file: IO[bytes] | None = None
        self._wave: wave.Wave_write | None = None

    def _start(self, fd: int, partial: Path) -> None:
        self._file = os.fdopen(fd, "wb")
        self._wave = wave.open(self._file, "wb")  # noqa: SIM115 - lives as long as the sink
        self._wave.setnchannels(CHANNELS)
        self._wave.setsampwidth(2)
        self._wave.setframerate(self.sample_rate_hz)

    def _write(self, samples: np.ndarray) -> None:
        assert self._wave is not None
        if (self.samples_written + len(samples)) * _BYTES_PER_FRAME > _MAX_DATA_BYTES:
            raise RenderFailed(f"cannot write {self.path}: a WAV file holds at most 4 GiB")
        self._wave.writeframesraw(quantize_int16(samples, self._rng).tobytes())

    def _finish(self) -> None:
        assert self._wave is not None and self._file is not None
        self._wave.close()
        self._file.close()

    def _abort(self) -> None:
        if self._wave is not None:
            with suppress(OSError):
                self._wave.close()
        if self._file is not None:
            with suppress(OSError):
                self._file.close()
