"""render --all: a folder of tagged tracks, captions and a playlist, rendered only when needed.

Tracks render in real spawned processes with the real speech engine, ffmpeg,
ffprobe, mp3val and mutagen; small practices keep it quick, and one slow test
renders the whole built-in library through the command a user types.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3
from PIL import Image

from coreg_audio import practice
from coreg_audio.errors import UsageError
from coreg_audio.format.overrides import Overrides
from coreg_audio.library import Found
from coreg_audio.output.batch import BatchOptions, BatchReport, render_all
from coreg_audio.output.batch_manifest import MANIFEST_FORMAT, MANIFEST_NAME
from coreg_audio.output.index_page import INDEX_NAME
from coreg_audio.output.playlist import PLAYLIST_NAME
from coreg_audio.output.render import RenderOptions
from coreg_audio.units import SAMPLE_RATE_HZ

from .test_render import ebur128

PRACTICES = {
    "arrive": """\
        title: Arrive & settle
        summary: A short arrival.
        lead: 0.5
        tail: 0.5
        ambience: {sound: rain, level: -26}
        steps:
          - section: Arriving
          - say: Welcome, both of you.
          - section: Breathing
          - breathe: {cycles: 1, pattern: 2-3, count: true}
        """,
    "close": """\
        title: Close
        lead: 0.5
        tail: 0.5
        steps:
          - say: Thank you for practising.
          - bell: {strikes: 1, ring: 2}
        """,
}
ALL_FILES = sorted(
    [f"{name}{suffix}" for name in PRACTICES for suffix in (".html", ".lrc", ".mp3", ".vtt")]
    + [MANIFEST_NAME, PLAYLIST_NAME, INDEX_NAME]
)


def write_library(folder: Path, practices: dict[str, str] = PRACTICES) -> list[Found]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in practices.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return library_of(folder)


def library_of(folder: Path) -> list[Found]:
    return [Found(path.stem, path, "test") for path in sorted(folder.glob("*.yaml"))]


def run_all(
    out_dir: Path,
    library: list[Found],
    *,
    album: str | None = None,
    overrides: Overrides | None = None,
    jobs: int | None = None,
) -> BatchReport:
    render = RenderOptions(album=album) if album is not None else RenderOptions()
    options = BatchOptions(render, out_dir, overrides or Overrides(), jobs)
    return render_all(options, practices=library)


def statuses(report: BatchReport) -> dict[str, str]:
    return {track.name: track.status for track in report.tracks}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file's inode and modification time: changed only if the file was written again."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


def ffprobe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_format",
            "-show_chapters",
            "-show_streams",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def assert_phone_ready_mp3(path: Path, title: str, track: str, album: str) -> None:
    """The checks of the issue for one MP3: tags, chapters in order, cover art, mp3val."""
    probe = ffprobe(path)
    tags = probe["format"]["tags"]
    assert (tags["title"], tags["album"], tags["track"]) == (title, album, track)
    assert tags["artist"]
    starts = [float(chapter["start_time"]) for chapter in probe["chapters"]]
    assert starts and starts == sorted(starts) and starts[0] == 0.0
    for chapter in probe["chapters"]:
        assert chapter["tags"]["title"] in tags["comment"]
    id3 = ID3(path)
    (picture,) = id3.getall("APIC")
    assert (picture.type, picture.mime) == (3, "image/png")
    assert Image.open(io.BytesIO(picture.data)).size == (600, 600)
    (comment,) = id3.getall("COMM")
    assert comment.text == [tags["comment"]]
    assert id3.getall("TXXX") == []
    checked = subprocess.run(["mp3val", str(path)], capture_output=True, text=True, check=True)
    assert not re.search(r"^(WARNING|ERROR)", checked.stdout, re.MULTILINE), checked.stdout


def assert_captions_follow_the_timeline(lrc_path: Path, vtt_path: Path, found: Found) -> None:
    timeline = practice.timeline_of(practice.load_found(found))
    spoken = timeline.spoken_events()
    times = re.findall(
        r"^\[(\d+):(\d\d\.\d\d)\].", lrc_path.read_text(encoding="utf-8"), re.MULTILINE
    )
    assert len(times) == len(spoken)
    for (minutes, seconds), event in zip(times, spoken, strict=True):
        assert (
            abs(int(minutes) * 60 + float(seconds) - event.start_samples / SAMPLE_RATE_HZ) <= 0.01
        )
    assert vtt_path.read_text(encoding="utf-8").count(" --> ") == len(spoken)


def page_data_of(path: Path) -> dict[str, Any]:
    """The practice's data inside a pacer page."""
    match = re.search(
        r'<script type="application/json" id="practice">(.*?)</script>',
        path.read_text(encoding="utf-8"),
        re.S,
    )
    assert match, path
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def assert_page_follows_the_timeline(page: Path, found: Found) -> None:
    timeline = practice.timeline_of(practice.load_found(found))
    data = page_data_of(page)
    assert data["track"] == page.with_suffix(".mp3").name
    assert (data["title"], data["duration"]) == (timeline.title, round(timeline.duration_s, 4))
    assert [b["start"] for b in data["breaths"]] == [
        round(p.start_samples / SAMPLE_RATE_HZ, 4) for p in timeline.breaths
    ]
    assert [w["text"] for w in data["words"]] == [e.text for e in timeline.spoken_events()]
    assert [s["title"] for s in data["sections"]] == [c.title for c in timeline.chapters]
    assert data["artwork"].startswith("data:image/jpeg;base64,")


def index_links(out_dir: Path) -> list[tuple[str, str]]:
    """(page, title) of each entry of the folder's index, in order."""
    text = (out_dir / INDEX_NAME).read_text(encoding="utf-8")
    return re.findall(r'<a class="card" href="([^"]+)">.*?<span class="name">([^<]*)</span>', text)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Found], BatchReport]:
    root = tmp_path_factory.mktemp("batch")
    library = write_library(root / "library")
    report = run_all(root / "tracks", library, jobs=2)
    return root / "tracks", library, report


def copy_of(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> tuple[Path, list[Found]]:
    """A folder and library of one's own to change; file sizes (all the manifest checks) kept."""
    out_dir, library, _ = first_run
    shutil.copytree(out_dir, tmp_path / "tracks")
    shutil.copytree(library[0].path.parent, tmp_path / "library")
    return tmp_path / "tracks", library_of(tmp_path / "library")


# --- the first run -----------------------------------------------------------------------------


@pytest.mark.slow
def test_every_practice_gets_a_track_captions_and_a_playlist_entry(
    first_run: tuple[Path, list[Found], BatchReport],
) -> None:
    out_dir, library, report = first_run
    assert statuses(report) == {"arrive": "rendered", "close": "rendered"}
    assert report.exit_code == 0 and report.removed == ()
    assert sorted(p.name for p in out_dir.iterdir()) == ALL_FILES
    durations = [track.duration_samples for track in report.tracks]
    assert (out_dir / PLAYLIST_NAME).read_text(encoding="utf-8") == (
        "#EXTM3U\n"
        f"#EXTINF:{round(durations[0] / SAMPLE_RATE_HZ)},Arrive & settle\narrive.mp3\n"
        f"#EXTINF:{round(durations[1] / SAMPLE_RATE_HZ)},Close\nclose.mp3\n"
    )
    for number, found in enumerate(library, start=1):
        mp3 = out_dir / f"{found.name}.mp3"
        title = report.tracks[number - 1].title
        assert_phone_ready_mp3(mp3, title, f"{number}/2", "coreg-audio practices")
        assert float(ffprobe(mp3)["format"]["duration"]) == pytest.approx(
            durations[number - 1] / SAMPLE_RATE_HZ, abs=0.05
        )
        assert_captions_follow_the_timeline(
            out_dir / f"{found.name}.lrc", out_dir / f"{found.name}.vtt", found
        )
        assert_page_follows_the_timeline(out_dir / f"{found.name}.html", found)
    assert index_links(out_dir) == [("arrive.html", "Arrive &amp; settle"), ("close.html", "Close")]
    index = (out_dir / INDEX_NAME).read_text(encoding="utf-8")
    assert index.count('<img src="data:image/jpeg;base64,') == 2
    assert "A short arrival." in index
    manifest = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert set(manifest["tracks"]["arrive"]["files"]) == {
        "arrive.mp3",
        "arrive.lrc",
        "arrive.vtt",
        "arrive.html",
    }
    assert manifest["tracks"]["arrive"]["page"]["summary"] == "A short arrival."


@pytest.mark.slow
def test_one_process_or_two_make_the_same_bytes(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> None:
    out_dir, library, _ = first_run
    report = run_all(tmp_path, library, jobs=1)
    assert statuses(report) == {"arrive": "rendered", "close": "rendered"}
    for name in ALL_FILES:
        assert (tmp_path / name).read_bytes() == (out_dir / name).read_bytes(), name


@pytest.mark.slow
def test_progress_is_one_bar_that_ends_full(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> None:
    _, library, _ = first_run
    calls: list[tuple[str, int, int]] = []
    render_all(
        BatchOptions(out_dir=tmp_path, jobs=2),
        lambda stage, done, total: calls.append((stage, done, total)),
        library,
    )
    assert {stage for stage, _, _ in calls} == {"tracks"}
    assert {total for _, _, total in calls} == {2000}
    done = [done for _, done, _ in calls]
    assert done == sorted(done) and done[-1] == 2000


# --- re-runs -----------------------------------------------------------------------------------


def test_an_unchanged_rerun_renders_and_writes_nothing(
    first_run: tuple[Path, list[Found], BatchReport],
) -> None:
    out_dir, library, first = first_run
    before = snapshot(out_dir)
    report = run_all(out_dir, library, jobs=2)
    assert statuses(report) == {"arrive": "unchanged", "close": "unchanged"}
    assert [t.title for t in report.tracks] == [t.title for t in first.tracks]
    assert [t.duration_samples for t in report.tracks] == [t.duration_samples for t in first.tracks]
    assert snapshot(out_dir) == before


@pytest.mark.slow
def test_editing_one_script_renders_only_that_one(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> None:
    out_dir, library = copy_of(first_run, tmp_path)
    script = library[1].path
    script.write_text(
        script.read_text().replace("title: Close\n", "title: Close\nsummary: Goodbye for now.\n")
    )
    before = snapshot(out_dir)
    report = run_all(out_dir, library)
    assert statuses(report) == {"arrive": "unchanged", "close": "rendered"}
    after = snapshot(out_dir)
    for name in ("arrive.mp3", "arrive.lrc", "arrive.vtt", "arrive.html", PLAYLIST_NAME):
        assert after[name] == before[name], name
    for name in ("close.mp3", "close.lrc", "close.vtt", "close.html", MANIFEST_NAME, INDEX_NAME):
        assert after[name] != before[name], name
    assert "Goodbye for now." in ffprobe(out_dir / "close.mp3")["format"]["tags"]["comment"]
    assert "Goodbye for now." in (out_dir / INDEX_NAME).read_text(encoding="utf-8")
    assert page_data_of(out_dir / "close.html")["summary"] == "Goodbye for now."


@pytest.mark.slow
def test_a_deleted_track_file_is_rendered_again(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> None:
    out_dir, library = copy_of(first_run, tmp_path)
    (out_dir / "arrive.mp3").unlink()
    (out_dir / "close.vtt").write_text("WEBVTT\n")
    report = run_all(out_dir, library)
    assert statuses(report) == {"arrive": "rendered", "close": "rendered"}
    assert sorted(p.name for p in out_dir.iterdir()) == ALL_FILES
    first_out = first_run[0]
    assert (out_dir / "close.vtt").read_bytes() == (first_out / "close.vtt").read_bytes()


@pytest.mark.slow
def test_new_options_render_everything_again(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> None:
    out_dir, library = copy_of(first_run, tmp_path)
    report = run_all(out_dir, library, album="Evening", overrides=Overrides(pace="5-5"))
    assert statuses(report) == {"arrive": "rendered", "close": "rendered"}
    assert ffprobe(out_dir / "arrive.mp3")["format"]["tags"]["album"] == "Evening"
    again = run_all(out_dir, library, album="Evening", overrides=Overrides(pace="5-5"))
    assert statuses(again) == {"arrive": "unchanged", "close": "unchanged"}


@pytest.mark.slow
def test_an_unreadable_manifest_means_rendering_again(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> None:
    out_dir, library = copy_of(first_run, tmp_path)
    (out_dir / MANIFEST_NAME).write_text("{not json")
    report = run_all(out_dir, library)
    assert statuses(report) == {"arrive": "rendered", "close": "rendered"}
    assert json.loads((out_dir / MANIFEST_NAME).read_text())["format"] == MANIFEST_FORMAT


@pytest.mark.slow
def test_a_practice_gone_from_the_library_takes_only_its_own_files(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> None:
    out_dir, library = copy_of(first_run, tmp_path)
    (out_dir / "notes.txt").write_text("mine")
    report = run_all(out_dir, library[:1], jobs=1)
    assert statuses(report) == {"arrive": "renumbered"}
    assert sorted(p.name for p in report.removed) == [
        "close.html",
        "close.lrc",
        "close.mp3",
        "close.vtt",
    ]
    assert sorted(p.name for p in out_dir.iterdir()) == [
        MANIFEST_NAME,
        "arrive.html",
        "arrive.lrc",
        "arrive.mp3",
        "arrive.vtt",
        INDEX_NAME,
        "notes.txt",
        PLAYLIST_NAME,
    ]
    assert "close" not in (out_dir / PLAYLIST_NAME).read_text()
    assert index_links(out_dir) == [("arrive.html", "Arrive &amp; settle")]
    assert ffprobe(out_dir / "arrive.mp3")["format"]["tags"]["track"] == "1/1"


@pytest.mark.slow
def test_a_practice_joining_renumbers_the_others_to_the_bytes_of_a_fresh_render(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> None:
    out_dir, library = copy_of(first_run, tmp_path)
    joined = write_library(library[0].path.parent, {"aaa-begin": PRACTICES["close"]})
    before = snapshot(out_dir)
    report = run_all(out_dir, joined)
    assert statuses(report) == {
        "aaa-begin": "rendered",
        "arrive": "renumbered",
        "close": "renumbered",
    }
    after = snapshot(out_dir)
    for name in ("arrive.lrc", "arrive.vtt", "arrive.html", "close.lrc", "close.vtt", "close.html"):
        assert after[name] == before[name], name
    assert [page for page, _ in index_links(out_dir)] == [
        "aaa-begin.html",
        "arrive.html",
        "close.html",
    ]
    fresh = run_all(tmp_path / "fresh", joined, jobs=1)
    assert set(statuses(fresh).values()) == {"rendered"}
    for name in sorted(p.name for p in (tmp_path / "fresh").iterdir()):
        assert (out_dir / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes(), name
    assert_phone_ready_mp3(out_dir / "close.mp3", "Close", "3/3", "coreg-audio practices")
    assert statuses(run_all(out_dir, joined)) == dict.fromkeys(statuses(report), "unchanged")


# --- failures ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_failed_tracks_old_file_takes_its_new_number_so_no_number_is_doubled(
    first_run: tuple[Path, list[Found], BatchReport], tmp_path: Path
) -> None:
    out_dir, library = copy_of(first_run, tmp_path)
    folder = library[0].path.parent
    joined = write_library(
        folder, {"aaa-begin": PRACTICES["close"], "arrive": "title: Arrive\nsteps:\n  - sya: hi\n"}
    )
    report = run_all(out_dir, joined)
    assert statuses(report) == {"aaa-begin": "rendered", "arrive": "failed", "close": "renumbered"}
    numbers = {
        name: ffprobe(out_dir / f"{name}.mp3")["format"]["tags"]["track"]
        for name in ("aaa-begin", "arrive", "close")
    }
    assert numbers == {"aaa-begin": "1/3", "arrive": "2/3", "close": "3/3"}
    assert "arrive" not in (out_dir / PLAYLIST_NAME).read_text()


@pytest.mark.slow
def test_invalid_scripts_are_reported_and_the_rest_still_render(tmp_path: Path) -> None:
    broken = {
        **PRACTICES,
        "bad-key": "title: Bad\nsteps:\n  - sya: hello\n",
        "no-voice": "title: No voice\nsteps:\n  - say: {text: Hi., voice: {name: xx-nowhere}}\n",
    }
    library = write_library(tmp_path / "library", broken)
    report = run_all(tmp_path / "tracks", library, jobs=2)
    assert statuses(report) == {
        "arrive": "rendered",
        "bad-key": "failed",
        "close": "rendered",
        "no-voice": "failed",
    }
    assert report.exit_code == 1
    failed = {track.name: track for track in report.tracks if track.status == "failed"}
    (line,) = failed["bad-key"].problems
    assert re.fullmatch(r".*bad-key\.yaml:3:5: error: .*'sya'.*", line)
    assert all(
        re.match(r".*no-voice\.yaml:\d+:\d+: error: ", p) for p in failed["no-voice"].problems
    )
    assert failed["no-voice"].problems
    playlist = (tmp_path / "tracks" / PLAYLIST_NAME).read_text()
    assert playlist.count("#EXTINF") == 2 and "bad-key" not in playlist
    assert [page for page, _ in index_links(tmp_path / "tracks")] == ["arrive.html", "close.html"]
    names = sorted(p.name for p in (tmp_path / "tracks").iterdir())
    assert names == ALL_FILES
    tracks = {t.name: t for t in report.tracks}
    assert ffprobe(tmp_path / "tracks" / "close.mp3")["format"]["tags"]["track"] == "3/4"
    assert tracks["close"].exit_code == 0


def test_a_bad_flag_or_folder_stops_before_any_work(tmp_path: Path) -> None:
    library = write_library(tmp_path / "library")
    with pytest.raises(UsageError, match=r"^pace fast: not a pattern"):
        run_all(tmp_path / "tracks", library, overrides=Overrides(pace="fast"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        run_all(tmp_path / "file", library)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "library"]


# --- through the command line ------------------------------------------------------------------


def coreg(
    *args: str, env: dict[str, str], timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coreg_audio", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


@pytest.fixture
def builtin_only(tmp_path: Path) -> dict[str, str]:
    """An environment whose search path holds the built-in library only."""
    env = {key: value for key, value in os.environ.items() if key != "COREG_AUDIO_PATH"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


@pytest.mark.slow
def test_render_all_fills_a_folder_for_the_phone(
    tmp_path: Path, builtin_only: dict[str, str]
) -> None:
    """The issue's acceptance check, over whatever the built-in library holds today."""
    listed = json.loads(coreg("list", "--json", env=builtin_only).stdout)
    names = [row["name"] for row in listed]
    assert "breath-sync" in names
    out_dir = tmp_path / "phone"
    result = coreg("render", "--all", "--out-dir", str(out_dir), env=builtin_only)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("rendered ") for line in lines) == len(names), result.stdout
    playlist = (out_dir / PLAYLIST_NAME).read_text(encoding="utf-8").splitlines()
    assert playlist[0] == "#EXTM3U"
    assert playlist[2::2] == [f"{name}.mp3" for name in names]
    assert [line.split(",", 1)[1] for line in playlist[1::2]] == [row["title"] for row in listed]
    exact = {
        row["name"]: row for row in json.loads(coreg("list", "--json", env=builtin_only).stdout)
    }
    for number, row in enumerate(listed, start=1):
        assert not exact[row["name"]].get("estimated"), "rendering left every length exact"
        row = exact[row["name"]]
        mp3 = out_dir / f"{row['name']}.mp3"
        assert_phone_ready_mp3(mp3, row["title"], f"{number}/{len(names)}", "coreg-audio practices")
        assert playlist[2 * number - 1].startswith(f"#EXTINF:{round(row['duration'])},")
        integrated, peak = ebur128(mp3)
        assert -17.0 <= integrated <= -15.0, (row["name"], integrated)
        assert peak <= -1.0, (row["name"], peak)
        found = Found(row["name"], Path(row["path"]), row["origin"])
        assert_captions_follow_the_timeline(mp3.with_suffix(".lrc"), mp3.with_suffix(".vtt"), found)
        assert_page_follows_the_timeline(mp3.with_suffix(".html"), found)
    assert index_links(out_dir) == [(f"{row['name']}.html", row["title"]) for row in listed]

    before = snapshot(out_dir)
    again = coreg("render", "--all", "--out-dir", str(out_dir), env=builtin_only)
    assert again.returncode == 0, again.stderr
    assert sum(line.startswith("unchanged ") for line in again.stdout.splitlines()) == len(names)
    assert snapshot(out_dir) == before


@pytest.mark.slow
def test_ctrl_c_stops_every_process_and_leaves_nothing_half_written(
    tmp_path: Path, builtin_only: dict[str, str]
) -> None:
    long_tones = "title: Long\nambience: pink-noise\nsteps:\n  - breathe: {cycles: 30, guide: 0}\n"
    first = write_library(tmp_path / "first", {"0-long-a": long_tones, "0-long-b": long_tones})
    out_dir = tmp_path / "phone"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coreg_audio",
            "render",
            "--all",
            "--out-dir",
            str(out_dir),
            "--jobs",
            "2",
        ],
        env={**builtin_only, "COREG_AUDIO_PATH": str(first[0].path.parent)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    partial = wait_for(lambda: [p for p in out_dir.glob(".*.partial-*")], timeout_s=120)
    assert partial, "no track was being written"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip() == "interrupted; nothing was written"
    assert [p.name for p in out_dir.iterdir() if ".partial-" in p.name] == []
    assert not any(p.suffix == ".mp3" for p in out_dir.iterdir())
    left = wait_for(lambda: [] if session_processes(process.pid) else [out_dir], timeout_s=10)
    assert left, f"processes outlived the command: {session_processes(process.pid)}"


def session_processes(session: int) -> list[str]:
    found = subprocess.run(["pgrep", "-a", "-s", str(session)], capture_output=True, text=True)
    return found.stdout.splitlines()


def wait_for(found: Callable[[], list[Path]], timeout_s: float) -> list[Path]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        items = found()
        if items:
            return items
        time.sleep(0.05)
    return []


def test_workers_end_when_the_command_is_killed_outright(
    tmp_path: Path, builtin_only: dict[str, str]
) -> None:
    """SIGKILL gives the command no chance to stop its pool: the workers must see it go."""
    long_tones = "title: Long\nambience: pink-noise\nsteps:\n  - breathe: {cycles: 30, guide: 0}\n"
    first = write_library(tmp_path / "first", {"0-long-a": long_tones, "0-long-b": long_tones})
    out_dir = tmp_path / "phone"
    command = [sys.executable, "-m", "coreg_audio", "render", "--all", "--out-dir", str(out_dir)]
    process = subprocess.Popen(
        [*command, "--jobs", "2"],
        env={**builtin_only, "COREG_AUDIO_PATH": str(first[0].path.parent)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    partial = wait_for(lambda: [p for p in out_dir.glob(".*.partial-*")], timeout_s=120)
    assert partial, "no track was being written"
    workers = [
        line for line in session_processes(process.pid) if line.split()[0] != str(process.pid)
    ]
    assert workers, "render --all started no worker"
    process.kill()
    process.wait(timeout=10)
    left = wait_for(lambda: [] if session_processes(process.pid) else [out_dir], timeout_s=20)
    assert left, f"workers outlived their parent: {session_processes(process.pid)}"
    assert [p.name for p in out_dir.iterdir() if ".partial-" in p.name] == []
