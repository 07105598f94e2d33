"""Shared fixtures: an isolated speech cache, script files, and a quick fake voice."""

from __future__ import annotations

import os
import signal
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coreg_audio.errors import VoiceNotFound
from coreg_audio.format.loader import parse_script_bytes
from coreg_audio.format.model import Script
from coreg_audio.format.reader import read_script
from coreg_audio.speech.voice import VoiceSettings
from coreg_audio.units import SAMPLE_RATE_HZ

from .pulse import PulseServer, pulse_server


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C reaches the commands the tests start, however the suite was started.

    A background job of a non-interactive shell starts with SIGINT ignored, and
    every process started from it would inherit that, so the Ctrl-C tests would
    test nothing; a handled SIGINT here is reset to the default in each child.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = REPO / "tests" / "conformance"
"""A copy of the shared conformance cases, so a clone alone can run them."""
SHARED_CONFORMANCE = REPO.parent / "shared" / "conformance"
"""The shared originals, used too when this checkout sits beside them."""
SPEC = REPO / "docs" / "spec"
"""A copy of the shared specification, so a clone's README can link it."""
SHARED_SPEC = REPO.parent / "shared" / "spec"


def peak_rss_mb(pid: int | str = "self") -> int:
    """A process's peak resident memory (VmHWM), in MB.

    Not ``ru_maxrss``: after exec Linux keeps there the parent's size at the
    fork, so a child of a large test process would seem as large.
    """
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    raise RuntimeError("no VmHWM in /proc: not Linux?")


@pytest.fixture(autouse=True, scope="session")
def _speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One speech cache for the whole run, never the user's own."""
    folder = tmp_path_factory.mktemp("speech-cache")
    previous = os.environ.get("COREG_AUDIO_CACHE_DIR")
    os.environ["COREG_AUDIO_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("COREG_AUDIO_CACHE_DIR", None)
    else:
        os.environ["COREG_AUDIO_CACHE_DIR"] = previous


@pytest.fixture(autouse=True, scope="session")
def _voice_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Only the installed voice package speaks with Piper: no user's own voice folder."""
    folder = tmp_path_factory.mktemp("data-home")
    saved = {name: os.environ.get(name) for name in ("XDG_DATA_HOME", "COREG_AUDIO_VOICES")}
    os.environ["XDG_DATA_HOME"] = str(folder)
    os.environ.pop("COREG_AUDIO_VOICES", None)
    yield folder
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class FakeSpeech:
    """Clip lengths from the text alone: 60 ms a character plus 150 ms, scaled by rate.

    Fast and predictable for timing rules; the real engine is tested elsewhere.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, VoiceSettings]] = []

    def length_samples(self, text: str, voice: VoiceSettings) -> int:
        self.calls.append((text, voice))
        seconds = (0.15 + 0.06 * len(text)) * 140 / voice.rate_wpm
        return round(seconds * SAMPLE_RATE_HZ)


class NoVoiceNamedNobody(FakeSpeech):
    """An engine that has every voice but 'nobody'."""

    def length_samples(self, text: str, voice: VoiceSettings) -> int:
        if voice.name == "nobody":
            raise VoiceNotFound("no pyttsx3 voice 'nobody'")
        return super().length_samples(text, voice)


@pytest.fixture
def fake_speech() -> FakeSpeech:
    return FakeSpeech()


def script_from(text: str, path: str = "test.yaml", folder: Path | None = None) -> Script:
    body = textwrap.dedent(text).lstrip("\n")
    where = (folder or Path.cwd()) / path
    return read_script(parse_script_bytes(body.encode(), where, path), Path(path).stem)


@pytest.fixture
def write_script(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str, name: str = "practice.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """A private PulseAudio server with a null sink (tests/pulse.py), for the whole run."""
    with pulse_server(tmp_path_factory.mktemp("pulse")) as server:
        yield server
