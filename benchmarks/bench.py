"""coreg-audio's speed and memory, as ratios against baselines measured in the same run.

Run from the repository: ``make bench`` (or ``.venv/bin/python -m benchmarks.bench``).
``--short`` is the quick mode CI runs to prove the benchmark works; its figures
are not meaningful. The machine is shared and noisy, so every figure is the
median of several runs and every goal is a ratio against a baseline measured
beside it, never an absolute time.

Rows (the goals of the speed issue):
- warm render of a 20-minute practice to MP3 vs ffmpeg alone encoding the same PCM;
- the same with an empty cache (speech, ambience loop and gain made from nothing);
- peak memory of that render, and of a 60-minute render (small and flat: MB and ratio);
- ``render --all`` on 2 processes vs 1;
- ``list`` with an empty cache vs the program starting (``--version``);
- ``play``: first sound after launch on a PulseAudio null sink, after an MP3 render;
- mixing with pydub's ``overlay`` the same timeline, against coreg-audio's mixer;
- breath-sync with the natural (Piper) voice: a cold render against a warm one, and
  the peak memory of the render process and of each speech worker;
- one spoken item of over 1,000 characters (about a minute of Piper speech): the
  largest peak memory of any process of its ``validate`` and its ``render`` (the
  command, its speech workers and the children that speak, ffmpeg), from an
  empty cache, against a one-sentence item's; every process within 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RUN_MEASURED = [sys.executable, "-m", "benchmarks.measured"]
LISTEN_S = 8.0
"""How long ``play`` is listened to: its first sound is timed within it, so a loaded
machine's slow start is measured (and judged by the goal), not taken for silence."""


@dataclass
class Row:
    what: str
    median: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None
    runs: list[float] = field(default_factory=list)


def practice_yaml(minutes: int) -> str:
    """A counted-breathing practice: every ten seconds a cue and its counts (ten spoken items)."""
    cycles = minutes * 6 - 2
    return textwrap.dedent(f"""\
        title: Benchmark, {minutes} minutes of counted breathing
        summary: Ten spoken items every ten seconds, tones and ocean ambience.
        ambience: ocean
        lead: 2
        tail: 3
        steps:
          - section: Arriving
          - say: Breathe with the count, in for four and out for six.
          - section: Counting
          - breathe: {{cycles: {cycles}, pattern: 4-6, count: true}}
          - section: Closing
          - bell: 2
        """)


LONG_SENTENCE = "Let your breath be slow and soft, and notice your partner breathing beside you. "
LONG_ITEM_TEXT = (LONG_SENTENCE * 13).strip()
MEMORY_LIMIT_MB = 300


def one_item_yaml(text: str) -> str:
    return f'title: One item\nvoice: {{engine: piper}}\nsteps:\n  - say: "{text}"\n'


def largest_process_mb(report: dict[str, Any]) -> float:
    """The highest peak of the command and of every process it waited for."""
    return max(float(report["max_rss_mb"]), float(report["children_max_rss_mb"]))


def timed(command: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Wall time of a coreg-audio command run in its own measured process, and its report."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as report_file:
        report_path = Path(report_file.name)
    began = time.perf_counter()
    result = subprocess.run(
        [*RUN_MEASURED, str(report_path), *command],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    report = json.loads(report_path.read_text())
    report_path.unlink()
    return elapsed, report


def encode_only_s(pcm: Path, out: Path) -> float:
    """ffmpeg alone turning the track's PCM into the same MP3 (the sink's encoder options)."""
    began = time.perf_counter()
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "f32le",
            "-ar",
            "44100",
            "-ac",
            "2",
            "-i",
            str(pcm),
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            "-id3v2_version",
            "3",
            "-write_xing",
            "1",
            str(out),
        ],
        check=True,
    )
    return time.perf_counter() - began


def status_kb(pid: int, field: str) -> int | None:
    """A ``/proc/PID/status`` figure in kB (VmHWM: peak resident memory), None once gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def descendants_of(pid: int) -> list[int]:
    """Children, their children and so on (a speech worker's child that speaks one clip)."""
    found = children_of(pid)
    return found + [grandchild for child in found for grandchild in descendants_of(child)]


def timed_with_workers(
    command: list[str], env: dict[str, str], worker_module: str
) -> tuple[float, dict[str, Any], float]:
    """``timed``, and the largest peak memory (MB) of its speech workers and their children
    (of every process under it when ``worker_module`` is empty), polled from /proc."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as report_file:
        report_path = Path(report_file.name)
    began = time.perf_counter()
    process = subprocess.Popen(
        [*RUN_MEASURED, str(report_path), *command],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peaks: dict[int, int] = {}
    while process.poll() is None:
        for child in descendants_of(process.pid):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            peak = status_kb(child, "VmHWM") if worker_module.encode() in cmdline else None
            if peak is not None:
                peaks[child] = max(peaks.get(child, 0), peak)
        time.sleep(0.02)
    elapsed = time.perf_counter() - began
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    report = json.loads(report_path.read_text())
    report_path.unlink()
    return elapsed, report, max(peaks.values(), default=0) / 1024


def median_of(runs: int, measure: Callable[[], float]) -> list[float]:
    return [measure() for _ in range(runs)]


class Bench:
    def __init__(self, folder: Path, runs: int, short: bool) -> None:
        self.folder = folder
        self.runs = runs
        self.short = short
        self.rows: list[Row] = []
        self.base_env = {
            **os.environ,
            "COREG_AUDIO_PATH": str(folder / "scripts"),
            "XDG_CONFIG_HOME": str(folder / "config"),
        }
        (folder / "scripts").mkdir()
        self.minutes = 1 if short else 20
        self.long_minutes = 3 if short else 60
        for minutes in {self.minutes, self.long_minutes}:
            (folder / "scripts" / f"bench-{minutes}.yaml").write_text(practice_yaml(minutes))

    def env(self, cache: Path) -> dict[str, str]:
        return {**self.base_env, "COREG_AUDIO_CACHE_DIR": str(cache)}

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(
            f"  {row.what}: {row.median:.3g} {row.unit}"
            + (f" (x{row.ratio:.2f} of baseline)" if row.ratio is not None else ""),
            file=sys.stderr,
        )

    def render_rows(self) -> None:
        name = f"bench-{self.minutes}"
        warm_cache = self.folder / "cache-warm"
        out = self.folder / f"{name}.mp3"
        render = ["render", name, "-o", str(out)]
        timed(render, self.env(warm_cache))
        wav = self.folder / f"{name}.wav"
        timed(["render", name, "-o", str(wav)], self.env(warm_cache))
        pcm = self.folder / f"{name}.f32"
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(wav),
                "-f",
                "f32le",
                str(pcm),
            ],
            check=True,
        )
        encode = median_of(self.runs, lambda: encode_only_s(pcm, self.folder / "encoded.mp3"))
        encode_s = statistics.median(encode)
        self.add(Row("ffmpeg alone encoding the same PCM (baseline)", encode_s, "s", runs=encode))

        warm_runs, warm_rss = [], []
        for _ in range(self.runs):
            seconds, report = timed(render, self.env(warm_cache))
            warm_runs.append(seconds)
            warm_rss.append(report["max_rss_mb"])
        warm_s = statistics.median(warm_runs)
        self.add(
            Row(
                f"warm render, {self.minutes} min to MP3",
                warm_s,
                "s",
                encode_s,
                warm_s / encode_s,
                "<= 1.10 x encode",
                warm_s / encode_s <= 1.10,
                warm_runs,
            )
        )

        cold_runs = []
        for run in range(self.runs):
            cold_cache = self.folder / f"cache-cold-{run}"
            seconds, _ = timed(render, self.env(cold_cache))
            cold_runs.append(seconds)
            shutil.rmtree(cold_cache, ignore_errors=True)
        cold_s = statistics.median(cold_runs)
        self.add(
            Row(
                f"cold render (empty cache), {self.minutes} min",
                cold_s,
                "s",
                encode_s,
                cold_s / encode_s,
                "<= 1.6 x encode",
                cold_s / encode_s <= 1.6,
                cold_runs,
            )
        )

        rss = statistics.median(warm_rss)
        self.add(
            Row(
                f"peak RSS, {self.minutes} min render",
                rss,
                "MB",
                goal="<= 150 MB",
                met=rss <= 150,
                runs=warm_rss,
            )
        )

        long_name = f"bench-{self.long_minutes}"
        timed(["render", long_name, "-o", str(self.folder / "long.mp3")], self.env(warm_cache))
        long_rss = [
            timed(["render", long_name, "-o", str(self.folder / "long.mp3")], self.env(warm_cache))[
                1
            ]["max_rss_mb"]
            for _ in range(self.runs)
        ]
        long_median = statistics.median(long_rss)
        self.add(
            Row(
                f"peak RSS, {self.long_minutes} min render",
                long_median,
                "MB",
                rss,
                long_median / rss,
                f"<= 150 MB and <= 1.15 x the {self.minutes} min figure",
                long_median <= 150 and long_median / rss <= 1.15,
                long_rss,
            )
        )

    def natural_voice_rows(self) -> None:
        """breath-sync spoken by Piper: an empty cache against a warm one, and memory."""
        out = self.folder / "breath-sync.mp3"
        render = ["render", "breath-sync", "--engine", "piper", "-o", str(out)]
        warm_cache = self.folder / "cache-natural"
        timed(render, self.env(warm_cache))
        warm = [timed(render, self.env(warm_cache)) for _ in range(self.runs)]
        warm_runs = [seconds for seconds, _ in warm]
        warm_s = statistics.median(warm_runs)
        self.add(
            Row("breath-sync, Piper voice, warm render (baseline)", warm_s, "s", runs=warm_runs)
        )
        warm_mb = [report["max_rss_mb"] for _, report in warm]
        self.add(
            Row(
                "breath-sync warm render: peak RSS of the render process",
                statistics.median(warm_mb),
                "MB",
                goal="<= 150 MB",
                met=statistics.median(warm_mb) <= 150,
                runs=warm_mb,
            )
        )
        cold_runs, main_mb, worker_mb = [], [], []
        for run in range(self.runs):
            cold_cache = self.folder / f"cache-natural-cold-{run}"
            seconds, report, worker = timed_with_workers(
                render, self.env(cold_cache), "coreg_audio.speech.piper_worker"
            )
            shutil.rmtree(cold_cache, ignore_errors=True)
            cold_runs.append(seconds)
            main_mb.append(report["max_rss_mb"])
            worker_mb.append(worker)
        cold_s = statistics.median(cold_runs)
        self.add(
            Row(
                "breath-sync, Piper voice, cold render (empty cache)",
                cold_s,
                "s",
                warm_s,
                cold_s / warm_s,
                "<= 3 x warm",
                cold_s / warm_s <= 3,
                cold_runs,
            )
        )
        self.add(
            Row(
                "breath-sync cold render: peak RSS of the render process",
                statistics.median(main_mb),
                "MB",
                goal="<= 150 MB (the model is never loaded here)",
                met=statistics.median(main_mb) <= 150,
                runs=main_mb,
            )
        )
        worker = statistics.median(worker_mb)
        self.add(
            Row(
                "breath-sync cold render: peak RSS of each Piper worker",
                worker,
                "MB",
                goal="<= 250 MB",
                met=0 < worker <= 250,
                runs=worker_mb,
            )
        )

    def memory_rows(self) -> None:
        """A very long spoken item through validate and render, each from an empty cache."""
        scripts = self.folder / "scripts"
        (scripts / "one-short-item.yaml").write_text(one_item_yaml(LONG_SENTENCE.strip()))
        (scripts / "one-long-item.yaml").write_text(one_item_yaml(LONG_ITEM_TEXT))

        def peak_mb(command: list[str], run: int) -> float:
            cache = self.folder / f"cache-memory-{run}"
            _, report, polled_mb = timed_with_workers(command, self.env(cache), "")
            shutil.rmtree(cache, ignore_errors=True)
            return max(largest_process_mb(report), polled_mb)

        short = [peak_mb(["validate", "one-short-item"], run) for run in range(self.runs)]
        baseline = statistics.median(short)
        self.add(
            Row("one-sentence say, Piper: largest process of validate (baseline)", baseline, "MB",
                runs=short)
        )  # fmt: skip
        out = self.folder / "one-long-item.mp3"
        for what, command in (
            ("validate", ["validate", "one-long-item"]),
            ("render", ["render", "one-long-item", "-o", str(out)]),
        ):
            runs = [peak_mb(command, run) for run in range(self.runs)]
            median = statistics.median(runs)
            self.add(
                Row(
                    f"{len(LONG_ITEM_TEXT):,}-character say, Piper: largest process of {what}",
                    median,
                    "MB",
                    baseline,
                    median / baseline,
                    f"<= {MEMORY_LIMIT_MB} MB",
                    max(runs) <= MEMORY_LIMIT_MB,
                    runs,
                )
            )

    def render_all_rows(self) -> None:
        """render --all over a set of practices, one process against two."""
        library = self.folder / "batch-scripts"
        library.mkdir()
        count, minutes = (2, 1) if self.short else (4, 4)
        for index in range(count):
            (library / f"batch-{index}.yaml").write_text(
                practice_yaml(minutes).replace(
                    "ocean", ("ocean", "rain", "pink-noise", "brown-noise")[index % 4]
                )
            )
        cache = self.folder / "cache-batch"
        names = [f"batch-{index}" for index in range(count)]
        code = textwrap.dedent("""
            import sys, time
            from pathlib import Path
            from coreg_audio.output import batch
            from coreg_audio import library
            jobs, out = int(sys.argv[1]), Path(sys.argv[2])
            found = [library.resolve(name) for name in sys.argv[3:]]
            began = time.perf_counter()
            report = batch.render_all(batch.BatchOptions(out_dir=out, jobs=jobs),
                                      practices=found)
            assert report.exit_code == 0 and report.count("rendered") == len(found)
            print(time.perf_counter() - began)
        """)
        env = {**self.env(cache), "COREG_AUDIO_PATH": str(library)}

        def run(jobs: int, round_: int) -> float:
            out = self.folder / f"tracks-{jobs}-{round_}"
            result = subprocess.run(
                [sys.executable, "-c", code, str(jobs), str(out), *names],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise SystemExit(f"render --all failed:\n{result.stderr}")
            shutil.rmtree(out, ignore_errors=True)
            return float(result.stdout.strip().splitlines()[-1])

        run(2, -1)
        serial = [run(1, r) for r in range(self.runs)]
        parallel = [run(2, r) for r in range(self.runs)]
        serial_s, parallel_s = statistics.median(serial), statistics.median(parallel)
        self.add(
            Row(
                f"render --all, {count} practices, 1 process (baseline)", serial_s, "s", runs=serial
            )
        )
        share = parallel_s / serial_s
        self.add(
            Row(
                f"render --all, {count} practices, 2 processes",
                parallel_s,
                "s",
                serial_s,
                share,
                "<= 0.625 x one process (1.6 x faster)",
                share <= 1 / 1.6,
                parallel,
            )
        )

    def list_rows(self) -> None:
        """``list`` with an empty cache, against the program starting to print its version."""

        def run(*arguments: str) -> float:
            cache = self.folder / "cache-list"
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "coreg_audio", *arguments],
                env=self.env(cache),
                cwd=REPO,
                capture_output=True,
                check=True,
            )
            elapsed = time.perf_counter() - began
            shutil.rmtree(cache, ignore_errors=True)
            return elapsed

        start = [run("--version") for _ in range(self.runs)]
        start_s = statistics.median(start)
        self.add(Row("coreg-audio --version: the program starting (baseline)", start_s, "s"))
        listed = [run("list") for _ in range(self.runs)]
        list_s = statistics.median(listed)
        self.add(
            Row(
                "list, empty cache (lengths estimated)",
                list_s,
                "s",
                start_s,
                list_s / start_s,
                "<= 2 s",
                list_s <= 2.0,
                listed,
            )
        )

    def play_rows(self) -> None:
        """Launch to first audible sample on a PulseAudio null sink, after an MP3 render.

        The render measured the mix for the MP3's target; play, aiming elsewhere,
        must reuse that measurement rather than make its own pass.
        """
        sys.path.insert(0, str(REPO))
        from tests.pulse import pulse_server

        name = f"bench-{self.minutes}"
        cache = self.folder / "cache-play"
        timed(["render", name, "-o", str(self.folder / "play.mp3")], self.env(cache))
        starts: list[float] = []
        (self.folder / "pulse").mkdir()
        with pulse_server(self.folder / "pulse") as server:
            for run in range(self.runs):
                recording_path = self.folder / f"play-{run}.wav"
                with server.recording(recording_path) as recording:
                    launched = time.monotonic()
                    process = subprocess.Popen(
                        [sys.executable, "-m", "coreg_audio", "play", name],
                        env={**self.env(cache), **server.env},
                        cwd=REPO,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                    )
                    time.sleep(LISTEN_S)
                    process.terminate()
                    _, said = process.communicate(timeout=20)
                samples = np.max(np.abs(recording.samples), axis=1)
                after = recording.index_at(launched)
                audible = np.flatnonzero(samples[after:] > 10 ** (-50 / 20))
                if not audible.size:
                    raise SystemExit(
                        f"play made no sound within {LISTEN_S:g} s:\n{said.decode()[-2000:]}"
                    )
                starts.append(float(audible[0]) / 44100)
        start_s = statistics.median(starts)
        self.add(
            Row(
                "play: first sound after launch, after an MP3 render",
                start_s,
                "s",
                goal="<= 1.5 s",
                met=start_s <= 1.5,
                runs=starts,
            )
        )

    def overlay_rows(self) -> None:
        """Mixing the 20-minute timeline: coreg-audio's mixer against pydub's overlay."""
        code = textwrap.dedent("""
            import json, sys, time
            import numpy as np
            from pydub import AudioSegment
            from coreg_audio.audio.mix import Mixer
            from coreg_audio.practice import build_timeline, load
            from coreg_audio.speech import Speaker
            from coreg_audio.units import SAMPLE_RATE_HZ
            sample = int(sys.argv[2])
            with Speaker() as voice:
                timeline = build_timeline(load(sys.argv[1]), voice)
                mixer = Mixer(timeline, voice, 1)
                began = time.perf_counter()
                for _ in mixer.blocks():
                    pass
                ours = time.perf_counter() - began
                events = [e for e in timeline.events if e.kind != "section"]
                track = AudioSegment.silent(duration=timeline.duration_samples * 1000
                                            / SAMPLE_RATE_HZ, frame_rate=SAMPLE_RATE_HZ)
                track = track.set_channels(2).set_sample_width(2)
                sounds = []
                for event in events[:sample]:
                    sound = mixer.sound(event)
                    pcm = (np.clip(sound, -1, 1) * 32767).astype("<i2").tobytes()
                    sounds.append((event, AudioSegment(pcm, frame_rate=SAMPLE_RATE_HZ,
                                                       sample_width=2, channels=2)))
                began = time.perf_counter()
                for event, segment in sounds:
                    track = track.overlay(segment,
                                          position=event.start_samples * 1000 / SAMPLE_RATE_HZ)
                per_overlay = (time.perf_counter() - began) / len(sounds)
                print(json.dumps({"ours_s": ours, "per_overlay_s": per_overlay,
                                  "events": len(events), "sampled": len(sounds)}))
        """)
        name = f"bench-{self.minutes}"
        sample = 8 if self.short else 30
        result = subprocess.run(
            [sys.executable, "-c", code, name, str(sample)],
            env=self.env(self.folder / "cache-warm"),
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"the overlay reference failed:\n{result.stderr}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        pydub_s = figures["per_overlay_s"] * figures["events"]
        self.add(
            Row(f"coreg-audio mixer, whole {self.minutes} min timeline", figures["ours_s"], "s")
        )
        self.add(
            Row(
                f"pydub overlay, same {figures['events']} events (from {figures['sampled']} timed)",
                pydub_s,
                "s",
                figures["ours_s"],
                pydub_s / figures["ours_s"],
                "report (expect well over 20 x)",
            )
        )


def print_table(rows: list[Row]) -> None:
    print(f"{'what':<62} {'median':>10} {'ratio':>8}  goal")
    for row in rows:
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        verdict = "" if row.met is None else (" met" if row.met else " NOT MET")
        print(f"{row.what:<62} {row.median:>8.3g} {row.unit:<2} {ratio:>7}  {row.goal}{verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="a quick run that proves it works")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (median)")
    parser.add_argument(
        "--json",
        type=Path,
        default=REPO / "benchmarks" / "results.json",
        help="where to write the figures",
    )
    parser.add_argument(
        "--only",
        choices=("render", "list", "all", "play", "overlay", "voice", "memory"),
        action="append",
    )
    args = parser.parse_args()
    runs = args.runs or (1 if args.short else 3)
    sections = args.only or ["render", "list", "all", "play", "overlay", "voice", "memory"]
    with tempfile.TemporaryDirectory(prefix="coreg-bench-") as folder:
        bench = Bench(Path(folder), runs, args.short)
        began = time.perf_counter()
        if "render" in sections:
            bench.render_rows()
        if "list" in sections:
            bench.list_rows()
        if "all" in sections:
            bench.render_all_rows()
        if "play" in sections:
            bench.play_rows()
        if "overlay" in sections:
            bench.overlay_rows()
        if "voice" in sections:
            bench.natural_voice_rows()
        if "memory" in sections:
            bench.memory_rows()
        print_table(bench.rows)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "short": args.short,
                    "runs": runs,
                    "seconds": time.perf_counter() - began,
                    "machine": {
                        "cpus": os.cpu_count(),
                        "python": platform.python_version(),
                        "platform": platform.platform(),
                    },
                    "rows": [asdict(row) for row in bench.rows],
                },
                indent=2,
            )
        )
    failed = [row.what for row in bench.rows if row.met is False]
    return 1 if failed and not args.short else 0


if __name__ == "__main__":
    sys.exit(main())
