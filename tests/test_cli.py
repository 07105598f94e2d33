"""The command line, run as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coreg_audio import __version__

from .conftest import CONFORMANCE

MALFORMED = {
    "empty.yaml": b"",
    "list.yaml": b"- say: hi\n",
    "binary.yaml": b"title: T\n\xff\xfe\x00steps: []\n",
    "syntax.yaml": b"title: [T\nsteps:\n",
    "bomb.yaml": b"title: T\nsteps:\n  - &a0 {pause: 1}\n" + b"".join(
        f"  - &a{i} {{repeat: {{times: 1, steps: [*a{i-1}, *a{i-1}, *a{i-1}]}}}}\n".encode()
        for i in range(1, 30)),
    "absurd.yaml": b"title: T\nsteps:\n  - pause: 1e99999999\n  - breathe: {cycles: -5}\n",
    "long.yaml": b"title: T\nsteps:\n  - repeat: {times: 1000, steps: [{pause: 3600}]}\n",
    "deep.yaml": b"[" * 3000,
    "typo.yaml": b"title: T\npattern: {inhail: 4, exhale: 6}\nsteps:\n  - sya: hi\n",
}


def run(*args: str, cwd: Path | None = None, timeout: float = 120,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "coreg_audio", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, **(env or {})})


PYTHON_EXCEPTION = re.compile(r"^[\w.]*[a-z](Error|Exception|Interrupt)\b", re.MULTILINE)


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert not PYTHON_EXCEPTION.search(result.stderr), result.stderr


def test_version_and_help() -> None:
    result = run("--version")
    assert result.returncode == 0 and __version__ in result.stdout
    result = run("--help")
    assert result.returncode == 0
    for command in ("list", "show", "validate", "render", "voices"):
        assert command in result.stdout


def test_entry_point_script_runs() -> None:
    exe = Path(sys.executable).parent / "coreg-audio"
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and __version__ in result.stdout


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_scripts_get_located_errors_quickly(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(MALFORMED[name])
    began = time.monotonic()
    result = run("validate", str(path))
    elapsed = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert_no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"{path}:") and ": error: " in line for line in lines)
    assert elapsed < 10, "generous for a loaded machine; the 2 s goal is for the check itself"


def test_every_problem_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_bytes(MALFORMED["typo.yaml"])
    result = run("validate", str(path))
    assert result.stderr.splitlines() == [
        f"{path}:2:10: error: 'pattern' needs 'inhale'",
        f"{path}:2:11: error: unknown key 'inhail' in 'pattern'; did you mean 'inhale'?",
        f"{path}:4:5: error: step 1 has no step kind: unknown key 'sya'; did you mean 'say'?",
    ]


def test_validate_many_and_exit_codes(tmp_path: Path) -> None:
    good = CONFORMANCE / "in-4-out-6.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: T\nsteps: []\n")
    assert run("validate", str(good)).returncode == 0
    result = run("validate", str(good), str(bad))
    assert result.returncode == 1
    assert f"{good}: valid" in result.stdout
    assert result.stderr.startswith(f"{bad}:2:8: error:")
    missing = run("validate", str(tmp_path / "nothing.yaml"))
    assert missing.returncode == 2
    assert_no_traceback(missing)


def test_show_json_is_the_documented_timeline() -> None:
    result = run("show", str(CONFORMANCE / "movement.yaml"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"] == "Rock, walk, bell"
    assert data["sample_rate"] == 44100 and data["duration"] == 32.0
    assert [s["title"] for s in data["sections"]] == ["Rocking", "Walking"]
    assert {e["kind"] for e in data["events"]} == {"section", "beat", "cue", "bell"}


def test_show_text_and_overrides() -> None:
    result = run("show", str(CONFORMANCE / "in-4-out-6.yaml"), "--pace", "3-5", "--tones", "chime")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("In for four, out for six  (00:24.0)")
    assert "chime inhale" in result.stdout


def test_show_by_name_and_unknown_name() -> None:
    result = run("show", "breath-sync", "--set", "a=Sam", "--set", "b=Alex")
    assert result.returncode == 0, result.stderr
    assert "Sam, notice your own breath first." in result.stdout
    unknown = run("show", "breath-snyc")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == ("error: no practice named 'breath-snyc'; did you mean "
                                      "'breath-sync'? (coreg-audio list shows them all)")


@pytest.mark.parametrize(("args", "words"), [
    (("show", "breath-sync", "--pace", "fast"), "--pace fast: not a pattern"),
    (("show", "breath-sync", "--set", "novalue"), "--set takes NAME=VALUE"),
    (("show", "breath-sync", "--rate", "12"), "--rate must be from 80 to 300"),
    (("show", "breath-sync", "--tones", "bells"), "Invalid value for '--tones'"),
    (("render", "breath-sync", "-o", "x.ogg"), ".ogg"),
    (("render", "breath-sync", "--bitrate", "100"), "100"),
    (("render", "breath-sync", "-o", "/no/such/folder/x.mp3"), "/no/such/folder"),
    (("frobnicate",), "No such command"),
])
def test_bad_command_lines_exit_2(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert words in result.stderr
    assert_no_traceback(result)
    assert not list(tmp_path.iterdir())


def test_list_shows_the_builtin_practice() -> None:
    result = run("list", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["breath-sync"]["title"] == "Breath Synchronization"
    assert 360 <= rows["breath-sync"]["duration"] <= 720
    text = run("list")
    assert "breath-sync" in text.stdout and "Breath Synchronization" in text.stdout


def test_voices_lists_engine_voices() -> None:
    for engine in ("pyttsx3", "espeak"):
        result = run("voices", "--engine", engine)
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) > 20
        assert "en" in result.stdout


@pytest.mark.slow
def test_render_wav_and_keep_an_existing_file_on_ctrl_c(tmp_path: Path) -> None:
    script = tmp_path / "short.yaml"
    script.write_text("title: Short\nlead: 0.5\ntail: 0.5\nsteps:\n  - say: Hello.\n"
                      "  - breathe: {cycles: 1, pattern: 2-3}\n")
    result = run("render", str(script), "-o", str(tmp_path / "short.wav"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "short.wav").stat().st_size > 44100 * 4 * 5
    assert "wrote" in result.stdout

    long_script = tmp_path / "long.yaml"
    long_script.write_text("title: Long\nambience: pink-noise\nsteps:\n"
                           "  - breathe: {cycles: 240, guide: 0}\n")
    target = tmp_path / "long.mp3"
    target.write_bytes(b"precious")
    process = subprocess.Popen([sys.executable, "-m", "coreg_audio", "render", str(long_script),
                                "-o", str(target)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(4)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp3", "long.yaml",
                                                         "short.wav", "short.yaml"]
