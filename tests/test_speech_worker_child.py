"""The worker processes' shared helpers: a forked child's result, error and time limit."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from coreg_audio.speech.worker_child import in_forked_child


def test_in_forked_child_returns_the_result_of_the_child() -> None:
    parent_pid = os.getpid()
    assert in_forked_child(lambda: os.getpid() != parent_pid, 10.0) is True
    big = in_forked_child(lambda: b"x" * 3_000_000, 10.0)
    assert big == b"x" * 3_000_000, "results larger than a pipe's buffer arrive whole"


def test_in_forked_child_reports_the_childs_error() -> None:
    def fail() -> None:
        raise ValueError("nope")

    with pytest.raises(RuntimeError, match="ValueError: nope"):
        in_forked_child(fail, 10.0)


def test_in_forked_child_kills_and_reaps_a_child_past_its_time(tmp_path: Path) -> None:
    marker = tmp_path / "pid"

    def hang() -> None:
        marker.write_text(str(os.getpid()))
        time.sleep(60)

    with pytest.raises(TimeoutError):
        in_forked_child(hang, 0.5)
    pid = int(marker.read_text())
    assert not os.path.exists(f"/proc/{pid}"), "killed and reaped, not left a zombie"
