"""Where the finished track goes: WAV, MP3, M4A and Opus files that appear whole or not at all.

A sink writes to a hidden partial file beside its target (``atomic``) and renames
it into place only once the encoder has finished, so a failure or Ctrl-C never leaves a
half-written track behind, and never harms a file already at the target.
"""

from __future__ import annotations

import base64
import fcntl
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import wave
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar, Final, Self

import numpy as np

from ..atomic import PartialFile, check_writable, write_file
from ..errors import MissingComponent, RenderFailed, UsageError
from ..time_text import chapter_clock, hh_mm_ss_mmm
from ..timeline.events import Chapter
from ..units import CHANNELS, SAMPLE_RATE_HZ, samples_to_seconds

SUPPORTED_SUFFIXES: Final = (".mp3", ".wav", ".m4a", ".opus")
MP3_BITRATES_KBPS: Final = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
"""The constant bitrates MPEG-1 Layer III allows at 44.1 kHz; LAME rounds any other silently."""
DEFAULT_BITRATE_KBPS: Final = 128
M4A_MIN_BITRATE_KBPS: Final = 128
"""Below this ffmpeg's AAC encoder clicks: +6 dBTP at 64 kbps from a -2.3 dBTP track, +1.8 dBTP
at 96 kbps from -3.3 (measured with ebur128 on the built-in practices)."""
FFMPEG_MISSING: Final = "render to MP3 needs ffmpeg: sudo apt-get install ffmpeg"

_INT16_FULL_SCALE: Final = 32768.0
_WAV_BYTES_PER_FRAME: Final = 2 * CHANNELS
_WAV_MAX_DATA_BYTES: Final = 0xFFFFFFFF - 36
_STDERR_TAIL_LINES: Final = 5
_PIPE_BYTES: Final = 1 << 20
_COMMENT_LANGUAGE: Final = b"und"
_ID3_HEADER_BYTES: Final = 10
_FFMETADATA_ESCAPES: Final = str.maketrans({c: "\\" + c for c in "=;#\\\n"})
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_FLAC_FRONT_COVER: Final = 3
OPUS_SAMPLE_RATE_HZ: Final = 48000
"""Opus always decodes at 48 kHz; ffmpeg resamples to it before the encoder."""


@dataclass(frozen=True)
class TrackInfo:
    """The tags of a track; ``comment`` is the whole comment (see ``chapter_comment``)."""

    title: str
    artist: str = ""
    album: str = ""
    comment: str = ""
    chapters: tuple[Chapter, ...] = ()
    track: tuple[int, int] | None = None
    """(n, N): this track's number and how many the album holds."""
    cover_png: bytes = b""
    """Square cover art as a PNG file's bytes, embedded in every format but WAV."""

    def __post_init__(self) -> None:
        if self.cover_png and not self.cover_png.startswith(_PNG_SIGNATURE):
            raise ValueError("cover_png must hold a PNG file")
        for before, after in itertools.pairwise(self.chapters):
            if after.start_samples < before.end_samples:
                raise ValueError(
                    f"chapters must be in time order without overlaps: {after.title!r} "
                    f"starts before {before.title!r} ends"
                )


def chapter_comment(summary: str, chapters: Sequence[Chapter]) -> str:
    """The summary, then one "mm:ss Title" line per chapter.

    Few players show chapters but all show the comment, so the list lets a
    listener find a section by time anywhere. Past the first hour every line
    reads "h:mm:ss", as show notes do.
    """
    with_hours = any(samples_to_seconds(c.start_samples) >= 3600 for c in chapters)
    lines = [
        f"{chapter_clock(c.start_samples, with_hours)} {' '.join(c.title.split())}"
        for c in chapters
    ]
    parts = [part for part in (summary.strip(), "\n".join(lines)) if part]
    return "\n\n".join(parts)


def _plain_text(text: str) -> str:
    """Newlines as LF and no NUL: ffmetadata reads a lone CR wrongly, and NUL ends ID3 text."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")


def ffmetadata(info: TrackInfo, extra_tags: Sequence[tuple[str, str]] = ()) -> str:
    """The tags and chapters as an ffmetadata file, for ffmpeg's second input.

    Chapters come in a time base of one sample, so ffmpeg's millisecond CHAP
    times are rounded once, from exact positions. The comment is left out
    unless given in ``extra_tags``: in an MP3 ffmpeg would store it as a TXXX
    frame, which players do not show.
    """
    lines = [";FFMETADATA1"]
    track = f"{info.track[0]}/{info.track[1]}" if info.track is not None else ""
    tags = (
        ("title", info.title),
        ("artist", info.artist),
        ("album", info.album),
        ("track", track),
        *extra_tags,
    )
    for key, value in tags:
        if value:
            lines.append(f"{key}={_escape_ffmetadata(value)}")
    for chapter in info.chapters:
        lines += [
            "",
            "[CHAPTER]",
            f"TIMEBASE=1/{SAMPLE_RATE_HZ}",
            f"START={chapter.start_samples}",
            f"END={chapter.end_samples}",
            f"title={_escape_ffmetadata(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def _escape_ffmetadata(text: str) -> str:
    return _plain_text(text).translate(_FFMETADATA_ESCAPES)


def id3_comment_frame(text: str) -> bytes:
    """An ID3v2.3 COMM frame with an empty description: what players show as "comment"."""
    text = _plain_text(text)
    if text.isascii():
        payload = b"\x00" + _COMMENT_LANGUAGE + b"\x00" + text.encode("ascii")
    else:
        bom = "\ufeff".encode("utf-16-le")
        payload = b"\x01" + _COMMENT_LANGUAGE + bom + b"\x00\x00" + bom + text.encode("utf-16-le")
    return b"COMM" + len(payload).to_bytes(4, "big") + b"\x00\x00" + payload


def _read_id3_tag(file: IO[bytes], path: Path) -> bytes:
    """The body of the plain ID3v2.3 tag ffmpeg writes at the start of an MP3."""
    header = file.read(_ID3_HEADER_BYTES)
    if len(header) < _ID3_HEADER_BYTES or header[:5] != b"ID3\x03\x00" or header[5] != 0:
        raise RenderFailed(f"ffmpeg wrote no plain ID3v2.3 tag to {path}")
    return file.read(sum((header[6 + i] & 0x7F) << (7 * (3 - i)) for i in range(4)))


def _id3_frames(tag: bytes) -> list[tuple[int, int]]:
    """Where each frame of ``tag`` starts and ends; what follows the last is padding."""
    frames: list[tuple[int, int]] = []
    position = 0
    while position + _ID3_HEADER_BYTES <= len(tag) and tag[position] != 0:
        end = position + _ID3_HEADER_BYTES + int.from_bytes(tag[position + 4 : position + 8], "big")
        frames.append((position, end))
        position = end
    return frames


def _add_to_id3_padding(path: Path, frame: bytes) -> None:
    """Write ``frame`` into the zero padding at the end of the file's ID3v2.3 tag.

    The padding was reserved for it, so the tag keeps its size and the audio
    stays where ffmpeg put it.
    """
    with path.open("r+b") as file:
        tag = _read_id3_tag(file, path)
        frames = _id3_frames(tag)
        position = frames[-1][1] if frames else 0
        if tag[position : position + len(frame)] != bytes(len(frame)):
            raise RenderFailed(f"ffmpeg left no room for the comment in the ID3 tag of {path}")
        file.seek(_ID3_HEADER_BYTES + position)
        file.write(frame)


def renumber_mp3(path: Path, track: tuple[int, int]) -> None:
    """Change the track number (n/N) of an MP3 written by ``Mp3Sink``, and nothing else.

    The file then equals a fresh render with that number: the tag is rebuilt
    with the one frame changed, and the audio, chapters and cover are copied
    byte for byte. By hand, because mutagen would reorder the tag's frames,
    the chapters among them, and a pass through ffmpeg would move every
    chapter by the encoder's delay. Whole or not at all, like every write.
    """
    payload = b"\x00" + f"{track[0]}/{track[1]}".encode("ascii") + b"\x00"

    def write(out: IO[bytes]) -> None:
        with path.open("rb") as source:
            tag = _read_id3_tag(source, path)
            numbers = [
                (start, end) for start, end in _id3_frames(tag) if tag[start : start + 4] == b"TRCK"
            ]
            if len(numbers) != 1:
                raise RenderFailed(f"{path} has no track number to change")
            start, end = numbers[0]
            flags = tag[start + 8 : start + 10]
            frame = b"TRCK" + len(payload).to_bytes(4, "big") + flags + payload
            body = tag[:start] + frame + tag[end:]
            size = bytes((len(body) >> shift) & 0x7F for shift in (21, 14, 7, 0))
            out.write(b"ID3\x03\x00\x00" + size + body)
            shutil.copyfileobj(source, out)

    write_file(path, write)


def flac_picture(png: bytes) -> str:
    """A PNG as the base64 FLAC picture block that Ogg players read from METADATA_BLOCK_PICTURE."""
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    mime, description = b"image/png", b"Cover"
    block = b"".join(
        [
            _FLAC_FRONT_COVER.to_bytes(4, "big"),
            len(mime).to_bytes(4, "big"),
            mime,
            len(description).to_bytes(4, "big"),
            description,
            width.to_bytes(4, "big"),
            height.to_bytes(4, "big"),
            (24).to_bytes(4, "big"),
            (0).to_bytes(4, "big"),
            len(png).to_bytes(4, "big"),
            png,
        ]
    )
    return base64.b64encode(block).decode("ascii")


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


def output_format(path: Path) -> str:
    """The suffix that picks the format (".mp3" or ".wav"), in lower case."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = " or ".join(SUPPORTED_SUFFIXES)
        raise UsageError(f"cannot write {path}: the file name must end in {supported}")
    return suffix


def check_bitrate(bitrate_kbps: int, suffix: str = ".mp3") -> None:
    if bitrate_kbps not in MP3_BITRATES_KBPS:
        rates = ", ".join(str(rate) for rate in MP3_BITRATES_KBPS)
        raise UsageError(f"bitrate {bitrate_kbps} kbps is not an MP3 constant bitrate; use {rates}")
    if suffix == ".m4a" and bitrate_kbps < M4A_MIN_BITRATE_KBPS:
        raise UsageError(
            f"an .m4a track needs --bitrate {M4A_MIN_BITRATE_KBPS} or more; ffmpeg's "
            f"AAC encoder clicks at {bitrate_kbps} kbps"
        )


def find_ffmpeg() -> str:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise MissingComponent(FFMPEG_MISSING)
    return ffmpeg


def check_output(path: Path, *, bitrate_kbps: int = DEFAULT_BITRATE_KBPS) -> None:
    """Every check ``open_sink`` makes, for a command to call before it makes audio."""
    suffix = output_format(path)
    check_bitrate(bitrate_kbps, suffix)
    check_writable(path)
    if suffix != ".wav":
        find_ffmpeg()


def open_sink(
    path: Path,
    info: TrackInfo,
    *,
    bitrate_kbps: int = DEFAULT_BITRATE_KBPS,
    dither_seed: int = 0,
) -> Sink:
    """A sink for ``path`` in the format its suffix names; use it in a ``with`` block."""
    suffix = output_format(path)
    check_bitrate(bitrate_kbps, suffix)
    if suffix == ".wav":
        return WavSink(path, info, dither_seed=dither_seed)
    encoders: dict[str, Callable[..., FfmpegSink]] = {
        ".mp3": Mp3Sink,
        ".m4a": M4aSink,
        ".opus": OpusSink,
    }
    return encoders[suffix](path, info, ffmpeg=find_ffmpeg(), bitrate_kbps=bitrate_kbps)


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


class Sink(ABC):
    """A track being written: enter it, ``write`` its blocks in order, leave it.

    Leaving normally finishes the file and renames it into place; leaving by any
    exception, Ctrl-C included, stops the encoder, deletes the temporary file and
    re-raises, so nothing appears at ``path`` and a file already there is kept.
    """

    def __init__(self, path: Path, info: TrackInfo) -> None:
        self.path = path
        self.info = info
        self.samples_written = 0
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
        """Append ``block``: float samples of shape (n, 2) at SAMPLE_RATE_HZ, full scale ±1."""
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


class WavSink(Sink):
    """44.1 kHz stereo 16-bit PCM, dithered from a seed so a render repeats bit for bit."""

    def __init__(self, path: Path, info: TrackInfo, *, dither_seed: int = 0) -> None:
        super().__init__(path, info)
        self._rng = np.random.default_rng(dither_seed)
        self._file: IO[bytes] | None = None
        self._wave: wave.Wave_write | None = None

    def _start(self, fd: int, partial: Path) -> None:
        self._file = os.fdopen(fd, "wb")
        self._wave = wave.open(self._file, "wb")  # noqa: SIM115 - lives as long as the sink
        self._wave.setnchannels(CHANNELS)
        self._wave.setsampwidth(2)
        self._wave.setframerate(SAMPLE_RATE_HZ)

    def _write(self, samples: np.ndarray) -> None:
        assert self._wave is not None
        if (self.samples_written + len(samples)) * _WAV_BYTES_PER_FRAME > _WAV_MAX_DATA_BYTES:
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


class FfmpegSink(Sink):
    """A track encoded by ffmpeg, with the tags, chapters and cover art of its TrackInfo.

    Samples go to ffmpeg as raw float32 through a pipe, written by the caller's
    thread; ffmpeg's stderr goes to an anonymous temporary file, which cannot
    fill up and block it, and is read only to explain a failure. Tags, chapters
    and the cover reach ffmpeg as temporary files, deleted when the sink closes.
    """

    muxer: ClassVar[str]
    attaches_cover: ClassVar[bool] = False
    """Whether the container takes the cover as a picture stream (ID3 APIC, MP4 covr)."""
    chapters_from: ClassVar[str] = "1"
    """The input ffmpeg takes chapters from: the ffmetadata file, or "-1" for none."""

    def __init__(self, path: Path, info: TrackInfo, *, ffmpeg: str, bitrate_kbps: int) -> None:
        super().__init__(path, info)
        self._ffmpeg = ffmpeg
        self._bitrate_kbps = bitrate_kbps
        self._inputs: list[Path] = []
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
        metadata = self._input_file(".ffmetadata", ffmetadata(self.info, self._extra_tags()))
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
            )
        except FileNotFoundError as error:
            raise MissingComponent(FFMPEG_MISSING) from error
        _enlarge_pipe(self._process.stdin)

    def _input_file(self, suffix: str, content: str | bytes) -> Path:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with tempfile.NamedTemporaryFile(
            prefix="coreg-audio-", suffix=suffix, delete=False
        ) as file:
            self._inputs.append(Path(file.name))
            file.write(data)
        return Path(file.name)

    def _command(self, partial: Path, metadata: Path, cover: Path | None) -> list[str]:
        """ffmpeg's arguments; it runs in its own session, so Ctrl-C reaches only us."""
        rate, channels = str(SAMPLE_RATE_HZ), str(CHANNELS)
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
        for path in inputs:
            path.unlink(missing_ok=True)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


class Mp3Sink(FfmpegSink):
    """Constant-bitrate MP3 with ID3v2.3 tags, chapters and cover art, by ffmpeg's libmp3lame.

    The comment goes in as a COMM frame, into padding ffmpeg leaves in the tag.
    """

    muxer = "mp3"
    attaches_cover = True

    def __init__(self, path: Path, info: TrackInfo, *, ffmpeg: str, bitrate_kbps: int) -> None:
        super().__init__(path, info, ffmpeg=ffmpeg, bitrate_kbps=bitrate_kbps)
        self._comment = id3_comment_frame(info.comment) if info.comment else b""

    def _encoder_options(self) -> list[str]:
        padding = ["-metadata_header_padding", str(len(self._comment))] if self._comment else []
        return [
            "-c:a",
            "libmp3lame",
            "-b:a",
            f"{self._bitrate_kbps}k",
            "-ar",
            str(SAMPLE_RATE_HZ),
            "-ac",
            str(CHANNELS),
            "-id3v2_version",
            "3",
            "-write_xing",
            "1",
            *padding,
        ]

    def _extra_tags(self) -> list[tuple[str, str]]:
        return []

    def _complete(self, partial: Path) -> None:
        if self._comment:
            _add_to_id3_padding(partial, self._comment)


class M4aSink(FfmpegSink):
    """AAC in an MPEG-4 audio file with iTunes tags, chapters and cover, by ffmpeg's aac encoder.

    The index goes first ("faststart"), so a player can start before it has read the file.
    """

    muxer = "ipod"
    attaches_cover = True

    def _encoder_options(self) -> list[str]:
        """The fast coder without noise substitution (PNS): the default two-loop coder with PNS
        made clicks on ambience, up to 4.5 dB over the track's true peak (at 192 kbps); this
        one overshot by at most 0.8 dB from 128 kbps up."""
        return [
            "-c:a",
            "aac",
            "-b:a",
            f"{self._bitrate_kbps}k",
            "-aac_coder",
            "fast",
            "-aac_pns",
            "0",
            "-ar",
            str(SAMPLE_RATE_HZ),
            "-ac",
            str(CHANNELS),
            "-movflags",
            "+faststart",
        ]


class OpusSink(FfmpegSink):
    """Opus in Ogg at 48 kHz, by ffmpeg's libopus; Vorbis comments, CHAPTERxxx chapters.

    Ogg has no picture stream, so the cover travels in the METADATA_BLOCK_PICTURE
    comment that players read for it. The CHAPTERxxx comments are written here
    too: ffmpeg 5.1 rounds their seconds to the nearest, so 0.75 s became 1.750.
    """

    muxer = "opus"
    chapters_from = "-1"

    def _encoder_options(self) -> list[str]:
        return [
            "-c:a",
            "libopus",
            "-b:a",
            f"{self._bitrate_kbps}k",
            "-ar",
            str(OPUS_SAMPLE_RATE_HZ),
            "-ac",
            str(CHANNELS),
        ]

    def _extra_tags(self) -> list[tuple[str, str]]:
        tags = super()._extra_tags()
        for number, chapter in enumerate(self.info.chapters):
            tags += [
                (f"CHAPTER{number:03d}", hh_mm_ss_mmm(chapter.start_samples)),
                (f"CHAPTER{number:03d}NAME", chapter.title),
            ]
        if self.info.cover_png:
            tags.append(("METADATA_BLOCK_PICTURE", flac_picture(self.info.cover_png)))
        return tags
