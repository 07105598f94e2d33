"""The pacer page in a real Chromium, opened from a file beside a real rendered MP3.

The page's script (page_assets/page.js) is what these test: what it draws is
read back from the DOM (the stage's data attributes, the circle's drawn size,
the labels) and compared with the compiled timeline, while the <audio> element
is moved and played.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coreg_audio import practice
from coreg_audio.output.page import write_page
from coreg_audio.output.render import render
from coreg_audio.timeline.events import BeatEvent, BreathPhase, SpeechOverEvent, Timeline
from coreg_audio.units import SAMPLE_RATE_HZ

from .browser import chromium, console_problems, open_file, requested_urls

pytestmark = pytest.mark.slow

SR = SAMPLE_RATE_HZ
MIN_SCALE = 0.4
"""The circle's size when the lungs are empty, as page.js draws it."""
BOUNDARY_S = 0.05
TIME_SLACK_S = 0.002
PRACTICE = """\
format: 1
title: Pacer <Check> & Co
summary: A short practice for checking the page.
author: coreg-audio tests
lead: 0.5
tail: 1
steps:
  - section: Arriving
  - say: Welcome. Breathe with the circle.
    after: 0.5
  - section: Breathing
  - breathe:
      cycles: 3
      pattern: 2-1-3
      count: true
      guide: 2
      say: [{cycle: 3, text: Let the breath go.}]
  - section: Moving
  - rock: {period: 2, cycles: 2, guide: 1, cues: {left: Sway, right: back}}
  - walk: {pace: 120, steps: 6, accent: 2}
  - section: Closing
  - say: Thank you.
"""
VIBRATE_STUB = """
window.__vibrations = [];
Object.defineProperty(Navigator.prototype, "vibrate", {
  configurable: true,
  value: function (pattern) {
    var audio = document.getElementById("track");
    window.__vibrations.push({time: audio ? audio.currentTime : -1, pattern: [].concat(pattern)});
    return true;
  }
});
"""
STATE = """
var stage = document.getElementById("stage"), circle = document.getElementById("circle");
var audio = document.getElementById("track");
return {
  audio: audio.currentTime, time: Number(stage.dataset.time), mode: stage.dataset.mode,
  phase: stage.dataset.phase, side: stage.dataset.side,
  scale: circle.getBoundingClientRect().width / circle.offsetWidth,
  shift: (circle.getBoundingClientRect().left + circle.getBoundingClientRect().width / 2
          - stage.getBoundingClientRect().left - stage.offsetWidth / 2) / stage.offsetWidth,
  facing: stage.dataset.facing,
  label: document.getElementById("phase").textContent,
  seconds: document.getElementById("seconds").textContent,
  words: document.getElementById("words").textContent,
  section: document.getElementById("section-now").textContent,
  paused: audio.paused, ready: audio.readyState
};
"""
PHASE_WORDS = {"inhale": "Breathe in", "hold": "Hold", "exhale": "Breathe out", "rest": "Rest"}


@dataclasses.dataclass(frozen=True)
class Rendered:
    folder: Path
    track: Path
    page: Path
    timeline: Timeline


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """A short practice rendered once with the real voice and encoder, and its page."""
    folder = tmp_path_factory.mktemp("pacer")
    script_path = folder / "pacer-check.yaml"
    script_path.write_text(PRACTICE, encoding="utf-8")
    track = folder / "pacer-check.mp3"
    timeline = render(practice.load(str(script_path)), track)
    return Rendered(folder, track, write_page(timeline, track), timeline)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": VIBRATE_STUB})
        yield driver


def load(driver: Any, page: Path) -> None:
    open_file(driver, page)
    wait_for(driver, "return document.getElementById('track').readyState >= 1")
    driver.get_log("browser")


def wait_for(driver: Any, script: str, *args: Any, timeout_s: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = driver.execute_script(script, *args)
        if value or time.monotonic() > deadline:
            assert value, f"timed out waiting for: {script}"
            return value
        time.sleep(0.02)


def state_at(driver: Any, time_s: float) -> dict[str, Any]:
    """Move the paused track to ``time_s`` and read what the page drew for it."""
    driver.execute_script("document.getElementById('track').currentTime = arguments[0]", time_s)
    wait_for(
        driver,
        "return Math.abs(Number(document.getElementById('stage').dataset.time) - arguments[0])"
        " < 0.0011",
        time_s,
    )
    state: dict[str, Any] = driver.execute_script(STATE)
    return state


def ease(x: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(max(x, 0.0), 1.0))


def expected_fullness(phase: BreathPhase, time_s: float) -> float:
    progress = (time_s - phase.start_samples / SR) / (
        (phase.end_samples - phase.start_samples) / SR
    )
    return {"inhale": ease(progress), "hold": 1.0, "exhale": 1.0 - ease(progress), "rest": 0.0}[
        phase.phase
    ]


def expected_numbers(timeline: Timeline, phase: BreathPhase, time_s: float) -> set[str]:
    """The voice's count where it counts the phase aloud, else the seconds left.

    Within a few milliseconds of a whole second either neighbour is right: the page
    reads times rounded to the millisecond and the player's position as it has it.
    """
    counted = any(
        e.kind == "count" and phase.start_samples <= e.start_samples < phase.end_samples
        for e in timeline.events
    )
    near = (-TIME_SLACK_S, 0.0, TIME_SLACK_S)
    if counted:
        return {str(math.floor(time_s + d - phase.start_samples / SR + 1e-6) + 1) for d in near}
    return {str(max(1, math.ceil(phase.end_samples / SR - time_s - d - 1e-6))) for d in near}


def test_the_circle_and_the_phase_label_follow_the_timeline(
    rendered: Rendered, browser: Any
) -> None:
    load(browser, rendered.page)
    phases = rendered.timeline.breaths
    assert [p.phase for p in phases] == ["inhale", "hold", "exhale"] * 3
    checked = 0
    for phase in phases:
        start_s, end_s = phase.start_samples / SR, phase.end_samples / SR
        quarter_s = start_s + (end_s - start_s) / 4
        for time_s in (start_s + BOUNDARY_S, quarter_s, (start_s + end_s) / 2, end_s - BOUNDARY_S):
            state = state_at(browser, time_s)
            assert state["mode"] == "breath" and state["phase"] == phase.phase, (time_s, state)
            assert state["label"] == PHASE_WORDS[phase.phase]
            assert state["seconds"] in expected_numbers(rendered.timeline, phase, time_s)
            wanted = MIN_SCALE + (1 - MIN_SCALE) * expected_fullness(phase, time_s)
            assert state["scale"] == pytest.approx(wanted, abs=0.01), (time_s, phase.phase)
            checked += 1
    assert checked == 36
    before = state_at(browser, phases[0].start_samples / SR - BOUNDARY_S)
    assert (before["mode"], before["label"], before["seconds"]) == ("idle", "", "")
    assert before["scale"] == pytest.approx(MIN_SCALE, abs=0.01)


def test_rocking_and_walking_show_the_side_of_each_beat(rendered: Rendered, browser: Any) -> None:
    load(browser, rendered.page)
    beats = [event for event in rendered.timeline.events if isinstance(event, BeatEvent)]
    rock = [beat for beat in beats if beat.accent is None]
    walk = [beat for beat in beats if beat.accent is not None]
    assert [beat.phase for beat in rock] == ["left", "right"] * 2
    assert [beat.phase for beat in walk] == ["left", "right"] * 3
    for index, beat in enumerate(rock):
        at_s = beat.start_samples / SR
        state = state_at(browser, at_s + BOUNDARY_S)
        assert (state["mode"], state["side"]) == ("rock", beat.phase)
        assert state["label"] == f"Sway {beat.phase}"
        assert state["facing"] == ""
        assert (state["shift"] < -0.2) == (beat.phase == "left"), "the circle sways sideways"
        if index + 1 < len(rock):
            later = state_at(browser, rock[index + 1].start_samples / SR - BOUNDARY_S)
            assert later["side"] == rock[index + 1].phase, "named after the nearer side"
    for beat in walk:
        state = state_at(browser, beat.start_samples / SR + BOUNDARY_S)
        assert (state["mode"], state["side"], state["label"]) == (
            "walk",
            beat.phase,
            f"Step {beat.phase}",
        )
        lit = browser.execute_script(
            "return document.getElementById('foot-' + arguments[0]).classList.contains('on')",
            beat.phase,
        )
        assert lit


FACING = """\
format: 1
title: Facing
lead: 0.5
tail: 1
steps:
  - walk: {pace: 120, steps: 4, accent: 2, facing: true}
"""


@pytest.fixture(scope="module")
def rock_together(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The built-in practice whose partners rock facing each other, rendered, and its page."""
    folder = tmp_path_factory.mktemp("rock-together")
    track = folder / "rock-together.mp3"
    timeline = render(practice.load("rock-together"), track)
    return Rendered(folder, track, write_page(timeline, track), timeline)


def test_facing_partners_rock_without_a_side_named_or_a_sideways_sway(
    rock_together: Rendered, browser: Any
) -> None:
    """Facing each other, one's left is the other's right: the page says the step's words and
    grows the circle towards the partner and back, as the terminal's screen does."""
    load(browser, rock_together.page)
    moves = rock_together.timeline.moves
    assert moves and all(move.facing for move in moves)
    assert {move.word for move in moves} == {"Sway", "and back", "Slowly", "Back"}
    checked = 0
    for move in moves[:6] + moves[36:40] + moves[-4:]:
        start_s, end_s = move.start_samples / SR, move.end_samples / SR
        states = [state_at(browser, start_s + (end_s - start_s) * at) for at in (0.05, 0.5, 0.95)]
        for state in states:
            assert (state["mode"], state["side"], state["facing"]) == ("rock", "", "true")
            assert state["label"] == move.word, (move, state)
            assert not {"left", "right"} & set(state["label"].lower().split())
            assert state["shift"] == pytest.approx(0, abs=0.005), "nothing moves sideways"
        sizes = [state["scale"] for state in states]
        growing = move.phase == "left"
        assert sizes == sorted(sizes, reverse=not growing), (move.phase, sizes)
        assert abs(sizes[-1] - sizes[0]) > 0.25, "a sway grows towards the partner, then back"
        checked += 1
    assert checked == 14
    assert console_problems(browser) == []


def test_facing_partners_walk_by_the_step_number_with_no_foot_lit(
    browser: Any, tmp_path: Path
) -> None:
    script_path = tmp_path / "facing.yaml"
    script_path.write_text(FACING, encoding="utf-8")
    track = tmp_path / "facing.mp3"
    timeline = render(practice.load(str(script_path)), track)
    load(browser, write_page(timeline, track))
    assert [move.cycle for move in timeline.moves] == [1, 2, 3, 4]
    for move in timeline.moves:
        state = state_at(browser, move.start_samples / SR + BOUNDARY_S)
        assert (state["mode"], state["side"], state["facing"]) == ("walk", "", "true")
        assert (state["label"], state["seconds"]) == ("Step", str(move.cycle))
        assert state["shift"] == pytest.approx(0, abs=0.005)
        feet = browser.execute_script(
            "return [].map.call(document.querySelectorAll('.foot'), function (foot) {"
            " return [foot.classList.contains('on'), foot.getBoundingClientRect().width]; })"
        )
        assert feet == [[False, 0], [False, 0]], "no foot is lit, nor shown"


def test_the_words_appear_as_they_are_spoken(rendered: Rendered, browser: Any) -> None:
    load(browser, rendered.page)
    spoken = rendered.timeline.spoken_events()
    said = [event for event in spoken if event.kind != "count"]
    for event in said:
        state = state_at(browser, event.start_samples / SR + BOUNDARY_S)
        assert state["words"] == event.text
    counts = [event for event in spoken if event.kind == "count"]
    assert len(counts) == 2 * 3, "inhale and exhale counted aloud in the first two cycles"
    for count in counts:
        state = state_at(browser, count.start_samples / SR + BOUNDARY_S)
        assert state["seconds"] == count.text, "the circle counts with the voice"
    silent = [p for p in rendered.timeline.breaths if p.cycle == 3]
    for phase in silent:
        state = state_at(browser, phase.start_samples / SR + BOUNDARY_S)
        assert state["seconds"] == str(round((phase.end_samples - phase.start_samples) / SR))
    gaps = [
        (one.end_samples / SR, other.start_samples / SR)
        for one, other in itertools.pairwise(said)
        if other.start_samples - one.end_samples > 2.5 * SR
    ]
    assert gaps
    for end_s, _ in gaps:
        assert state_at(browser, end_s + 1.0)["words"] != "", "words stay a moment to be read"
        assert state_at(browser, end_s + 2.1)["words"] == "", "then clear in the silence"
    assert (
        browser.execute_script("return document.getElementById('words').getAttribute('aria-live')")
        == "polite"
    )


def test_words_spoken_during_a_breath_show_alongside_it(rendered: Rendered, browser: Any) -> None:
    """Words spoken over a breathe step (an item of its ``say`` list) show with the breath."""
    words = next(e for e in rendered.timeline.events if isinstance(e, SpeechOverEvent))
    load(browser, rendered.page)
    state = state_at(browser, words.start_samples / SR + 0.5)
    assert (state["phase"], state["label"], state["words"]) == (
        "exhale",
        "Breathe out",
        "Let the breath go.",
    )
    assert state["seconds"] == "3", "the pacer goes on counting down the out-breath"


def test_the_audio_plays_and_the_page_follows_it(rendered: Rendered, browser: Any) -> None:
    load(browser, rendered.page)
    start_s = rendered.timeline.breaths[0].start_samples / SR - 0.5
    state_at(browser, start_s)
    browser.find_element("id", "play").click()
    wait_for(browser, "return !document.getElementById('track').paused")
    began = time.monotonic()
    samples = []
    for _ in range(8):
        time.sleep(0.4)
        samples.append((time.monotonic() - began, browser.execute_script(STATE)))
    played_s = samples[-1][1]["audio"] - start_s
    assert played_s == pytest.approx(samples[-1][0], abs=0.6), "the track plays in real time"
    for _, state in samples:
        assert state["audio"] - state["time"] < 0.25, "the page draws the current time"
        phase = next(
            (
                p
                for p in rendered.timeline.breaths
                if p.start_samples / SR <= state["time"] < p.end_samples / SR
            ),
            None,
        )
        assert state["phase"] == (phase.phase if phase is not None else "")
        fullness = expected_fullness(phase, state["time"]) if phase is not None else 0.0
        assert state["scale"] == pytest.approx(MIN_SCALE + (1 - MIN_SCALE) * fullness, abs=0.02)
    assert sum(1 for _, state in samples if state["phase"]) >= 6
    assert browser.execute_script(
        "return [document.getElementById('page').dataset.state,"
        " document.getElementById('play').getAttribute('aria-label')]"
    ) == ["playing", "Pause"]
    metadata = browser.execute_script(
        "var m = navigator.mediaSession.metadata;"
        " return [m.title, m.artist, m.album, m.artwork[0].src.slice(0, 23)]"
    )
    assert metadata == [
        rendered.timeline.title,
        "coreg-audio tests",
        "Breathing",
        "data:image/jpeg;base64,",
    ]
    assert "screen stays on" in browser.find_element("id", "awake").text
    browser.find_element("id", "play").click()
    wait_for(browser, "return document.getElementById('track').paused")
    assert console_problems(browser) == []


def test_tapping_a_section_moves_the_track_to_its_start(rendered: Rendered, browser: Any) -> None:
    load(browser, rendered.page)
    buttons = browser.find_elements("css selector", "#sections button")
    assert [b.find_element("css selector", ".name").text for b in buttons] == [
        c.title for c in rendered.timeline.chapters
    ]
    for index in (2, 0, 3, 1):
        chapter = rendered.timeline.chapters[index]
        buttons[index].click()
        wait_for(
            browser,
            "return document.getElementById('section-now').textContent === arguments[0]",
            chapter.title,
        )
        assert browser.execute_script(
            "return document.getElementById('track').currentTime"
        ) == pytest.approx(chapter.start_samples / SR, abs=0.001)
        assert buttons[index].get_attribute("aria-current") == "true"


def test_the_keyboard_plays_pauses_and_skips(rendered: Rendered, browser: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    load(browser, rendered.page)
    state_at(browser, 1.0)
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    assert browser.execute_script(
        "return document.getElementById('track').currentTime"
    ) == pytest.approx(16.0, abs=0.01)
    ActionChains(browser).send_keys(" ").perform()
    wait_for(browser, "return !document.getElementById('track').paused")
    ActionChains(browser).send_keys(" ").perform()
    wait_for(browser, "return document.getElementById('track').paused")
    play = browser.find_element("id", "play")
    play.send_keys(Keys.ENTER)
    wait_for(browser, "return !document.getElementById('track').paused")
    play.send_keys(Keys.ENTER)
    wait_for(browser, "return document.getElementById('track').paused")


def test_vibration_pulses_once_in_and_twice_out_at_each_phase_start(
    rendered: Rendered, browser: Any
) -> None:
    load(browser, rendered.page)
    toggle = browser.find_element("id", "vibrate")
    assert toggle.is_displayed() and toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    phases = rendered.timeline.breaths
    start_s = phases[0].start_samples / SR - 0.4
    state_at(browser, start_s)
    browser.execute_script("window.__vibrations = []")
    browser.execute_script("document.getElementById('track').play()")
    stop_s = phases[4].start_samples / SR + 0.4
    wait_for(
        browser,
        "return document.getElementById('track').currentTime > arguments[0]",
        stop_s,
        timeout_s=15,
    )
    browser.execute_script("document.getElementById('track').pause()")
    calls = browser.execute_script("return window.__vibrations")
    played_until_s = browser.execute_script("return document.getElementById('track').currentTime")
    expected = [
        (p.start_samples / SR, [80] if p.phase == "inhale" else [80, 140, 80])
        for p in phases
        if p.phase in ("inhale", "exhale") and start_s < p.start_samples / SR <= played_until_s
    ]
    assert len(expected) >= 3
    assert [call["pattern"] for call in calls] == [pattern for _, pattern in expected]
    for call, (phase_start_s, _) in zip(calls, expected, strict=True):
        assert 0 <= call["time"] - phase_start_s < 0.2, (call, phase_start_s)
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false"


def test_the_page_asks_for_nothing_but_itself_and_its_track(
    rendered: Rendered, browser: Any
) -> None:
    requested_urls(browser)
    load(browser, rendered.page)
    browser.execute_script("document.getElementById('track').play()")
    time.sleep(1.0)
    browser.find_elements("css selector", "#sections button")[2].click()
    browser.execute_script("document.getElementById('track').pause()")
    urls = requested_urls(browser)
    assert rendered.page.resolve().as_uri() in urls
    assert rendered.track.resolve().as_uri() in urls
    assert {url for url in urls if not url.startswith("data:")} == {
        rendered.page.resolve().as_uri(),
        rendered.track.resolve().as_uri(),
    }
    assert console_problems(browser) == []


def test_a_missing_track_can_be_chosen_by_hand(
    rendered: Rendered, browser: Any, tmp_path: Path
) -> None:
    page = tmp_path / rendered.page.name
    shutil.copyfile(rendered.page, page)
    open_file(browser, page)
    wait_for(browser, "return !document.getElementById('missing').hidden")
    browser.find_element("id", "choose").send_keys(str(rendered.track))
    wait_for(browser, "return document.getElementById('track').readyState >= 1")
    assert browser.find_element("id", "missing").is_displayed() is False
    duration = browser.execute_script("return document.getElementById('track').duration")
    assert duration == pytest.approx(rendered.timeline.duration_s, abs=0.1)
    assert (
        state_at(browser, rendered.timeline.breaths[0].start_samples / SR + 0.5)["phase"]
        == "inhale"
    )
