"""The ffmpeg encoder process: started, fed, explained when it fails, never left running."""

from __future__ import annotations

import fcntl
import os
import signal
from pathlib import Path

import pytest

from coreg_audio.errors import MissingComponent, RenderFailed
from coreg_audio.output.formats import find_ffmpeg
from coreg_audio.output.sinks import Mp3Sink, open_sink
from coreg_audio.output.tags import TrackInfo

from .sink_support import (
    MP3_INFO,
    SR,
    ffmpeg_children,
    leftovers,
    noise,
    run_python,
)


def mp3_sink(path: Path, info: TrackInfo, ffmpeg: str, bitrate_kbps: int = 128) -> Mp3Sink:
    return Mp3Sink(path, info, sample_rate_hz=SR, ffmpeg=ffmpeg, bitrate_kbps=bitrate_kbps)


def test_ffmpeg_found_by_name_but_gone_at_start_is_a_missing_component(tmp_path: Path) -> None:
    sink = mp3_sink(tmp_path / "a.mp3", TrackInfo("T"), ffmpeg=str(tmp_path / "ffmpeg"))
    with pytest.raises(MissingComponent, match="apt-get install ffmpeg"), sink:
        pass
    assert list(tmp_path.iterdir()) == []


def test_ffmpeg_that_cannot_run_is_render_failed(tmp_path: Path) -> None:
    not_a_program = tmp_path / "ffmpeg"
    not_a_program.write_text("not a program")
    sink = mp3_sink(tmp_path / "a.mp3", TrackInfo("T"), ffmpeg=str(not_a_program))
    with (
        pytest.raises(RenderFailed, match=r"cannot start writing .*a\.mp3: .*Permission denied"),
        sink,
    ):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ffmpeg"]


def test_the_pipe_to_ffmpeg_holds_seconds_of_audio(tmp_path: Path) -> None:
    with open_sink(tmp_path / "a.mp3", TrackInfo("T"), sample_rate_hz=SR) as sink:
        sink.write(noise(0.1))
        assert isinstance(sink, Mp3Sink) and sink._process is not None
        assert sink._process.stdin is not None
        size = fcntl.fcntl(sink._process.stdin.fileno(), fcntl.F_GETPIPE_SZ)
        assert size >= 1 << 20


def test_ffmpeg_prints_nothing_on_the_terminal(tmp_path: Path) -> None:
    code = (
        "import sys, numpy as np; from pathlib import Path\n"
        "from coreg_audio.output.sinks import open_sink\n"
        "from coreg_audio.output.tags import TrackInfo\n"
        "from coreg_audio.timeline.events import Chapter\n"
        "info = TrackInfo('t', comment='c', chapters=(Chapter('a', 0, 44100),))\n"
        "with open_sink(Path(sys.argv[1]), info, sample_rate_hz=44100) as sink:\n"
        "    sink.write(np.zeros((44100, 2), np.float32))\n"
    )
    result = run_python(code, str(tmp_path / "a.mp3"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert (tmp_path / "a.mp3").stat().st_size > 0


def test_ffmpeg_killed_mid_write_is_render_failed(tmp_path: Path) -> None:
    target = tmp_path / "a.mp3"
    target.write_bytes(b"old")
    with (
        pytest.raises(RenderFailed, match="ffmpeg was stopped by SIGKILL") as raised,
        open_sink(target, MP3_INFO, sample_rate_hz=SR) as sink,
    ):
        sink.write(noise(1.0))
        (pid,) = ffmpeg_children()
        assert os.getpgid(pid) != os.getpgid(0)  # a terminal's Ctrl-C reaches only the sink
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            sink.write(noise(1.0))
    assert raised.value.exit_code == 1
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []
    assert ffmpeg_children() == []


def test_ffmpeg_killed_before_the_end_is_render_failed(tmp_path: Path) -> None:
    with (
        pytest.raises(RenderFailed, match="ffmpeg was stopped by SIGKILL"),
        open_sink(tmp_path / "a.mp3", MP3_INFO, sample_rate_hz=SR) as sink,
    ):
        sink.write(noise(0.5))
        (pid,) = ffmpeg_children()
        os.kill(pid, signal.SIGKILL)
    assert list(tmp_path.iterdir()) == []


def test_ffmpeg_error_is_render_failed_with_its_message(tmp_path: Path) -> None:
    target = tmp_path / "a.mp3"
    target.write_bytes(b"old")
    sink = mp3_sink(target, MP3_INFO, ffmpeg=find_ffmpeg(), bitrate_kbps=-5)
    with pytest.raises(RenderFailed) as raised, sink:
        for _ in range(100):
            sink.write(noise(1.0))
    lines = str(raised.value).splitlines()
    assert lines[0] == f"ffmpeg failed (exit status 1) while encoding {target}"
    assert any("out of range" in line for line in lines[1:])
    assert len(lines) <= 6
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []
