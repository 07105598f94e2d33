"""The pyttsx3 worker on its own: its message protocol, its forked clips, its file checks."""

from __future__ import annotations

import ctypes
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from coreg_audio.speech import pyttsx3_worker
from coreg_audio.speech.pyttsx3_worker import (
    _language_list,
    wait_for_complete_file,
)

REPLY_TIMEOUT_S = 30.0


class RawWorker:
    def __init__(self, process: subprocess.Popen[bytes], conn: Connection) -> None:
        self.process = process
        self.conn = conn

    def receive(self) -> Any:
        assert self.conn.poll(REPLY_TIMEOUT_S), "the worker did not answer"
        return self.conn.recv()


@pytest.fixture
def worker() -> Iterator[RawWorker]:
    parent, child = Pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", pyttsx3_worker.__name__, str(child.fileno())],
        pass_fds=(child.fileno(),),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child.close()
    yield RawWorker(process, parent)
    if process.poll() is None:
        process.kill()
    process.communicate()
    parent.close()


def test_it_says_ready_with_the_voices(worker: RawWorker) -> None:
    status, voices = worker.receive()
    assert status == "ready"
    ids = [row[0] for row in voices]
    assert "gmw/en-US" in ids
    row = voices[ids.index("gmw/en-US")]
    assert row[2] == ("en-us", "en") and row[4] == (2, 3)


def test_speak_writes_a_whole_wav_file(worker: RawWorker, tmp_path: Path) -> None:
    assert worker.receive()[0] == "ready"
    path = str(tmp_path / "in.wav")
    worker.conn.send(("speak", "Breathe in", "gmw/en-US", 140, None, path, 30.0))
    assert worker.receive() == ("ok", path)
    with wave.open(path) as audio:
        assert audio.getframerate() == 22050 and audio.getnchannels() == 1
        assert audio.getsampwidth() == 2
        assert audio.getnframes() > 22050 // 4


def test_a_failed_request_is_an_error_reply_and_the_worker_goes_on(
    worker: RawWorker, tmp_path: Path
) -> None:
    assert worker.receive()[0] == "ready"
    worker.conn.send(("dance",))
    status, reason = worker.receive()
    assert status == "error" and "dance" in reason
    missing_folder = str(tmp_path / "no" / "such" / "folder" / "x.wav")
    worker.conn.send(("speak", "In", "gmw/en-US", 140, None, missing_folder, 1.0))
    assert worker.receive()[0] == "error"
    ok = str(tmp_path / "ok.wav")
    worker.conn.send(("speak", "Out", "gmw/en-US", 140, None, ok, 30.0))
    assert worker.receive() == ("ok", ok)


def test_quit_ends_it_quietly(worker: RawWorker) -> None:
    assert worker.receive()[0] == "ready"
    worker.conn.send(("quit",))
    out, err = worker.process.communicate(timeout=REPLY_TIMEOUT_S)
    assert worker.process.returncode == 0
    assert out == b"" and err == b"", "pyttsx3's own prints must not escape"


def test_it_ends_when_the_parent_goes_away(worker: RawWorker) -> None:
    assert worker.receive()[0] == "ready"
    worker.conn.close()
    worker.process.wait(timeout=REPLY_TIMEOUT_S)
    assert worker.process.returncode == 0


def test_an_unknown_driver_says_missing(tmp_path: Path) -> None:
    parent, child = Pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", pyttsx3_worker.__name__, str(child.fileno()), "no_such_driver"],
        pass_fds=(child.fileno(),),
    )
    child.close()
    try:
        assert parent.poll(REPLY_TIMEOUT_S)
        status, reason = parent.recv()
        assert status == "missing" and "no_such_driver" in reason
        assert process.wait(timeout=REPLY_TIMEOUT_S) == 0
    finally:
        parent.close()


def write_wav(path: Path, frames: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(b"\x01\x00" * frames)


def test_wait_for_complete_file_accepts_a_whole_wav(tmp_path: Path) -> None:
    path = tmp_path / "whole.wav"
    write_wav(path, 1000)
    wait_for_complete_file(str(path), time.monotonic() + 5.0)


def test_wait_for_complete_file_rejects_a_truncated_or_absent_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    write_wav(path, 1000)
    path.write_bytes(path.read_bytes()[:-500])
    with pytest.raises(TimeoutError):
        wait_for_complete_file(str(path), time.monotonic() + 0.2)
    with pytest.raises(TimeoutError):
        wait_for_complete_file(str(tmp_path / "absent.wav"), time.monotonic() + 0.2)


def test_wait_for_complete_file_accepts_other_formats_once_their_size_settles(
    tmp_path: Path,
) -> None:
    path = tmp_path / "speech.aiff"
    path.write_bytes(b"FORM" + b"\0" * 100)
    wait_for_complete_file(str(path), time.monotonic() + 5.0)


def test_espeak_language_lists_are_unpacked_with_their_priorities() -> None:
    packed = ctypes.create_string_buffer(b"\x02en-us\x00\x03en\x00\x00")
    field = ctypes.c_void_p(ctypes.addressof(packed))
    assert _language_list(ctypes.addressof(field)) == [("en-us", 2), ("en", 3)]
    empty = ctypes.c_void_p(None)
    assert _language_list(ctypes.addressof(empty)) == []
