"""The benchmark runs (its short mode); its figures are judged by a person, not by CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.mark.slow
def test_the_short_benchmark_prints_every_row_and_writes_json(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--short", "--json", str(results)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(results.read_text())["rows"]
    names = " | ".join(row["what"] for row in rows)
    for expected in (
        "ffmpeg alone encoding",
        "warm render",
        "cold render",
        "peak RSS, 1 min",
        "peak RSS, 3 min",
        "render --all",
        "2 processes",
        "list, empty cache",
        "play: first sound",
        "coreg-audio mixer",
        "pydub overlay",
        "Piper voice, warm render",
        "Piper voice, cold render",
        "peak RSS of each Piper worker",
        "breath-sync warm render: peak RSS",
        "breath-sync cold render: peak RSS of the render process",
        "one-sentence say, Piper: largest process of validate (baseline)",
        "-character say, Piper: largest process of validate",
        "-character say, Piper: largest process of render",
    ):
        assert expected in names, expected
    for row in rows:
        assert row["median"] > 0, row
        if row["baseline"] is not None:
            assert row["ratio"] == pytest.approx(row["median"] / row["baseline"], rel=1e-6)
    table = done.stdout
    assert "median" in table and "warm render" in table
