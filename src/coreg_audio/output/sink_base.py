"""A track being written: the whole-or-nothing life of one output file.

A sink writes to a hidden partial file beside its target and renames it into
place only once the encoder has finished, so a failure or Ctrl-C never leaves
a half-written track behind, and never harms a file already at the target.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np

from ..atomic import PartialFile
from ..errors import RenderFailed
from ..units import CHANNELS
from .tags import TrackInfo


class Sink(ABC):
    """A track being written: enter it, ``write`` its blocks in order, leave it.

    Leaving normally finishes the file and renames it into place; leaving by any
    exception, Ctrl-C included, stops the encoder, deletes the partial file and
    re-raises, so nothing appears at ``path`` and a file already there is kept.
    """

    def __init__(self, path: Path, info: TrackInfo, *, sample_rate_hz: int) -> None:
        self.path = path
        self.info = info
        self.sample_rate_hz = sample_rate_hz
        self.samples_written = 0
        self.inspect: Callable[[Path], None] | None = None
        """Called with the finished partial file before it becomes the track; what it
        raises abandons the file like any failure."""
        self._partial: PartialFile | None = None
        self._open = False

    @abstractmethod
    def _start(self, fd: int, partial: Path) -> None:
        """Begin encoding into ``partial``; the sink now owns ``fd``, open for writing."""

    @abstractmethod
    def _write(self, samples: np.ndarray) -> None: ...

    @abstractmethod
    def _finish(self) -> None:
        """Complete the file; raise if it is not whole."""

    @abstractmethod
    def _abort(self) -> None:
        """Stop at once and release everything; must not raise."""

    def __enter__(self) -> Self:
        if self._partial is not None:
            raise RuntimeError("a sink can be used only once")
        self._partial = PartialFile(self.path)
        try:
            self._start(self._partial.fd, self._partial.path)
        except OSError as error:
            self._abandon()
            raise RenderFailed(f"cannot start writing {self.path}: {error}") from error
        except BaseException:
            self._abandon()
            raise
        self._open = True
        return self

    def write(self, block: np.ndarray) -> None:
        """Append ``block``: float samples of shape (n, 2) at ``sample_rate_hz``, full scale ±1."""
        if not self._open:
            raise RuntimeError("write to a sink inside its with block")
        samples = _stereo_float32(block)
        try:
            self._write(samples)
        except OSError as error:
            raise RenderFailed(f"cannot write {self.path}: {error.strerror}") from error
        self.samples_written += len(samples)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._open = False
        if exc_type is not None:
            self._abandon()
            return
        try:
            if self.samples_written == 0:
                raise RenderFailed(f"nothing to write to {self.path}: the track is empty")
            self._finish()
            if self.inspect is not None:
                self.inspect(self._partial_path())
            self._partial_file().commit()
        except OSError as error:
            self._abandon()
            raise RenderFailed(f"cannot write {self.path}: {error.strerror}") from error
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        try:
            self._abort()
        finally:
            self._partial_file().discard()

    def _partial_file(self) -> PartialFile:
        if self._partial is None:
            raise RuntimeError("the sink was never entered")
        return self._partial

    def _partial_path(self) -> Path:
        return self._partial_file().path


def _stereo_float32(block: np.ndarray) -> np.ndarray:
    if block.ndim != 2 or block.shape[1] != CHANNELS:
        raise ValueError(f"a block must have shape (n, {CHANNELS}), not {block.shape}")
    if not np.issubdtype(block.dtype, np.floating):
        raise ValueError(f"a block must hold float samples, not {block.dtype}")
    samples = np.ascontiguousarray(block, dtype="<f4")
    if not np.isfinite(samples).all():
        raise ValueError("a block holds NaN or infinite samples")
    return samples
