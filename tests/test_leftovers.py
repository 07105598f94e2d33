"""Nothing left behind: a dead run's files are removed by the next, a live run's never touched."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coreg_audio import leftovers
from coreg_audio.leftovers import hold, sweep

from .conftest import REPO


def dead_pid() -> int:
    """The id of a process that has ended (and is not reused this soon)."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    return ended.pid


LOCKER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | (os.O_DIRECTORY if os.path.isdir(sys.argv[1]) else 0))
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(120)
"""


@pytest.fixture
def locker() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes holding locks, as a live run elsewhere (another container) would."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def held_elsewhere(path: Path, started: list[subprocess.Popen[str]]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)], stdout=subprocess.PIPE, text=True
    )
    started.append(process)
    assert process.stdout is not None and process.stdout.readline().strip() == "held"


def test_partial_files_of_dead_runs_go_and_live_ones_stay(
    tmp_path: Path, locker: list[subprocess.Popen[str]]
) -> None:
    gone = dead_pid()
    dead = tmp_path / f".track.mp3.partial-{gone}-0a1b2c3d"
    ours = tmp_path / f".track.mp3.partial-{os.getpid()}-0a1b2c3d"
    elsewhere = tmp_path / f".page.html.partial-{gone}-00000000"
    young_legacy = tmp_path / ".track.vtt.partial-0a1b2c3d"
    old_legacy = tmp_path / ".track.lrc.partial-0a1b2c3d"
    others = [tmp_path / "track.mp3", tmp_path / ".hidden", tmp_path / ".x.partial-zz"]
    for path in [dead, ours, elsewhere, young_legacy, old_legacy, *others]:
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(old_legacy, (two_hours_ago, two_hours_ago))
    ours_held = hold(ours)
    held_elsewhere(elsewhere, locker)
    removed = sweep(tmp_path, leftovers._PARTIAL_NAME, leftovers._PARTIAL_LEGACY)
    assert sorted(removed) == sorted([dead, old_legacy])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in [ours, elsewhere, young_legacy, *others]
    )
    ours_held.release()


def test_temp_files_and_folders_of_dead_runs_go(
    tmp_path: Path, locker: list[subprocess.Popen[str]]
) -> None:
    gone = dead_pid()
    worker = tmp_path / f"coreg-audio-tts-{gone}-abcd_123"
    worker.mkdir()
    (worker / "speech.wav").write_bytes(b"RIFF")
    files = [tmp_path / f"coreg-audio-{gone}-abcdefgh.ffmetadata"]
    files.append(tmp_path / f"coreg-audio-{gone}-abcdefgh.png")
    for path in files:
        path.write_bytes(b"x")
    live = tmp_path / f"coreg-audio-espeak-{os.getpid()}-abcdefgh"
    live.mkdir()
    live_held = hold(live)
    other_run = tmp_path / f"coreg-audio-tts-{gone}-zzzzzzzz"
    other_run.mkdir()
    held_elsewhere(other_run, locker)
    foreign = tmp_path / "coreg-audio-notes.txt"
    foreign.write_text("not ours")
    removed = sweep(tmp_path, leftovers._TEMP_NAME, leftovers._TEMP_LEGACY)
    assert sorted(removed) == sorted([worker, *files])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, other_run.name, foreign.name]
    )
    live_held.release()


def test_a_lock_is_held_until_released(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"")
    held = hold(path)
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.release()
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


PARENT = """
import subprocess, sys
from coreg_audio.leftovers import dying_with_this_process
child = subprocess.Popen(["sleep", "300"], preexec_fn=dying_with_this_process(),
                         start_new_session=True)
print(child.pid, flush=True)
sys.stdin.read()
"""


def test_a_child_dies_with_the_process_that_started_it() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    pytest.fail("the child outlived its parent")


LONG = "title: Long\ntones: {style: glide}\nambience: rain\nsteps:\n  - breathe: {cycles: 120}\n"
SHORT = "title: Short\nsteps:\n  - breathe: {cycles: 1}\n"


def start_render(folder: Path, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "coreg_audio", "render", f"{name}.yaml", "-o", f"{name}.mp3",
         "--engine", "espeak"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def encoding(folder: Path, name: str, timeout_s: float = 120) -> Path:
    """The partial file of ``name``, once the encoder has written some of it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for path in folder.glob(f".{name}.mp3.partial-*"):
            if path.stat().st_size > 50_000:
                return path
        time.sleep(0.05)
    pytest.fail(f"{name} never started encoding")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
def test_a_render_killed_outright_takes_its_encoder_and_the_next_clears_up(
    tmp_path: Path,
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    (tmp_path / "long.yaml").write_text(LONG)
    (tmp_path / "other.yaml").write_text(LONG)
    (tmp_path / "short.yaml").write_text(SHORT)
    killed = start_render(tmp_path, "long", env)
    partial = encoding(tmp_path, "long")
    (encoder,) = children(killed.pid)
    leftover_inputs = sorted(temp.iterdir())
    assert sorted(path.suffix for path in leftover_inputs) == [".ffmetadata", ".png"]
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{encoder}").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not Path(f"/proc/{encoder}").exists(), "the encoder died with its render"
    size = partial.stat().st_size
    time.sleep(0.5)
    assert partial.stat().st_size == size, "and wrote nothing more"
    assert not (tmp_path / "long.mp3").exists()

    live = start_render(tmp_path, "other", env)
    live_partial = encoding(tmp_path, "other")
    next_render = start_render(tmp_path, "short", env)
    assert next_render.wait(120) == 0
    assert not partial.exists(), "the next render in the folder removed the dead one's file"
    assert not any(path in leftover_inputs for path in temp.iterdir())
    assert live_partial.exists() or (tmp_path / "other.mp3").exists(), "a live one's is kept"
    assert live.wait(120) == 0
    assert sorted(path.name for path in tmp_path.iterdir() if path.suffix == ".mp3") == [
        "other.mp3",
        "short.mp3",
    ]
    assert not [path for path in tmp_path.iterdir() if "partial" in path.name]


SPEAKING = "title: Speaking\nsteps:\n" + "".join(
    f"  - say: Sentence number {n} is here, spoken slowly and with care.\n" for n in range(40)
)


@pytest.mark.slow
def test_a_run_killed_while_speaking_leaves_a_folder_the_next_start_removes(
    tmp_path: Path,
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "COREG_AUDIO_CACHE_DIR": str(tmp_path / "cache")}
    (tmp_path / "speaking.yaml").write_text(SPEAKING)
    speaking = subprocess.Popen(
        [sys.executable, "-m", "coreg_audio", "render", "speaking.yaml", "-o", "s.wav",
         "--engine", "piper"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(temp.glob("coreg-audio-tts-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    os.kill(speaking.pid, signal.SIGKILL)
    speaking.wait()
    folders = list(temp.glob("coreg-audio-tts-*"))
    assert folders, "a speech worker's folder is left"
    (tmp_path / "short.yaml").write_text("title: S\nsteps:\n  - say: Hello.\n")
    again = subprocess.run(
        [sys.executable, "-m", "coreg_audio", "validate", "short.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert not [folder for folder in folders if folder.exists()]
