"""Speaking over breath and movement: the spec's rules as data-driven cases, with real speech.

Each ``tests/speaking-over/NAME.yaml`` has a ``NAME.expected.json`` worked out
by hand from "Speaking over breath and movement" in practice-format.md (see the
folder's README). A case with ``events`` must compile to exactly those cue,
count, tone, beat, bell, section and speech events, each to one sample; its
items must end by their ``ends_by``; and without its ``say`` lists the script
must give the very same rhythm. A case with ``errors`` must be refused with
exactly those lines, as ``coreg-audio validate`` prints them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from coreg_audio.practice import check_script, load, timeline_of
from coreg_audio.units import SAMPLE_RATE_HZ

from .conftest import REPO
from .test_conformance import assert_conforms

CASES = REPO / "tests" / "speaking-over"
CHECKED_KINDS = {"cue", "count", "tone", "beat", "bell", "section", "speech"}
ONE_SAMPLE_S = 1 / SAMPLE_RATE_HZ
NEEDED = re.compile(r"need \d+\.\d\d s \(\d+\.\d\d s")
"""How long words take depends on the speech engine's build; the time they have does not."""


def cases(kind: str) -> list[Path]:
    return [
        path
        for path in sorted(CASES.glob("*.yaml"))
        if kind in json.loads(path.with_suffix(".expected.json").read_text())
    ]


def expected_of(case: Path) -> dict[str, Any]:
    return json.loads(case.with_suffix(".expected.json").read_text())  # type: ignore[no-any-return]


def matches(want: dict[str, Any], got: dict[str, Any]) -> bool:
    for key in ("kind", "step", "cycle", "phase"):
        if want.get(key) != got.get(key):
            return False
    if "text" in want and want["text"] != got.get("text"):
        return False
    if abs(want["start"] - got["start"]) > ONE_SAMPLE_S:
        return False
    if "end" in want and abs(want["end"] - got["end"]) > ONE_SAMPLE_S:
        return False
    if "ends_by" in want and not got["start"] < got["end"] <= want["ends_by"] + ONE_SAMPLE_S:
        return False
    return all(want[key] == got.get(key) for key in ("pan", "accent") if key in want)


def assert_places(timeline: dict[str, Any], expected: dict[str, Any]) -> None:
    assert_conforms(timeline, expected, CHECKED_KINDS, matches)


def without_items(node: Any) -> Any:
    """The script's YAML with every ``say`` list of breathe, rock and walk left out."""
    if isinstance(node, dict):
        return {
            key: without_items(value)
            for key, value in node.items()
            if not (key == "say" and isinstance(value, list))
        }
    if isinstance(node, list):
        return [without_items(item) for item in node]
    return node


@pytest.mark.parametrize("case", cases("events"), ids=lambda path: path.stem)
def test_every_event_is_where_the_spec_puts_it(case: Path) -> None:
    assert_places(timeline_of(load(str(case))).to_json(), expected_of(case))


def test_show_json_places_them_as_a_user_runs_it() -> None:
    case = CASES / "movement.yaml"
    shown = subprocess.run(
        [sys.executable, "-m", "coreg_audio", "show", str(case), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert_places(json.loads(shown.stdout), expected_of(case))


@pytest.mark.parametrize("case", cases("events"), ids=lambda path: path.stem)
def test_the_items_leave_the_rhythm_as_it_was(case: Path, tmp_path: Path) -> None:
    plain = tmp_path / case.name
    plain.write_text(yaml.safe_dump(without_items(yaml.safe_load(case.read_text()))))
    with_items = timeline_of(load(str(case)))
    alone = timeline_of(load(str(plain)))
    assert with_items.duration_samples == alone.duration_samples
    assert with_items.breaths == alone.breaths
    kept = [event for event in with_items.events if event.kind != "speech"]
    assert kept == list(alone.events)
    assert any(event.kind == "speech" for event in with_items.events)


@pytest.mark.parametrize("case", cases("errors"), ids=lambda path: path.stem)
def test_each_mistake_is_reported_at_the_item(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    found = [NEEDED.sub("need N s (N s", line) for line in check_script(case.name)]
    assert found == expected_of(case)["errors"]


def test_a_misplaced_item_would_be_caught() -> None:
    """The comparison itself: an item one sample late, or one too many, fails."""
    case = CASES / "breathe.yaml"
    expected = expected_of(case)
    timeline = timeline_of(load(str(case))).to_json()
    late = json.loads(json.dumps(timeline))
    next(e for e in late["events"] if e["kind"] == "speech")["start"] += 2 * ONE_SAMPLE_S
    with pytest.raises(AssertionError):
        assert_places(late, expected)
    extra = json.loads(json.dumps(timeline))
    extra["events"].append({**extra["events"][-1]})
    with pytest.raises(AssertionError):
        assert_places(extra, expected)
    long = json.loads(json.dumps(timeline))
    item = next(e for e in long["events"] if e["kind"] == "speech")
    item["end"] = item["start"] + 6.5
    with pytest.raises(AssertionError):
        assert_places(long, expected)


def test_there_are_cases_for_each_kind_of_step_and_each_rule() -> None:
    texts = " ".join(path.read_text() for path in CASES.glob("*.yaml"))
    for kind in ("breathe", "rock", "walk", "repeat"):
        assert f"{kind}:" in texts
    assert len(cases("events")) >= 4 and len(cases("errors")) >= 4
