"""The ffmpeg encoder process behind every compressed track: raw samples in, a file out.

Samples go to ffmpeg as raw float32 through a pipe, written by the caller's
thread; ffmpeg's stderr goes to an anonymous temporary file, which cannot fill
up and block it, and is read only to explain a failure. Tags, chapters and the
cover reach ffmpeg as temporary files, deleted when the sink closes. ffmpeg
dies with the process that started it, so a render killed outright never has
its partial file finished behind its back; what such a render left is removed
by the next (``leftovers``).
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import tempfile
from abc import abstractmethod
from contextlib import suppress
from pathlib import Path
from typing import IO, ClassVar, Final

import numpy as np

from .. import leftovers
from ..errors import MissingComponent, RenderFailed
from ..units import CHANNELS
from .formats import FFMPEG_MISSING
from .sink_base import Sink
from .tags import TrackInfo, ffmetadata

_STDERR_TAIL_LINES: Final = 5
_PIPE_BYTES: Final = 1 << 20


class FfmpegSink(Sink):
    """A track encoded by ffmpeg, with the tags, chapters and cover art of its TrackInfo."""

    muxer: ClassVar[str]
    attaches_cover: ClassVar[bool] = False
    """Whether the container takes the cover as a picture stream (ID3 APIC, MP4 covr)."""
    chapters_from: ClassVar[str] = "1"
    """The input ffmpeg takes chapters from: the ffmetadata file, or "-1" for none."""

    def __init__(
        self, path: Path, info: TrackInfo, *, sample_rate_hz: int, ffmpeg: str, bitrate_kbps: int
    ) -> None:
        super().__init__(path, info, sample_rate_hz=sample_rate_hz)
        self._ffmpeg = ffmpeg
        self._bitrate_kbps = bitrate_kbps
        self._inputs: list[tuple[Path, leftovers.Held]] = []
        self._stderr: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def _encoder_options(self) -> list[str]:
        """ffmpeg's output options for the codec (the muxer is ``muxer``)."""

    def _extra_tags(self) -> list[tuple[str, str]]:
        """Tags beyond title, artist, album and track, for the ffmetadata file."""
        return [("comment", self.info.comment)]

    def _complete(self, partial: Path) -> None:
        """A last change to the file once ffmpeg has finished it."""

    def _start(self, fd: int, partial: Path) -> None:
        os.close(fd)
        leftovers.sweep_temp()
        metadata = self._input_file(
            ".ffmetadata", ffmetadata(self.info, self.sample_rate_hz, self._extra_tags())
        )
        cover = None
        if self.info.cover_png and self.attaches_cover:
            cover = self._input_file(".png", self.info.cover_png)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the sink
        try:
            self._process = subprocess.Popen(
                self._command(partial, metadata, cover),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                start_new_session=True,
                preexec_fn=leftovers.dying_with_this_process(),
            )
        except FileNotFoundError as error:
            raise MissingComponent(FFMPEG_MISSING) from error
        _enlarge_pipe(self._process.stdin)

    def _input_file(self, suffix: str, content: str | bytes) -> Path:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with tempfile.NamedTemporaryFile(
            prefix=leftovers.temp_prefix(), suffix=suffix, delete=False
        ) as file:
            path = Path(file.name)
            self._inputs.append((path, leftovers.hold(path)))
            file.write(data)
        return path

    def _command(self, partial: Path, metadata: Path, cover: Path | None) -> list[str]:
        """ffmpeg's arguments; it runs in its own session, so Ctrl-C reaches only us."""
        rate, channels = str(self.sample_rate_hz), str(CHANNELS)
        picture_in = ["-i", f"file:{cover.absolute()}"] if cover is not None else []
        picture_out = [
            "-map", "2:v", "-c:v", "copy", "-disposition:v", "attached_pic",
            "-metadata:s:v", "title=Cover", "-metadata:s:v", "comment=Cover (front)",
        ] if cover is not None else []  # fmt: skip
        return [
            self._ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error",
            "-f", "f32le", "-ar", rate, "-ac", channels, "-i", "pipe:0",
            "-f", "ffmetadata", "-i", f"file:{metadata.absolute()}", *picture_in,
            "-map", "0:a", "-map_metadata", "1", "-map_chapters", self.chapters_from, *picture_out,
            *self._encoder_options(), "-f", self.muxer, "-y", f"file:{partial.absolute()}",
        ]  # fmt: skip

    def _write(self, samples: np.ndarray) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(samples.data)
        except BrokenPipeError:
            raise self._failure() from None

    def _finish(self) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            with suppress(BrokenPipeError):
                self._process.stdin.close()
            if self._process.wait() != 0:
                raise self._failure()
            self._complete(self._partial_path())
        finally:
            self._release()

    def _abort(self) -> None:
        if self._process is not None:
            with suppress(OSError):
                self._process.kill()
            self._process.wait()
            if self._process.stdin is not None:
                with suppress(OSError):
                    self._process.stdin.close()
        self._release()

    def _failure(self) -> RenderFailed:
        """Why ffmpeg stopped, from its exit status and the last lines it printed."""
        assert self._process is not None and self._stderr is not None
        with suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=10)
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        status = self._process.returncode
        if status < 0:
            how = f"was stopped by {signal.Signals(-status).name}"
        else:
            how = f"failed (exit status {status})"
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").splitlines()
        tail = [f"  {line.strip()}" for line in lines if line.strip()][-_STDERR_TAIL_LINES:]
        return RenderFailed("\n".join([f"ffmpeg {how} while encoding {self.path}", *tail]))

    def _release(self) -> None:
        inputs, self._inputs = self._inputs, []
        for path, held in inputs:
            path.unlink(missing_ok=True)
            held.release()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _enlarge_pipe(pipe: IO[bytes] | None) -> None:
    """Hold about three seconds of audio in the pipe to ffmpeg (the default holds 0.2 s).

    Then ffmpeg encodes them while the mixer makes the next block, on another
    core; with the default pipe the two take turns. Linux only; elsewhere, or
    beyond the system's limit, the pipe stays as it is.
    """
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if pipe is not None and set_size is not None:
        with suppress(OSError):
            fcntl.fcntl(pipe.fileno(), set_size, _PIPE_BYTES)
