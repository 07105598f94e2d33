"""A private PulseAudio server with a null sink, and recordings of what reaches it.

Built as testing-audio.md describes: the server lives in its own runtime
folder, so it never meets another; a silent stream keeps the sink running, so
a recording of its monitor is continuous and can be dated from its end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.units import SAMPLE_RATE_HZ

SINK = "coreg_test"
TOOLS = ("pulseaudio", "pactl", "pacat", "parec")


@dataclass
class Recording:
    """What the sink played while recording: float samples (n, 2) and when the first was."""

    path: Path
    stopped_at: float = 0.0
    samples: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @property
    def started_at(self) -> float:
        """time.monotonic() of the first sample: the stop time less the recording's length."""
        return self.stopped_at - float(self.samples.shape[0]) / SAMPLE_RATE_HZ

    def index_at(self, moment: float) -> int:
        """The sample recorded at ``moment`` (a time.monotonic() value)."""
        return max(0, round((moment - self.started_at) * SAMPLE_RATE_HZ))


@dataclass(frozen=True)
class PulseServer:
    runtime: Path
    env: dict[str, str]

    @contextmanager
    def recording(self, path: Path) -> Iterator[Recording]:
        """Record the sink's monitor; stopped with SIGINT, which loses nothing at the end."""
        result = Recording(path)
        parec = subprocess.Popen(
            [
                "parec",
                "-d",
                f"{SINK}.monitor",
                "--latency-msec=10",
                "--file-format=wav",
                "--rate=44100",
                "--channels=2",
                "--format=s16le",
                str(path),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_for(
                lambda: path.exists() and path.stat().st_size > 44 + 4 * 4410,
                "parec to start recording",
            )
            yield result
        finally:
            result.stopped_at = time.monotonic()
            parec.send_signal(signal.SIGINT)
            parec.wait(timeout=10)
        result.samples = read_wav(path)


def read_wav(path: Path) -> np.ndarray:
    """16-bit stereo WAV as floats; the header's length is not trusted (parec may leave it 0)."""
    with wave.open(str(path), "rb") as file:
        assert (file.getframerate(), file.getnchannels(), file.getsampwidth()) == (
            SAMPLE_RATE_HZ,
            2,
            2,
        )
    data = path.read_bytes()
    start = data.index(b"data") + 8
    usable = (len(data) - start) // 4 * 4
    return np.frombuffer(data[start : start + usable], dtype="<i2").reshape(-1, 2) / 32768.0


def _wait_for(ready: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)


def require_tools() -> None:
    """Every PulseAudio tool, or a failure under CI (a skip only on a developer's machine)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    message = f"missing {', '.join(missing)} (apt-get install pulseaudio pulseaudio-utils)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def pulse_server(folder: Path) -> Iterator[PulseServer]:
    """A PulseAudio server with one null sink, kept running by a silent stream."""
    require_tools()
    runtime = folder / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "PULSE_RUNTIME_PATH": str(runtime),
        "PULSE_SERVER": f"unix:{runtime}/native",
    }
    env.pop("PULSE_SINK", None)
    log = (folder / "pulseaudio.log").open("wb")
    server = subprocess.Popen(
        [
            "pulseaudio",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--system=false",
            "-n",
            "--use-pid-file=no",
            "--log-target=stderr",
            f"--load=module-null-sink sink_name={SINK} rate=44100 channels=2",
            "--load=module-native-protocol-unix auth-anonymous=1",
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    keep_running: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(
            lambda: (
                server.poll() is not None
                or subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0
            ),
            "the PulseAudio server",
        )
        if server.poll() is not None:
            raise RuntimeError(f"pulseaudio exited: {(folder / 'pulseaudio.log').read_text()}")
        keep_running = subprocess.Popen(
            [
                "pacat",
                "-d",
                SINK,
                "--raw",
                "--format=s16le",
                "--rate=44100",
                "--channels=2",
                "--latency-msec=50",
                "/dev/zero",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        yield PulseServer(runtime, env)
    finally:
        for process in (keep_running, server):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        log.close()
