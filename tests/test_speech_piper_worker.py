"""The Piper worker process, spoken to directly over its connection."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coreg_audio.speech import piper_worker
from coreg_audio.speech.piper_voices import find_voice

REPLY_TIMEOUT_S = 60.0


class RawWorker:
    def __init__(self, process: subprocess.Popen[bytes], conn: Connection) -> None:
        self.process = process
        self.conn = conn

    def ask(self, *request: Any) -> Any:
        self.conn.send(request)
        return self.receive()

    def receive(self) -> Any:
        assert self.conn.poll(REPLY_TIMEOUT_S), "the worker did not answer"
        return self.conn.recv()


@pytest.fixture
def worker() -> Iterator[RawWorker]:
    parent, child = Pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", piper_worker.__name__, str(child.fileno())],
        pass_fds=(child.fileno(),),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **dict.fromkeys(piper_worker.THREAD_VARIABLES, "1")},
    )
    child.close()
    yield RawWorker(process, parent)
    if process.poll() is None:
        process.kill()
    process.communicate()
    parent.close()


def joe() -> tuple[str, str]:
    voice = find_voice("en_US-joe-medium")
    assert voice is not None
    return str(voice.model), str(voice.config)


def test_it_says_ready_with_the_versions(worker: RawWorker) -> None:
    status, versions = worker.receive()
    assert status == "ready"
    assert set(versions) == {"piper-tts", "onnxruntime"}
    assert versions["piper-tts"].startswith("1.")


def test_it_speaks_the_same_text_alike_and_never_loads_the_dsp(worker: RawWorker) -> None:
    assert worker.receive()[0] == "ready"
    model, config = joe()
    status, (raw, rate_hz) = worker.ask("speak", "Breathe in", model, config, 1.0, 30.0)
    assert status == "ok" and rate_hz == 22050 and raw.dtype == np.float32
    assert 0.4 < raw.size / rate_hz < 2.0 and 0.05 < np.max(np.abs(raw)) <= 1.0
    _, (again, _) = worker.ask("speak", "Breathe in", model, config, 1.0, 30.0)
    np.testing.assert_array_equal(again, raw)
    _, (slower, _) = worker.ask("speak", "Breathe in", model, config, 1.5, 30.0)
    assert slower.size > 1.3 * raw.size, "the length scale slows the voice"
    maps = Path(f"/proc/{worker.process.pid}/maps").read_text()
    assert "/scipy/" not in maps, "clips are finished by the caller: the worker stays small"


def test_silence_and_failures_are_answers_and_the_worker_goes_on(worker: RawWorker) -> None:
    assert worker.receive()[0] == "ready"
    model, config = joe()
    status, reason = worker.ask("speak", "Hi", "/no/such.onnx", "/no/such.onnx.json", 1, 30)
    assert status == "error" and "No such file" in reason
    status, reason = worker.ask("sing", "Hi")
    assert status == "error" and "unknown request 'sing'" in reason
    assert worker.ask("speak", "Out", model, config, 1.0, 30.0)[0] == "ok"
    worker.conn.send(("quit",))
    assert worker.process.wait(timeout=REPLY_TIMEOUT_S) == 0
