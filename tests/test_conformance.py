"""The shared conformance cases, data-driven, with the real speech engine.

Each NAME.yaml must give a timeline whose cue, count, tone, beat, bell and
section events match NAME.expected.json to one sample, and nothing more.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coreg_audio.practice import load, timeline_of
from coreg_audio.units import SAMPLE_RATE_HZ

from .conftest import CONFORMANCE, SHARED_CONFORMANCE, SHARED_SPEC, SPEC

CHECKED_KINDS = {"cue", "count", "tone", "beat", "bell", "section"}
ONE_SAMPLE_S = 1 / SAMPLE_RATE_HZ


def cases() -> list[Path]:
    found = {path.name: path for path in sorted(CONFORMANCE.glob("*.yaml"))}
    if SHARED_CONFORMANCE.is_dir():
        found.update({path.name: path for path in sorted(SHARED_CONFORMANCE.glob("*.yaml"))})
    return sorted(found.values(), key=lambda path: path.name)


def expected_of(case: Path) -> dict[str, Any]:
    return json.loads(case.with_name(case.stem + ".expected.json").read_text())  # type: ignore[no-any-return]


def matches(expected: dict[str, Any], event: dict[str, Any]) -> bool:
    for key in ("kind", "step", "cycle", "phase"):
        if expected.get(key) != event.get(key):
            return False
    if expected["kind"] in ("cue", "count") and expected["text"] != event.get("text"):
        return False
    if abs(expected["start"] - event["start"]) > ONE_SAMPLE_S:
        return False
    if "end" in expected and abs(expected["end"] - event["end"]) > ONE_SAMPLE_S:
        return False
    return all(expected[key] == event.get(key) for key in ("pan", "accent") if key in expected)


Matcher = Callable[[dict[str, Any], dict[str, Any]], bool]


def assert_conforms(
    timeline: dict[str, Any],
    expected: dict[str, Any],
    kinds: set[str] = CHECKED_KINDS,
    match: Matcher = matches,
) -> None:
    """Every expected event matched by one event of ``kinds``, and no event of them left over."""
    assert abs(timeline["duration"] - expected["duration"]) <= ONE_SAMPLE_S
    remaining = [event for event in timeline["events"] if event["kind"] in kinds]
    for want in expected["events"]:
        index = next((i for i, got in enumerate(remaining) if match(want, got)), None)
        assert index is not None, f"no event matches {want}"
        remaining.pop(index)
    assert not remaining, f"events the case does not expect: {remaining[:3]}"


def test_the_copies_match_the_shared_cases() -> None:
    shared_cases = sorted(SHARED_CONFORMANCE.iterdir()) if SHARED_CONFORMANCE.is_dir() else []
    for shared in shared_cases:
        copy = CONFORMANCE / shared.name
        assert copy.is_file(), f"{shared.name} is not copied into tests/conformance"
        assert copy.read_bytes() == shared.read_bytes(), f"{shared.name} differs from the shared"


def test_the_spec_copies_match_the_shared_spec() -> None:
    assert sorted(path.name for path in SPEC.iterdir()) == ["cli.md", "practice-format.md"]
    shared_files = sorted(SHARED_SPEC.iterdir()) if SHARED_SPEC.is_dir() else []
    for shared in shared_files:
        copy = SPEC / shared.name
        assert copy.is_file(), f"{shared.name} is not copied into docs/spec"
        assert copy.read_bytes() == shared.read_bytes(), f"{shared.name} differs from the shared"


@pytest.mark.parametrize("case", cases(), ids=lambda path: path.stem)
def test_case_conforms(case: Path) -> None:
    timeline = timeline_of(load(str(case))).to_json()
    assert_conforms(timeline, expected_of(case))


def test_show_json_conforms_as_a_user_runs_it() -> None:
    case = CONFORMANCE / "box-breathing.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "coreg_audio", "show", str(case), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert_conforms(json.loads(result.stdout), expected_of(case))


def test_a_wrong_timeline_would_fail() -> None:
    """The comparison itself: one sample off, a missing or an extra event is caught."""
    case = CONFORMANCE / "in-4-out-6.yaml"
    expected = expected_of(case)
    timeline = timeline_of(load(str(case))).to_json()
    shifted = json.loads(json.dumps(timeline))
    next(e for e in shifted["events"] if e["kind"] == "count")["start"] += 2 * ONE_SAMPLE_S
    with pytest.raises(AssertionError):
        assert_conforms(shifted, expected)
    extra = json.loads(json.dumps(timeline))
    extra["events"].append({"kind": "bell", "start": 1.0, "end": 6.0, "step": "1"})
    with pytest.raises(AssertionError):
        assert_conforms(extra, expected)
