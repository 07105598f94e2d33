"""The track formats: names, bitrates and tools, checked before any audio is made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coreg_audio.errors import MissingComponent, UsageError
from coreg_audio.output.formats import (
    MP3_BITRATES_KBPS,
    check_bitrate,
    check_output,
    find_ffmpeg,
    output_format,
)


def test_output_format_follows_the_suffix_in_any_case(tmp_path: Path) -> None:
    assert output_format(tmp_path / "a.MP3") == ".mp3"
    assert output_format(tmp_path / "a.Wav") == ".wav"
    for name in ("a.ogg", "a", "a.mp3.txt"):
        with pytest.raises(UsageError, match=r"must end in \.mp3 or \.wav") as raised:
            output_format(tmp_path / name)
        assert raised.value.exit_code == 2


def test_bitrate_must_be_a_lame_constant_bitrate() -> None:
    for rate in MP3_BITRATES_KBPS:
        check_bitrate(rate)
    for rate in (0, 8, 100, 129, 330, -128):
        with pytest.raises(UsageError, match=r"32, 40, 48.*320"):
            check_bitrate(rate)


def test_m4a_refuses_bitrates_its_encoder_clicks_at(tmp_path: Path) -> None:
    check_bitrate(64)
    check_bitrate(128, ".m4a")
    with pytest.raises(UsageError, match=r"\.m4a track needs --bitrate 128 or more"):
        check_bitrate(96, ".m4a")
    with pytest.raises(UsageError):
        check_output(tmp_path / "a.m4a", bitrate_kbps=64)
    assert list(tmp_path.iterdir()) == []


def test_check_output_makes_every_check(tmp_path: Path) -> None:
    check_output(tmp_path / "a.mp3", bitrate_kbps=192)
    with pytest.raises(UsageError):
        check_output(tmp_path / "a.flac")
    with pytest.raises(UsageError):
        check_output(tmp_path / "a.mp3", bitrate_kbps=100)
    with pytest.raises(UsageError):
        check_output(tmp_path / "nowhere" / "a.wav")
    assert list(tmp_path.iterdir()) == []


def test_missing_ffmpeg_is_a_missing_component(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dirs = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "ffmpeg").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(dirs))
    for attempt in (find_ffmpeg, lambda: check_output(tmp_path / "a.mp3")):
        with pytest.raises(MissingComponent) as raised:
            attempt()
        assert str(raised.value) == "render to MP3 needs ffmpeg: sudo apt-get install ffmpeg"
        assert raised.value.exit_code == 3
    check_output(tmp_path / "a.wav")
    assert list(tmp_path.iterdir()) == []


def test_the_formats_module_stays_light() -> None:
    code = "import sys, coreg_audio.output.formats\nprint('numpy' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
