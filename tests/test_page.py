"""The pacer page file: the practice's data, exactly from the timeline, in one page.

What the page's script does with the data is tested in a real browser in
test_page_browser.py.
"""

from __future__ import annotations

import html.parser
import json
import re
from pathlib import Path

import pytest

from coreg_audio.output.cover import cover_for
from coreg_audio.output.page import (
    PAGE_FORMAT,
    fill,
    page_data,
    page_html,
    page_path,
    script_json,
    write_page,
)
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import Timeline
from coreg_audio.units import SAMPLE_RATE_HZ

from .conftest import FakeSpeech, script_from

SR = SAMPLE_RATE_HZ
PRACTICE = """\
title: "Breathe </script> & sway"
summary: Two <b>together</b>.
author: Sam & Alex
lead: 0.5
steps:
  - section: Arriving
  - say: Welcome.
  - section: Breathing
  - breathe: {cycles: 2, pattern: 4-7-8, count: true}
  - section: Moving
  - rock: {period: 4, cycles: 2, cues: {left: Sway, right: back}}
  - walk: {pace: 90, steps: 5, accent: 2}
"""


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return compile_timeline(script_from(PRACTICE), FakeSpeech())


def s(samples: int) -> float:
    return round(samples / SR, 4)


class _Collector(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: dict[str, str] = {}
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs).get("id") or "code"
            self.scripts[self._script] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts[self._script] += data


def parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    collector.close()
    return collector


def test_the_data_holds_the_timeline_exactly(timeline: Timeline) -> None:
    data = page_data(timeline, "practice.mp3")
    assert data["format"] == PAGE_FORMAT
    assert (data["title"], data["author"], data["summary"]) == (
        "Breathe </script> & sway",
        "Sam & Alex",
        "Two <b>together</b>.",
    )
    assert data["track"] == "practice.mp3"
    assert data["duration"] == s(timeline.duration_samples)
    assert data["sections"] == [
        {"title": c.title, "start": s(c.start_samples), "end": s(c.end_samples)}
        for c in timeline.chapters
    ]
    assert data["breaths"] == [
        {"phase": p.phase, "start": s(p.start_samples), "end": s(p.end_samples), "cycle": p.cycle}
        for p in timeline.breaths
    ]
    assert [b["phase"] for b in data["breaths"]] == ["inhale", "hold", "exhale"] * 2
    spoken = timeline.spoken_events()
    assert data["words"] == [
        {"kind": e.kind, "start": s(e.start_samples), "end": s(e.end_samples), "text": e.text}
        for e in spoken
    ]
    assert {w["kind"] for w in data["words"]} == {"speech", "cue", "count"}


def test_rocking_and_walking_become_moves_with_sides(timeline: Timeline) -> None:
    moves = page_data(timeline, "p.mp3")["moves"]
    assert [move["kind"] for move in moves] == ["rock", "walk"]
    rock, walk = moves
    beats = [e for e in timeline.events if e.kind == "beat"]
    assert [b["time"] for b in rock["beats"] + walk["beats"]] == [s(e.start_samples) for e in beats]
    assert [b["side"] for b in rock["beats"]] == ["left", "right", "left", "right"]
    assert [b["word"] for b in rock["beats"]] == ["Sway", "back"] * 2
    assert not rock["facing"] and not walk["facing"]
    assert rock["start"] == rock["beats"][0]["time"]
    assert rock["end"] == pytest.approx(rock["beats"][-1]["time"] + 2, abs=1e-4)
    assert [b["side"] for b in walk["beats"]] == ["left", "right", "left", "right", "left"]
    assert [b["accent"] for b in walk["beats"]] == [True, False, True, False, True]
    assert walk["end"] == pytest.approx(walk["beats"][-1]["time"] + 60 / 90, abs=1e-4)


def test_facing_partners_get_words_and_numbers_but_no_side_to_follow() -> None:
    """Facing each other, one's left is the other's right: the page is told so, with the
    words the screen uses for each half sway (the step's own, or 'Sway' and 'Back')."""
    facing = compile_timeline(
        script_from(
            """\
title: Facing
steps:
  - rock: {period: 4, cycles: 2, facing: true}
  - rock: {period: 4, cycles: 1, facing: true, cues: {left: Towards, right: and away}}
  - walk: {pace: 90, steps: 3, facing: true}
  - rock: {period: 4, cycles: 1}
"""
        ),
        FakeSpeech(),
    )
    moves = page_data(facing, "p.mp3")["moves"]
    assert [(move["kind"], move["facing"]) for move in moves] == [
        ("rock", True),
        ("rock", True),
        ("walk", True),
        ("rock", False),
    ]
    rock, own, walk, sideways = moves
    assert [b["word"] for b in rock["beats"]] == ["Sway", "Back", "Sway", "Back"]
    assert [b["word"] for b in own["beats"]] == ["Towards", "and away"]
    assert [b["word"] for b in walk["beats"]] == [None, None, None]
    assert [b["side"] for b in walk["beats"]] == ["left", "right", "left"]
    assert [b["word"] for b in sideways["beats"]] == ["Left", "Right"]
    assert [b["time"] for m in moves for b in m["beats"]] == [
        s(phase.start_samples) for phase in facing.moves
    ]


def test_the_page_carries_the_cover_and_the_practice_colour(timeline: Timeline) -> None:
    cover = cover_for(timeline)
    data = page_data(timeline, "p.mp3", cover)
    assert data["artwork"].startswith("data:image/jpeg;base64,")
    assert data["subtitle"] == cover.subtitle == "breathe 4-7-8 · rocking"
    assert all(re.fullmatch(r"#[0-9a-f]{6}", colour) for colour in data["accent"].values())
    assert data["accent"]["dark"] != data["accent"]["light"]


def test_the_page_is_one_self_contained_file(timeline: Timeline) -> None:
    page = page_html(timeline, "breathe & sway.mp3", cover_for(timeline))
    parsed = parse(page)
    tags = {tag for tag, _ in parsed.tags}
    assert "link" in tags and "audio" in tags
    for tag, attrs in parsed.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is None:
                continue
            assert value.startswith("data:") or (tag, value) == ("audio", "breathe & sway.mp3")
        assert tag not in {"iframe", "object", "embed", "base"}
        if tag == "script":
            assert "src" not in attrs
        if tag == "link":
            assert attrs.get("rel") == "icon" and attrs.get("href") == "data:,"
    assert not re.search(r"\b(https?|wss?|ftp):", page.replace(page_data_url(page), ""))
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page


def page_data_url(page: str) -> str:
    match = re.search(r'"artwork":"(data:[^"]*)"', page)
    return match.group(1) if match else ""


def test_the_json_inside_reads_back_and_cannot_end_its_script(timeline: Timeline) -> None:
    cover = cover_for(timeline)
    page = page_html(timeline, "p.mp3", cover)
    parsed = parse(page)
    assert json.loads(parsed.scripts["practice"]) == page_data(timeline, "p.mp3", cover)
    assert "</script>" not in parsed.scripts["practice"]
    assert set(parsed.scripts) == {"practice", "code"}
    assert "<title>Breathe &lt;/script&gt; &amp; sway</title>" in page
    assert script_json({"a": "<&>"}) == '{"a":"\\u003c\\u0026\\u003e"}'


def test_fill_puts_each_value_in_its_place_without_reading_it() -> None:
    assert fill("<{{a}}|{{b}}>", {"a": "{{b}}", "b": "x"}) == "<{{b}}|x>"
    with pytest.raises(KeyError):
        fill("{{missing}}", {})


def test_write_page_puts_the_page_beside_the_track_whole(
    timeline: Timeline, tmp_path: Path
) -> None:
    track = tmp_path / "breath.mp3"
    (tmp_path / "breath.html").write_text("old", encoding="utf-8")
    assert page_path(track) == tmp_path / "breath.html"
    assert write_page(timeline, track) == tmp_path / "breath.html"
    written = (tmp_path / "breath.html").read_text(encoding="utf-8")
    assert written == page_html(timeline, "breath.mp3", cover_for(timeline))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["breath.html"]
