"""Fuzzing ``validate`` with mutated practices: every answer must be a located error or "valid".

Run from the repository: ``make fuzz`` (100,000 cases on 2 processes), or
``.venv/bin/python -m benchmarks.fuzz --cases N --jobs J --seed S``. The corpus
is every built-in practice (scripts/) and every conformance case; each case is
one of them mutated a few times (lines dropped, doubled, swapped, cut short or
re-indented; values replaced by numbers out of range, other types, names the
system refuses, control characters, long strings; bytes flipped) with a seed of
its own, so a finding is reproduced with ``--only SEED``.

Speech is what costs: a text never said before takes a second or more to make,
while the checks themselves take milliseconds. So the fuzz never invents words
to speak. Where a mutation lands on spoken words (a ``say`` or ``text`` value)
it either puts there words the same source already speaks, or words that must
be refused before any speech (control characters, empty, ``null``, a list or
mapping, an unknown tag); a line is never cut, and no character but a refused
one inserted, inside spoken words. A warm-up, not counted, validates every
source as it is and with every voice a mutation can give it (its ``voice``
lines dropped or replaced by each value the mutations use), so that speech is
in the run's cache before the first case. What is left to speak (counts a
mutated pattern reaches, a source's words under another source's voice) is
counted: the report says how many cases still needed new speech, apart.

A finding is any exit code but 0 or 1, any line on stderr that is not
``PATH:LINE:COL: error: ...`` (a traceback, ``unexpected ...``), an exit 1 with
no such line, a case over 5 s, a case still running after ``--timeout`` seconds
(30 by default; its process is stopped and replaced, and the run goes on), or a
process that died. Findings are printed with their seed and the mutated text is
kept in ``--keep`` (default: fuzz-findings/). The speech cache is one temporary
folder for the run. ``--corpus FILE...`` fuzzes those practices instead.
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
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pebble import ProcessExpired, ProcessPool

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = Path(os.environ.get("COREG_AUDIO_CONFORMANCE", "/work/shared/conformance"))
SLOW_S = 5.0
TIMEOUT_S = 30.0
"""A case still running after this is stopped and reported: a hang must not stop the run."""
WARM_UP_TIMEOUT_S = 600.0
"""A warm-up text speaks a whole source, which may take minutes on a loaded machine."""
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
SPOKEN_KEYS = ("say", "text")
REFUSED_WORDS = (
    "", "~", "null", "''", "[]", "{}", "[1, [2, {3: 4}]]", '"\\0name"', '"\\x00"',
    '"\\u202e\\t\\r"', '"\\x1b[2J"', '"a\\x07b"', "!!binary AAAA", "*a", "&a",
)  # fmt: skip
"""Values for spoken words that validate must refuse before any speech is made."""
REFUSED_INSERTS = ("\x00", "\x1b[2J", "\x07", "\x7f", "\udcff")
"""Characters that make spoken words refused wherever they are inserted."""
_SPOKEN_BLOCK = re.compile(r"^(\s*(?:-\s+)?(?:say|text)\s*:)(.*)$")
_SPOKEN_FLOW = re.compile(r"\btext\s*:(\s*(?:\"[^\"]*\"|'[^']*'|[^,}]*))")
KEYS = (
    "say", "breathe", "rock", "walk", "bell", "pause", "section", "check-in", "repeat",
    "cycles", "pattern", "to", "guide", "count", "after", "level", "sound", "voice", "rate",
    "ambience", "tones", "lead", "tail", "params", "format", "title", "steps", "over",
)  # fmt: skip


@dataclass
class Run:
    """What a run found, every case's time, and the times of cases that made new speech."""

    findings: list[Finding]
    times: list[float]
    """The time of each case that finished (a stopped one is a finding)."""
    speaking_times: list[float]
    warm_up_s: float
    warm_up_stopped: int = 0
    """Warm-up texts stopped at the time limit (their cases then report it as findings)."""


@dataclass(frozen=True)
class Finding:
    seed: int
    source: str
    reason: str
    text: str


def spoken_span(line: str) -> tuple[int, int] | None:
    """Where the spoken words of ``line`` are, from just after the colon, if it holds any
    (``say: ...``, ``text: ...``): a character anywhere in there changes what is said."""
    block = _SPOKEN_BLOCK.match(line)
    if block is not None and block.group(2).strip():
        return block.start(2), block.end(2)
    flow = _SPOKEN_FLOW.search(line)
    if flow is not None:
        return flow.start(1), flow.end(1)
    return None


def spoken_texts(text: str) -> list[str]:
    """The spoken words of a source, as written (its own, so its voice has said them)."""
    found = []
    for line in text.splitlines():
        span = spoken_span(line)
        if span is not None and line[span[0] : span[1]].strip():
            found.append(line[span[0] : span[1]].strip())
    return found


def _spoken_value(rng: random.Random) -> str:
    """Words already said by this source, or words refused before any speech."""
    if _OWN_WORDS and rng.random() < 0.5:
        return rng.choice(_OWN_WORDS)
    return rng.choice(REFUSED_WORDS)


_OWN_WORDS: list[str] = []


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
    """The file cut short; inside spoken words, before or after them."""
    if lines:
        i = rng.randrange(len(lines))
        at = rng.randrange(len(lines[i]) + 1)
        span = spoken_span(lines[i])
        if span is not None and span[0] < at < span[1]:
            at = rng.choice(span)
        lines[i] = lines[i][:at]
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
        spoken = head.strip(" -{").rstrip(":").strip() in SPOKEN_KEYS
        lines[i] = f"{head} {_spoken_value(rng) if spoken else rng.choice(VALUES)}"


def _inline(lines: list[str], rng: random.Random) -> None:
    """A number inside a flow mapping (cycles, levels, patterns) replaced."""
    number = re.compile(r"-?\d+(\.\d+)?")
    spots = [
        (i, found)
        for i, line in enumerate(lines)
        for found in number.finditer(line)
        if not _inside_spoken(line, found.start())
    ]
    if spots:
        i, found = rng.choice(spots)
        value = rng.choice(VALUES).strip("'")
        lines[i] = lines[i][: found.start()] + value + lines[i][found.end() :]


def _inside_spoken(line: str, at: int) -> bool:
    span = spoken_span(line)
    return span is not None and span[0] <= at <= span[1]


def _key(lines: list[str], rng: random.Random) -> None:
    """A step or key added where it may or may not belong."""
    i = rng.randrange(len(lines) + 1)
    indent = rng.choice(("", "  ", "  - ", "    "))
    key = rng.choice(KEYS)
    value = _spoken_value(rng) if key in SPOKEN_KEYS else rng.choice(VALUES)
    lines.insert(i, f"{indent}{key}: {value}")


def _bytes(lines: list[str], rng: random.Random) -> None:
    if lines:
        i = rng.randrange(len(lines))
        line = lines[i]
        at = rng.randrange(len(line) + 1)
        inserts = REFUSED_INSERTS if _inside_spoken(line, at) else INSERTS
        lines[i] = line[:at] + rng.choice(inserts) + line[at:]


MUTATIONS: tuple[Callable[[list[str], random.Random], None], ...] = (
    _drop, _double, _swap, _cut, _indent, _value, _value, _inline, _inline, _key, _bytes,
)  # fmt: skip


def mutated(seed: int, sources: list[tuple[str, str]]) -> tuple[str, str]:
    """(source name, mutated text) of case ``seed``: the same seed, the same case."""
    global _OWN_WORDS
    rng = random.Random(seed)
    name, text = rng.choice(sources)
    _OWN_WORDS = spoken_texts(text)
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


_SPOKEN_CLIPS = 0
"""Clips this process has made (not found in the cache) so far."""


def _start_worker(sources: list[tuple[str, str]], folder: Path, slow_s: float) -> None:
    """Set up a worker process; a stopped one's replacement is set up the same way. The
    command line is imported here, so that a case's time limit is not spent importing it."""
    global _SOURCES, _FOLDER, _SLOW_S
    _SOURCES, _FOLDER, _SLOW_S = sources, folder, slow_s
    import coreg_audio.cli  # noqa: F401
    from coreg_audio.speech.speaker import Speaker

    synthesize = Speaker._synthesize

    def counted(self: Speaker, *args: Any, **kwargs: Any) -> Any:
        global _SPOKEN_CLIPS
        _SPOKEN_CLIPS += 1
        return synthesize(self, *args, **kwargs)

    Speaker._synthesize = counted  # type: ignore[method-assign]


def warm_up_texts(sources: list[tuple[str, str]]) -> list[str]:
    """Every source as it is, and with each of its voice lines dropped, given each value the
    mutations use, or a number in it replaced: the voices a case can speak with."""
    texts = []
    for _, text in sources:
        texts.append(text)
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if not re.match(r"^\s*(?:-\s+)?voice\s*:", line):
                continue
            head = line[: line.index(":") + 1]
            variants = [""] + [f"{head} {value}" for value in VALUES]
            number = re.search(r"-?\d+(\.\d+)?", line)
            if number is not None:
                variants += [
                    line[: number.start()] + value.strip("'") + line[number.end() :]
                    for value in VALUES
                ]
            for variant in variants:
                changed = [*lines[:i], *([variant] if variant else []), *lines[i + 1 :]]
                texts.append("\n".join(changed) + "\n")
    return texts


def _warm(indexed: tuple[int, str]) -> None:
    """Validate one warm-up text, so its speech is in the cache before the timing starts."""
    from click.testing import CliRunner

    from coreg_audio.cli import cli

    index, text = indexed
    path = _FOLDER / f"warm-{index}.yaml"
    path.write_text(text, encoding="utf-8")
    CliRunner().invoke(cli, ["validate", str(path)])


def run_case(seed: int) -> tuple[int, float, Finding | None, bool]:
    """Validate case ``seed`` in this process, as the command line would; whether it made
    speech the cache did not have."""
    from click.testing import CliRunner

    from coreg_audio.cli import cli

    source, text = mutated(seed, _SOURCES)
    path = _FOLDER / f"case-{os.getpid()}.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    spoken_before = _SPOKEN_CLIPS
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["validate", str(path)], catch_exceptions=True)
    elapsed_s = time.perf_counter() - started
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"\nTraceback: {type(result.exception).__name__}: {result.exception}"
    reason = judge(path, result.exit_code, stderr, elapsed_s, _SLOW_S)
    finding = None if reason is None else Finding(seed, source, reason, text)
    return seed, elapsed_s, finding, spoken_before < _SPOKEN_CLIPS


def fuzz(
    cases: int,
    jobs: int,
    first_seed: int,
    progress: Callable[[int], None] | None = None,
    slow_s: float = SLOW_S,
    voices: bool = True,
    timeout_s: float = TIMEOUT_S,
    sources: list[tuple[str, str]] | None = None,
) -> Run:
    """Run ``cases`` mutated practices through ``validate`` on ``jobs`` processes, after a
    warm-up (not counted) that puts the speech of every source and voice in the cache.

    ``slow_s`` is the time a case may take; a test on a loaded machine gives
    ``math.inf`` and leaves time to the real run. Without ``voices`` the warm-up
    speaks the sources as they are only (minutes fewer; a short run's cases may
    then make some speech, counted as ever). A case still running after
    ``timeout_s`` is stopped with its process (a new one takes its place) and
    is a finding; ``sources`` replaces the corpus.
    """
    sources = corpus() if sources is None else sources
    run = Run([], [], [], 0.0)
    with tempfile.TemporaryDirectory(prefix="coreg-audio-fuzz-") as folder:
        os.environ.setdefault("COREG_AUDIO_CACHE_DIR", str(Path(folder) / "cache"))
        context = multiprocessing.get_context("spawn")
        pool = ProcessPool(jobs, 0, _start_worker, (sources, Path(folder), slow_s), context)
        try:
            started = time.monotonic()
            warm = warm_up_texts(sources) if voices else [text for _, text in sources]
            warm_up_timeout_s = max(timeout_s, WARM_UP_TIMEOUT_S)
            for _, outcome in _bounded(pool, _warm, enumerate(warm), jobs, warm_up_timeout_s):
                run.warm_up_stopped += isinstance(outcome, TimeoutError)
            run.warm_up_s = time.monotonic() - started
            seeds = range(first_seed, first_seed + cases)
            for done, (seed, outcome) in enumerate(
                _bounded(pool, run_case, seeds, jobs, timeout_s), start=1
            ):
                if isinstance(outcome, BaseException):
                    source, text = mutated(seed, sources)
                    reason = _stopped(outcome, timeout_s)
                    run.findings.append(Finding(seed, source, reason, text))
                else:
                    _, elapsed_s, finding, spoke = outcome
                    run.times.append(elapsed_s)
                    if spoke:
                        run.speaking_times.append(elapsed_s)
                    if finding is not None:
                        run.findings.append(finding)
                if progress is not None:
                    progress(done)
        finally:
            pool.stop()  # type: ignore[no-untyped-call]
            pool.join()
    run.findings.sort(key=lambda f: f.seed)
    return run


def _stopped(error: BaseException, timeout_s: float) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer in {timeout_s:g} s: stopped (its process replaced)"
    if isinstance(error, ProcessExpired):
        return f"its process died (exit code {error.exitcode})"
    return f"not run: {type(error).__name__}: {error}"


def _bounded(
    pool: ProcessPool, function: Callable[[Any], Any], items: Any, jobs: int, timeout_s: float
) -> Iterator[tuple[Any, Any]]:
    """(item, result or the exception that stopped it) of ``function`` over ``items``, each
    under ``timeout_s``, in the order they finish; a few per process are queued at a time."""
    waiting: dict[Future[Any], Any] = {}
    pending = iter(items)
    while True:
        for item in pending:
            waiting[pool.schedule(function, (item,), timeout=timeout_s)] = item
            if len(waiting) >= jobs * 4:
                break
        if not waiting:
            return
        finished, _ = wait(waiting, return_when=FIRST_COMPLETED)
        for future in finished:
            item = waiting.pop(future)
            error = future.exception()
            yield item, future.result() if error is None else error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0, help="the first case's seed")
    parser.add_argument("--only", type=int, help="run the one case of this seed")
    parser.add_argument("--keep", type=Path, default=Path("fuzz-findings"))
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_S,
        help="seconds a case may run before it is stopped and reported",
    )
    parser.add_argument(
        "--corpus", type=Path, nargs="+", help="practices to mutate (default: the built-in ones)"
    )
    args = parser.parse_args(argv)
    if args.only is not None:
        args.seed, args.cases, args.jobs = args.only, 1, 1
    started = time.monotonic()

    def report(done: int) -> None:
        if done % 1000 == 0 or done == args.cases:
            rate = done / max(time.monotonic() - started, 1e-9)
            print(f"{done}/{args.cases} cases, {rate:.1f} a second", file=sys.stderr, flush=True)

    sources = None
    if args.corpus:
        sources = [(path.name, path.read_text(encoding="utf-8")) for path in args.corpus]
    run = fuzz(args.cases, args.jobs, args.seed, report, timeout_s=args.timeout, sources=sources)
    findings, times = run.findings, sorted(run.times) or [0.0]
    cases_s = time.monotonic() - started - run.warm_up_s
    print(
        f"warm-up {run.warm_up_s:.0f} s; {len(times)} cases in {cases_s:.0f} s on {args.jobs} "
        f"processes ({len(times) / max(cases_s, 1e-9):.1f} a second); slowest "
        f"{times[-1]:.2f} s, median {times[len(times) // 2] * 1000:.0f} ms; "
        f"{len(findings)} findings"
    )
    if run.warm_up_stopped:
        print(f"{run.warm_up_stopped} warm-up texts were stopped after {WARM_UP_TIMEOUT_S:g} s")
    speaking = sorted(run.speaking_times)
    if speaking:
        print(
            f"{len(speaking)} cases made speech the warm-up had not: slowest "
            f"{speaking[-1]:.2f} s, median {speaking[len(speaking) // 2] * 1000:.0f} ms"
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
