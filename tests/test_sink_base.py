"""Every sink, whatever its format: the file appears whole or not at all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.errors import RenderFailed
from coreg_audio.output.sinks import open_sink
from coreg_audio.output.tags import TrackInfo

from .sink_support import (
    FORMATS,
    MP3_INFO,
    SR,
    ffmpeg_children,
    leftovers,
    metadata_files,
    noise,
    run_python,
    write_all,
)


@pytest.mark.parametrize("name", FORMATS)
def test_file_appears_only_when_finished(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    with open_sink(target, MP3_INFO, sample_rate_hz=SR) as sink:
        sink.write(noise(1.0))
        assert not target.exists()
        (partial,) = leftovers(tmp_path)
        assert partial.startswith(f".{name}.partial-")
        sink.write(noise(1.0))
        assert sink.samples_written == 2 * SR
    assert target.stat().st_size > 0
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt, SystemExit])
def test_interruption_mid_write_leaves_nothing_and_keeps_the_old_file(
    tmp_path: Path, name: str, interruption: type[BaseException]
) -> None:
    old = tmp_path / name
    old.write_bytes(b"the previous render")
    fresh = tmp_path / f"fresh{old.suffix}"
    metadata_before = metadata_files()
    for target in (old, fresh):
        with pytest.raises(interruption), open_sink(target, MP3_INFO, sample_rate_hz=SR) as sink:
            sink.write(noise(1.0))
            raise interruption()
        assert ffmpeg_children() == []
    assert old.read_bytes() == b"the previous render"
    assert not fresh.exists()
    assert leftovers(tmp_path) == []
    assert metadata_files() == metadata_before


@pytest.mark.parametrize("name", FORMATS)
def test_empty_track_is_refused(tmp_path: Path, name: str) -> None:
    with (
        pytest.raises(RenderFailed, match="the track is empty"),
        open_sink(tmp_path / name, MP3_INFO, sample_rate_hz=SR),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", FORMATS)
def test_bad_blocks_are_refused(tmp_path: Path, name: str) -> None:
    bad_blocks: list[np.ndarray] = [
        np.zeros((10,), np.float32),
        np.zeros((10, 1), np.float32),
        np.zeros((10, 2), np.int16),
        np.full((10, 2), np.nan, np.float32),
    ]
    with open_sink(tmp_path / name, TrackInfo("T"), sample_rate_hz=SR) as sink:
        for block in bad_blocks:
            with pytest.raises(ValueError):
                sink.write(block)
        sink.write(np.zeros((10, 2), np.float64))
    assert sink.samples_written == 10
    with pytest.raises(RuntimeError):
        sink.write(np.zeros((10, 2), np.float32))
    with pytest.raises(RuntimeError), sink:
        pass


def test_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    for name in ("a.wav", "a.mp3"):
        write_all(tmp_path / name, TrackInfo("T"), noise(0.2))
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


FULL_DISK = """
import resource, signal, sys, numpy as np
from pathlib import Path
from coreg_audio.errors import RenderFailed
from coreg_audio.output.sinks import open_sink
from coreg_audio.output.tags import TrackInfo
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))
block = (0.1 * np.random.default_rng(0).standard_normal((44100, 2))).astype(np.float32)
try:
    with open_sink(Path(sys.argv[1]), TrackInfo("t"), sample_rate_hz=44100) as sink:
        for _ in range(10):
            sink.write(block)
except RenderFailed as error:
    print(error)
"""


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a.wav", r"cannot write .*a\.wav: File too large"),
        ("a.mp3", "ffmpeg was stopped by SIGXFSZ"),
    ],
)
def test_file_size_limit_is_render_failed(tmp_path: Path, name: str, message: str) -> None:
    result = run_python(FULL_DISK, str(tmp_path / name))
    assert result.returncode == 0, result.stderr
    assert re.match(message, result.stdout)
    assert list(tmp_path.iterdir()) == []


CTRL_C = """
import os, sys, numpy as np
from pathlib import Path
from coreg_audio.output.sinks import open_sink
from coreg_audio.output.tags import TrackInfo
block = np.zeros((4410, 2), np.float32)
with open_sink(Path(sys.argv[1]), TrackInfo("t", comment="c"), sample_rate_hz=44100) as sink:
    sink.write(block)
    me = os.getpid()
    children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
    print("writing", *children, flush=True)
    while True:
        sink.write(block)
"""


@pytest.mark.parametrize("name", FORMATS)
def test_ctrl_c_in_a_terminal_leaves_nothing_half_written(tmp_path: Path, name: str) -> None:
    """SIGINT to the whole foreground process group, as a terminal sends it."""
    target = tmp_path / name
    target.write_bytes(b"old")
    process = subprocess.Popen(
        [sys.executable, "-c", CTRL_C, str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    first_word, *children = process.stdout.readline().split()
    assert first_word == "writing"
    assert len(children) == (0 if name.endswith(".wav") else 1)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGINT
    assert "KeyboardInterrupt" in stderr and "RenderFailed" not in stderr
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
