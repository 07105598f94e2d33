"""The shipped fuzzer (benchmarks/fuzz.py): a short run, as CI does, finds nothing; its judge sees
what it must."""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks import fuzz

SHORT_RUN_CASES = 150


def test_a_short_fuzz_run_finds_only_located_errors() -> None:
    """Times are left to ``make fuzz``: a new text's speech is made within the case, and this
    machine is shared, so a test would judge the load, not validate."""
    findings, times = fuzz.fuzz(SHORT_RUN_CASES, jobs=1, first_seed=0, slow_s=math.inf)
    assert len(times) == SHORT_RUN_CASES
    assert findings == [], [(f.seed, f.source, f.reason) for f in findings]


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
