"""What the tests of the output sinks share: test tracks, tags, and ways to look at files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from coreg_audio.output.sinks import open_sink
from coreg_audio.output.tags import TrackInfo, chapter_comment
from coreg_audio.timeline.events import Chapter
from coreg_audio.units import SAMPLE_RATE_HZ, seconds_to_samples

SR = SAMPLE_RATE_HZ
BLOCK = 4 * SR
TRICKY_TITLE = "Ein\u00adatmen — ruhig = a; b # c \\ d\nzweite Zeile 🌬"
FORMATS = ["a.wav", "a.mp3", "a.m4a", "a.opus"]

MP3_CHAPTERS = (
    Chapter("Ankommen", 0, 33075),
    Chapter(TRICKY_TITLE, 33075, 100000),
    Chapter("[CHAPTER]\n;not a comment\n#nor this", 100000, 4 * SR),
)
MP3_INFO = TrackInfo(
    title="Box = breathing; #4 \\ ruhig",
    artist="Jane Ö. Doe",
    album="coreg-audio",
    comment=chapter_comment("Four counts in, four out.", MP3_CHAPTERS),
    chapters=MP3_CHAPTERS,
)
BURST_AT = 100000


def noise(seconds: float, level: float = 0.1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (level * rng.standard_normal((seconds_to_samples(seconds), 2))).astype(np.float32)


def mp3_track() -> np.ndarray:
    track = noise(4.0, level=0.01)
    track[BURST_AT : BURST_AT + SR // 5] = noise(0.2, level=0.3, seed=5)
    return track


def write_all(sink_path: Path, info: TrackInfo, track: np.ndarray, **options: int) -> None:
    with open_sink(sink_path, info, sample_rate_hz=SR, **options) as sink:
        for start in range(0, len(track), BLOCK):
            sink.write(track[start : start + BLOCK])


def cover() -> bytes:
    from coreg_audio.output.cover import cover_png
    from coreg_audio.timeline.compile import compile_timeline

    from .conftest import FakeSpeech, script_from

    box = script_from("title: Box\nsteps:\n  - breathe: {cycles: 4, pattern: 4-4-4-4}\n")
    return cover_png(compile_timeline(box, FakeSpeech()))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name)


def ffprobe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_chapters", "-show_streams",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    probe: dict[str, Any] = json.loads(result.stdout)
    return probe


def probe_tags(path: Path) -> dict[str, str]:
    """Tags as ffprobe reports them: on the container, or on the stream for Ogg."""
    probe = ffprobe(path)
    tags = dict(probe["format"].get("tags", {}))
    tags.update(probe["streams"][0].get("tags", {}))
    return {key.lower(): value for key, value in tags.items()}


def decode(path: Path) -> np.ndarray:
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "2", "-ar", str(SR), "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return np.frombuffer(result.stdout, dtype="<f4").reshape(-1, 2)


def expected_ms(samples: int) -> int:
    """CHAP times are whole milliseconds; samples never fall on a half millisecond at 44.1 kHz."""
    return round(Fraction(samples * 1000, SR))


def ffmpeg_children() -> list[int]:
    """Our own ffmpeg child processes, found as an outside observer would."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            name = (stat.parent / "comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and name == "ffmpeg":
            found.append(int(stat.parent.name))
    return found


def metadata_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("coreg-audio-*.ffmetadata"))


def cover_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("coreg-audio-*.png"))


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
