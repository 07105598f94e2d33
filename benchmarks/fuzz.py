"""Fuzzing ``validate`` with mutated practices: every answer must be a located error or "valid".

Run from the repository: ``make fuzz`` (100,000 cases on 2 processes), or
``.venv/bin/python -m benchmarks.fuzz --cases N --jobs J --seed S``. The corpus
is every built-in practice (scripts/) and every conformance case; each case is
one of them mutated a few times (lines dropped, doubled, swapped, cut short or
re-indented; values replaced by numbers out of range, other types, names the
system refuses, control characters, long strings; bytes flipped) with a seed of
its own, so a finding is reproduced with ``--only SEED``.

A finding is any exit code but 0 or 1, any line on stderr that is not
``PATH:LINE:COL: error: ...`` (a traceback, ``unexpected ...``), an exit 1 with
no such line, or a case over 5 s. Findings are printed with their seed and the
mutated text is kept in ``--keep`` (default: fuzz-findings/). The speech cache
is one temporary folder for the run, so a text said once is not made again.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = Path(os.environ.get("COREG_AUDIO_CONFORMANCE", "/work/shared/conformance"))
SLOW_S = 5.0
LOCATED = re.compile(r"^.+:\d+:\d+: error: \S")

VALUES = (
    "0", "-1", "1e309", "-0", "nan", ".inf", "99999999999999999999", "0.0000001", "1/0",
    "3-", "-4-6", "4-6-8-2-1", "4--6", "~", "null", "true", "[]", "{}", "[1, [2, {3: 4}]]",
    "'\\x00'", '"\\0name"', "'" + "x" * 300 + "'", "~nobody-here/file.wav",
    "'" + "a" * 5000 + "'", "'{a}{b}{c}{a|'", "'{'", "\"\\u202e\\t\\r\"", "&a", "*a",
    "!!binary AAAA",
    "!!python/object:os.system", "'../../../../etc/passwd'", "/dev/zero", "'con:'", "2000",
    "1000", "1001", "ocean", "rain", "none", "pyttsx3", "piper", "{engine: nowhere}",
)  # fmt: skip
INSERTS = (
    "\x00", "\ufeff", "\x1b[2J", "\udcff", "é", "\u0301", ":", "- ", "{", "]", "'", '"', "&", "*",
    "%", "@", "`",
)  # fmt: skip
KEYS = (
    "say", "breathe", "rock", "walk", "bell", "pause", "section", "check-in", "repeat",
    "cycles", "pattern", "to", "guide", "count", "after", "level", "sound", "voice", "rate",
    "ambience", "tones", "lead", "tail", "params", "format", "title", "steps", "over",
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    seed: int
    source: str
    reason: str
    text: str


def corpus() -> list[tuple[str, str]]:
    """(name, text) of every built-in practice and conformance case."""
    files = sorted((REPO / "scripts").glob("*.yaml"))
    if CONFORMANCE.is_dir():
        files += sorted(CONFORMANCE.glob("*.yaml"))
    return [(path.name, path.read_text(encoding="utf-8")) for path in files]


def _drop(lines: list[str], rng: random.Random) -> None:
    if lines:
        del lines[rng.randrange(len(lines))]


def _double(lines: list[str], rng: random.Random) -> None:
    if lines:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])


def _swap(lines: list[str], rng: random.Random) -> None:
    if len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]


def _cut(lines: list[str], rng: random.Random) -> None:
    if lines:
        i = rng.randrange(len(lines))
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        del lines[i + 1 :]


def _indent(lines: list[str], rng: random.Random) -> None:
    if lines:
        i = rng.randrange(len(lines))
        lines[i] = rng.choice(("  ", "\t", " ", "")) + lines[i].lstrip(" ")


def _value(lines: list[str], rng: random.Random) -> None:
    """A value after a colon replaced: out of range, another type, a name refused."""
    spots = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
    if spots:
        i = rng.choice(spots)
        head = lines[i][: lines[i].index(":") + 1]
        lines[i] = f"{head} {rng.choice(VALUES)}"


def _inline(lines: list[str], rng: random.Random) -> None:
    """A number inside a flow mapping (cycles, levels, patterns) replaced."""
    spots = [i for i, line in enumerate(lines) if re.search(r"-?\d+(\.\d+)?", line)]
    if spots:
        i = rng.choice(spots)
        value = rng.choice(VALUES).strip("'")
        lines[i] = re.sub(r"-?\d+(\.\d+)?", lambda _: value, lines[i], count=1)


def _key(lines: list[str], rng: random.Random) -> None:
    """A step or key added where it may or may not belong."""
    i = rng.randrange(len(lines) + 1)
    indent = rng.choice(("", "  ", "  - ", "    "))
    lines.insert(i, f"{indent}{rng.choice(KEYS)}: {rng.choice(VALUES)}")


def _bytes(lines: list[str], rng: random.Random) -> None:
    if lines:
        i = rng.randrange(len(lines))
        line = lines[i]
        at = rng.randrange(len(line) + 1)
        lines[i] = line[:at] + rng.choice(INSERTS) + line[at:]


MUTATIONS: tuple[Callable[[list[str], random.Random], None], ...] = (
    _drop, _double, _swap, _cut, _indent, _value, _value, _inline, _inline, _key, _bytes,
)  # fmt: skip


def mutated(seed: int, sources: list[tuple[str, str]]) -> tuple[str, str]:
    """(source name, mutated text) of case ``seed``: the same seed, the same case."""
    rng = random.Random(seed)
    name, text = rng.choice(sources)
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        rng.choice(MUTATIONS)(lines, rng)
    return name, "\n".join(lines) + "\n"


def judge(
    path: Path, exit_code: int, stderr: str, elapsed_s: float, slow_s: float = SLOW_S
) -> str | None:
    """What is wrong with one answer of ``validate``, or None."""
    if exit_code not in (0, 1):
        return f"exit code {exit_code}"
    if elapsed_s > slow_s:
        return f"took {elapsed_s:.1f} s"
    lines = [line for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if not line.startswith(f"{path}:") or not LOCATED.match(line):
            return f"not a located error: {line[:200]!r}"
    if exit_code == 1 and not lines:
        return "exit 1 with no error"
    return None


_SOURCES: list[tuple[str, str]] = []
_FOLDER = Path()
_SLOW_S = SLOW_S


def _start_worker(sources: list[tuple[str, str]], folder: Path, slow_s: float) -> None:
    global _SOURCES, _FOLDER, _SLOW_S
    _SOURCES, _FOLDER, _SLOW_S = sources, folder, slow_s


def _warm(index: int) -> None:
    """Validate one unmutated source, so its speech is in the cache before the timing starts."""
    from click.testing import CliRunner

    from coreg_audio.cli import cli

    path = _FOLDER / f"warm-{index}.yaml"
    path.write_text(_SOURCES[index][1], encoding="utf-8")
    CliRunner().invoke(cli, ["validate", str(path)])


def run_case(seed: int) -> tuple[int, float, Finding | None]:
    """Validate case ``seed`` in this process, as the command line would."""
    from click.testing import CliRunner

    from coreg_audio.cli import cli

    source, text = mutated(seed, _SOURCES)
    path = _FOLDER / f"case-{os.getpid()}.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["validate", str(path)], catch_exceptions=True)
    elapsed_s = time.perf_counter() - started
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"\nTraceback: {type(result.exception).__name__}: {result.exception}"
    reason = judge(path, result.exit_code, stderr, elapsed_s, _SLOW_S)
    finding = None if reason is None else Finding(seed, source, reason, text)
    return seed, elapsed_s, finding


def fuzz(
    cases: int,
    jobs: int,
    first_seed: int,
    progress: Callable[[int], None] | None = None,
    slow_s: float = SLOW_S,
) -> tuple[list[Finding], list[float]]:
    """Run ``cases`` mutated practices through ``validate`` on ``jobs`` processes.

    ``slow_s`` is the time a case may take; a test on a loaded machine gives
    ``math.inf`` and leaves time to the real run.
    """
    sources = corpus()
    findings: list[Finding] = []
    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="coreg-audio-fuzz-") as folder:
        os.environ.setdefault("COREG_AUDIO_CACHE_DIR", str(Path(folder) / "cache"))
        context = multiprocessing.get_context("spawn")
        with context.Pool(jobs, _start_worker, (sources, Path(folder), slow_s)) as pool:
            pool.map(_warm, range(len(sources)))
            seeds: Iterator[int] = iter(range(first_seed, first_seed + cases))
            for done, (_, elapsed_s, finding) in enumerate(
                pool.imap_unordered(run_case, seeds, chunksize=8), start=1
            ):
                times.append(elapsed_s)
                if finding is not None:
                    findings.append(finding)
                if progress is not None:
                    progress(done)
    return sorted(findings, key=lambda f: f.seed), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0, help="the first case's seed")
    parser.add_argument("--only", type=int, help="run the one case of this seed")
    parser.add_argument("--keep", type=Path, default=Path("fuzz-findings"))
    args = parser.parse_args(argv)
    if args.only is not None:
        args.seed, args.cases, args.jobs = args.only, 1, 1
    started = time.monotonic()

    def report(done: int) -> None:
        if done % 1000 == 0 or done == args.cases:
            rate = done / max(time.monotonic() - started, 1e-9)
            print(f"{done}/{args.cases} cases, {rate:.1f} a second", file=sys.stderr, flush=True)

    findings, times = fuzz(args.cases, args.jobs, args.seed, report)
    wall_s = time.monotonic() - started
    times.sort()
    print(
        f"{len(times)} cases in {wall_s:.0f} s on {args.jobs} processes; slowest "
        f"{times[-1]:.2f} s, median {times[len(times) // 2] * 1000:.0f} ms; "
        f"{len(findings)} findings"
    )
    if findings:
        args.keep.mkdir(parents=True, exist_ok=True)
    for finding in findings:
        kept = args.keep / f"case-{finding.seed}.yaml"
        kept.write_text(finding.text, encoding="utf-8", errors="surrogateescape")
        print(f"seed {finding.seed} (from {finding.source}): {finding.reason}  [{kept}]")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
