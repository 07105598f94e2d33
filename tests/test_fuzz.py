"""The shipped fuzzer (benchmarks/fuzz.py): a short run, as CI does, finds nothing; its judge sees
what it must."""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks import fuzz

SHORT_RUN_CASES = 150


def test_a_short_fuzz_run_finds_only_located_errors() -> None:
    """Times are left to ``make fuzz`` (its warm-up gives every voice a mutation can; this
    short run warms the sources as they are only), and this machine is shared, so a test
    would judge the load, not validate."""
    run = fuzz.fuzz(SHORT_RUN_CASES, jobs=1, first_seed=0, slow_s=math.inf, voices=False)
    assert len(run.times) == SHORT_RUN_CASES
    assert run.findings == [], [(f.seed, f.source, f.reason) for f in run.findings]
    assert len(run.speaking_times) <= SHORT_RUN_CASES // 10, "cases invented words to speak"


def test_mutations_never_invent_words_to_speak() -> None:
    """Spoken words in a case are the source's own, or words refused before any speech."""
    sources = fuzz.corpus()
    for seed in range(3000):
        name, text = fuzz.mutated(seed, sources)
        own = fuzz.spoken_texts(dict(sources)[name])
        for words in fuzz.spoken_texts(text):
            assert (
                words in own
                or words in fuzz.REFUSED_WORDS
                or any(char in words for char in fuzz.REFUSED_INSERTS)
            ), (seed, name, words)


def test_the_warm_up_gives_every_source_each_voice_a_mutation_can() -> None:
    sources = fuzz.corpus()
    texts = fuzz.warm_up_texts(sources)
    assert all(text in texts for _, text in sources)
    dropped = [text for text in texts if "voice:" not in text]
    assert len(dropped) >= sum("voice:" in text for _, text in sources)
    assert any("voice: piper" in text for text in texts)


def test_the_same_seed_makes_the_same_case_and_cases_differ() -> None:
    sources = fuzz.corpus()
    assert len(sources) >= 10
    assert fuzz.mutated(7, sources) == fuzz.mutated(7, sources)
    assert len({fuzz.mutated(seed, sources)[1] for seed in range(50)}) > 40


def test_the_judge_takes_located_errors_and_nothing_else() -> None:
    path = Path("/tmp/case.yaml")
    good = f"{path}:3:5: error: 'cycles' must be from 1 to 1000\n"
    assert fuzz.judge(path, 1, good, 0.1) is None
    assert fuzz.judge(path, 0, "", 0.1) is None
    assert fuzz.judge(path, 1, "", 0.1) == "exit 1 with no error"
    assert fuzz.judge(path, 2, good, 0.1) == "exit code 2"
    assert fuzz.judge(path, 1, good, 6.0) == "took 6.0 s"
    unexpected = "error: unexpected ValueError: bad; please report it\n"
    assert "not a located error" in str(fuzz.judge(path, 1, good + unexpected, 0.1))
    assert "not a located error" in str(fuzz.judge(path, 1, "Traceback (most recent", 0.1))


SLOW_STEPS = 12_000
"""Steps of a practice that validate reads for seconds: far over the test's time limit."""
QUICK = "title: Quick\nsteps:\n  - pause: 1\n  - bell: 1\n  - pause: 2\n"
"""A practice that validate reads in milliseconds, with no speech to make."""


def test_a_case_over_the_time_limit_is_a_finding_and_the_run_goes_on() -> None:
    """A case still running at the limit is stopped with its process and reported with its
    seed (the same seed makes the same case: ``--only SEED`` replays it); a new process
    takes the cases after it."""
    slow = "title: Slow\nsteps:\n" + "  - pause: 1\n" * SLOW_STEPS
    sources = [("slow.yaml", slow), ("quick.yaml", QUICK)]
    cases = 8
    run = fuzz.fuzz(
        cases, jobs=1, first_seed=0, slow_s=math.inf, voices=False, timeout_s=0.5, sources=sources
    )
    stopped = {finding.seed: finding for finding in run.findings if "no answer" in finding.reason}
    assert stopped, [(f.seed, f.source, f.reason) for f in run.findings]
    assert all(
        finding.reason == "no answer in 0.5 s: stopped (its process replaced)"
        for finding in stopped.values()
    )
    assert {finding.source for finding in stopped.values()} == {"slow.yaml"}
    assert len(run.times) + len(stopped) == cases, "every case after a stopped one was run"
    for seed, finding in stopped.items():
        assert (finding.source, finding.text) == fuzz.mutated(seed, sources)
    quick = [seed for seed in range(cases) if fuzz.mutated(seed, sources)[0] == "quick.yaml"]
    assert quick and not set(quick) & set(stopped)
    assert max(quick) > min(stopped), "a case after a stopped one ran, on a new process"
