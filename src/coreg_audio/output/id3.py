"""Byte-level edits of the ID3v2.3 tag ffmpeg writes at the start of an MP3.

By hand, because mutagen would reorder the tag's frames, the chapters among
them, and a pass through ffmpeg would move every chapter by the encoder's delay.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO, Final

from ..atomic import write_file
from ..errors import RenderFailed
from .tags import plain_text

_COMMENT_LANGUAGE: Final = b"und"
_HEADER_BYTES: Final = 10


def comment_frame(text: str) -> bytes:
    """An ID3v2.3 COMM frame with an empty description: what players show as "comment"."""
    text = plain_text(text)
    if text.isascii():
        payload = b"\x00" + _COMMENT_LANGUAGE + b"\x00" + text.encode("ascii")
    else:
        bom = "\ufeff".encode("utf-16-le")
        payload = b"\x01" + _COMMENT_LANGUAGE + bom + b"\x00\x00" + bom + text.encode("utf-16-le")
    return b"COMM" + len(payload).to_bytes(4, "big") + b"\x00\x00" + payload


def add_to_padding(path: Path, frame: bytes) -> None:
    """Write ``frame`` into the zero padding at the end of the file's ID3v2.3 tag.

    The padding was reserved for it, so the tag keeps its size and the audio
    stays where ffmpeg put it.
    """
    with path.open("r+b") as file:
        tag = _read_tag(file, path)
        frames = _frames(tag)
        position = frames[-1][1] if frames else 0
        if tag[position : position + len(frame)] != bytes(len(frame)):
            raise RenderFailed(f"ffmpeg left no room for the comment in the ID3 tag of {path}")
        file.seek(_HEADER_BYTES + position)
        file.write(frame)


def renumber_mp3(path: Path, track: tuple[int, int]) -> None:
    """Change the track number (n/N) of an MP3 written by ``Mp3Sink``, and nothing else.

    The file then equals a fresh render with that number: the tag is rebuilt
    with the one frame changed, and the audio, chapters and cover are copied
    byte for byte. Whole or not at all, like every write.
    """
    payload = b"\x00" + f"{track[0]}/{track[1]}".encode("ascii") + b"\x00"

    def write(out: IO[bytes]) -> None:
        with path.open("rb") as source:
            tag = _read_tag(source, path)
            numbers = [
                (start, end) for start, end in _frames(tag) if tag[start : start + 4] == b"TRCK"
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


def _read_tag(file: IO[bytes], path: Path) -> bytes:
    """The body of the plain ID3v2.3 tag ffmpeg writes at the start of an MP3."""
    header = file.read(_HEADER_BYTES)
    if len(header) < _HEADER_BYTES or header[:5] != b"ID3\x03\x00" or header[5] != 0:
        raise RenderFailed(f"ffmpeg wrote no plain ID3v2.3 tag to {path}")
    return file.read(sum((header[6 + i] & 0x7F) << (7 * (3 - i)) for i in range(4)))


def _frames(tag: bytes) -> list[tuple[int, int]]:
    """Where each frame of ``tag`` starts and ends; what follows the last is padding."""
    frames: list[tuple[int, int]] = []
    position = 0
    while position + _HEADER_BYTES <= len(tag) and tag[position] != 0:
        end = position + _HEADER_BYTES + int.from_bytes(tag[position + 4 : position + 8], "big")
        frames.append((position, end))
        position = end
    return frames
