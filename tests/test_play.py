"""The ``play`` command on a real PulseAudio server whose sink is recorded.

Onsets against the rendered WAV, start-up time, keys through a pseudo-terminal,
and fades that end without a click. (The player itself, sample by sample, is
tested in test_player.)
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy.signal import correlate

from coreg_audio.format.breathe import Breathe
from coreg_audio.live.fades import END_FADE_MS, PAUSE_FADE_MS
from coreg_audio.live.play import Session, prepare
from coreg_audio.output import render
from coreg_audio.practice import load
from coreg_audio.units import SAMPLE_RATE_HZ, ms_to_samples, seconds_to_samples

from .conftest import REPO
from .pulse import PulseServer, read_wav
from .test_player import FakeStream

AUDIBLE_DBFS = -40.0
ONSET_TOLERANCE_MS = 20.0
START_GOAL_S = 1.5
STARTING_S = 0.4
"""What play may add to its imports and preparation before the first sample is heard.

Measured: the first callback came 0.06-0.13 s after the imports, and the first
sample reached the sink with it (the buffer is primed by the callback); on a
machine loaded by other work both grow, so the goal is checked against the
imports measured in the same run.
"""

SPOKEN = """\
title: Play matches render
lead: 0.3
tail: 0.5
tones: none
params: {a: Sam, b: Alex}
steps:
  - section: Arriving
  - say: Welcome, {a} and {b}. This is a short practice for two.
  - say: Either of you can pause at any time.
    after: 1.5
  - section: Breathing
  - breathe: {cycles: 4, pattern: 4-6, count: true}
  - say: Keep the same pace, a little slower now.
  - breathe: {cycles: 2, pattern: 3-2-4, count: true}
  - section: Closing
  - say: Thank you for breathing together.
"""

STEADY = """\
title: Steady sound
lead: 0.5
tail: 0.5
voice: {engine: espeak}
ambience: {sound: brown-noise, level: -14, duck: 0}
steps:
  - section: First
  - say: Here we are.
  - pause: 3
  - section: Second
  - breathe: {cycles: 2, pattern: 3-4}
  - say: Still here.
  - section: Third
  - pause: 6
"""


def coreg(*args: str) -> list[str]:
    return [sys.executable, "-m", "coreg_audio", *args]


@dataclass
class Rendered:
    script: Path
    wav: np.ndarray
    session: Session


def rendered(folder: Path, text: str, name: str) -> Rendered:
    """The script's WAV (float, as written) and timeline; its speech is now cached."""
    script = folder / f"{name}.yaml"
    script.write_text(text)
    wav = folder / f"{name}.wav"
    render.render(load(str(script)), wav)
    session = prepare(load(str(script)), open_stream=lambda callback, _rate: FakeStream(callback))
    return Rendered(script, read_wav(wav), session)


def spoken_onsets(samples: np.ndarray, session: Session, offset: int = 0) -> list[int]:
    """The first audible sample of each spoken event, searched from where it should be."""
    level = np.max(np.abs(samples), axis=1)
    threshold = 10 ** (AUDIBLE_DBFS / 20)
    margin = ms_to_samples(100)
    onsets = []
    previous_end = 0
    for event in session.timeline.spoken_events():
        begin = max(previous_end + offset, event.start_samples + offset - margin)
        loud = np.flatnonzero(level[begin : event.start_samples + offset + margin] > threshold)
        assert loud.size, f"nothing audible near {event}"
        onsets.append(begin + int(loud[0]))
        previous_end = event.end_samples
    return onsets


@pytest.mark.slow
def test_play_matches_the_rendered_wav_and_starts_within_the_goal(
    pulse: PulseServer, tmp_path: Path, record_property: Any
) -> None:
    track = rendered(tmp_path, SPOKEN, "spoken")
    assert 60 <= track.session.timeline.duration_s <= 120
    with pulse.recording(tmp_path / "heard.wav") as heard:
        launched = time.monotonic()
        result = subprocess.run(
            coreg("play", str(track.script)),
            env=pulse.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        time.sleep(0.5)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""

    expected = spoken_onsets(track.wav, track.session)
    level = np.max(np.abs(heard.samples), axis=1)
    first_heard = int(np.flatnonzero(level > 10 ** (AUDIBLE_DBFS / 20))[0])
    offset = first_heard - expected[0]
    heard_onsets = spoken_onsets(heard.samples, track.session, offset)
    shifts_ms = (np.array(heard_onsets) - np.array(expected)) * 1000 / SAMPLE_RATE_HZ
    spread_ms = shifts_ms - np.median(shifts_ms)
    assert np.all(np.abs(spread_ms) <= ONSET_TOLERANCE_MS), spread_ms

    start_s = heard.started_at + np.median(shifts_ms) / 1000 - launched
    first_sound_s = start_s + expected[0] / SAMPLE_RATE_HZ
    record_property("play_start_s", round(start_s, 3))
    record_property("play_first_sound_s", round(first_sound_s, 3))
    baseline_s = _import_and_prepare_s(track.script)
    record_property("play_unavoidable_s", round(baseline_s, 3))
    print(
        f"play: {len(expected)} onsets within {np.max(np.abs(spread_ms)):.1f} ms of one "
        f"offset; track started {start_s:.3f} s after the command, first sound at "
        f"{first_sound_s:.3f} s; importing and preparing alone take {baseline_s:.3f} s"
    )
    assert start_s <= max(START_GOAL_S, baseline_s + STARTING_S)

    lines = result.stdout.splitlines()
    items = [e for e in track.session.timeline.events if e.kind == "section" or e.spoken]
    assert len(lines) == len(items)
    assert lines[0] == "00:00.3  section  Arriving"
    assert lines[1] == "00:00.3  speech   Welcome, Sam and Alex. This is a short practice for two."
    assert lines[-1].endswith("speech   Thank you for breathing together.")


def _import_and_prepare_s(script: Path) -> float:
    """What play cannot avoid before its first sample: its imports, the script, the gain."""
    probe = (
        "from coreg_audio import cli, practice\n"
        "from coreg_audio.live import play, screen\n"
        "from coreg_audio.audio.master import Mastering, master_gain_db\n"
        "from coreg_audio.audio.mix import Mixer\n"
        "from coreg_audio.speech import Speaker\n"
        f"s = practice.load({str(script)!r})\n"
        "with Speaker() as v: tl = practice.build_timeline(s, v)\n"
        "master_gain_db(Mixer(tl, v, 1), Mastering())\n"
    )
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True)
    return time.monotonic() - started


# --- keys through a pseudo-terminal ----------------------------------------------------------


@dataclass
class Terminal:
    """A child process on a pseudo-terminal it controls, and everything it wrote."""

    process: subprocess.Popen[bytes]
    master: int
    slave: int
    output: bytearray = field(default_factory=bytearray)

    def press(self, keys: str) -> float:
        os.write(self.master, keys.encode())
        return time.monotonic()

    def wait_for(self, text: str, timeout_s: float = 30.0, since: int = 0) -> None:
        """Wait until ``text`` is written (from byte ``since`` of the output on)."""
        deadline = time.monotonic() + timeout_s
        while text.encode() not in self.output[since:]:
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"never saw {text!r}: {self.text()[-2000:]}"
            time.sleep(0.01)

    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@contextmanager
def terminal(args: list[str], env: dict[str, str]) -> Iterator[Terminal]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen(
        args,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "TERM": "xterm-256color", "COLUMNS": "100"},
        start_new_session=True,
        preexec_fn=_take_terminal,
    )
    term = Terminal(process, master, slave)

    def read() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            term.output.extend(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield term
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        os.close(slave)
        reader.join(timeout=5)
        os.close(master)


def assert_terminal_restored(term: Terminal) -> None:
    lflag = termios.tcgetattr(term.slave)[3]
    assert lflag & termios.ECHO and lflag & termios.ICANON


def locate(segment: np.ndarray, track: np.ndarray) -> int:
    """Where in ``track`` a stretch of the recording was taken from (best correlation)."""
    score = correlate(track[:, 0], segment[:, 0], mode="valid", method="fft")
    return int(np.argmax(score))


def assert_fades_out(heard: np.ndarray, track: np.ndarray, fade_ms: float) -> None:
    """The sound ends in a fade of ``fade_ms``: its gain against the track falls smoothly to 0."""
    level = np.max(np.abs(heard), axis=1)
    last = int(np.flatnonzero(level > 0)[-1])
    window = ms_to_samples(20)
    span = ms_to_samples(fade_ms)
    begin = last - span - 10 * window
    where = locate(heard[begin : begin + 8 * window], track)
    original = track[where : where + (last - begin) + 1]
    ratios = []
    for start in range(0, last - begin - window, window):
        got = np.sqrt(np.mean(heard[begin + start : begin + start + window] ** 2))
        was = np.sqrt(np.mean(original[start : start + window] ** 2))
        ratios.append(got / was)
    gains = np.array(ratios)
    assert np.all(gains[:8] > 0.97), gains
    assert np.all(np.diff(gains) <= 0.03), gains
    assert gains[-1] < 0.02, gains
    fading = np.flatnonzero((gains < 0.97) & (gains > 0.02))
    assert abs(fading.size * 20 - fade_ms) <= 0.25 * fade_ms, gains


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return rendered(tmp_path_factory.mktemp("steady"), STEADY, "steady")


@pytest.mark.slow
def test_space_pauses_for_as_long_as_asked_then_q_fades_out(
    pulse: PulseServer, steady: Rendered, tmp_path: Path
) -> None:
    with (
        pulse.recording(tmp_path / "heard.wav") as heard,
        terminal(coreg("play", str(steady.script)), pulse.env) as term,
    ):
        term.wait_for("Here we are")
        time.sleep(1.5)
        paused = term.press(" ")
        term.wait_for("PAUSED")
        time.sleep(2.0)
        resumed = term.press(" ")
        time.sleep(2.0)
        term.press("q")
        assert term.process.wait(timeout=10) == 0, term.text()
        assert_terminal_restored(term)
        time.sleep(0.3)
    assert "Steady sound" in term.text() and "First" in term.text()
    assert "Traceback" not in term.text()

    samples = heard.samples
    gap_start, gap_end = quiet_after(samples, heard.index_at(paused))
    asked_s = resumed - paused
    silence_s = (gap_end - gap_start) / SAMPLE_RATE_HZ
    assert abs(silence_s - (asked_s - PAUSE_FADE_MS / 1000)) <= 0.12, (silence_s, asked_s)
    fade = ms_to_samples(PAUSE_FADE_MS)
    before = offset_to_track(samples, gap_start - fade - ms_to_samples(300), steady.wav)
    after = offset_to_track(samples, gap_end + fade, steady.wav)
    assert abs((gap_start + before) - (gap_end + after)) <= ms_to_samples(10), (
        "resumed where the fade-out ended: nothing skipped, nothing heard twice"
    )
    assert_fades_out(samples, steady.wav, END_FADE_MS)


def quiet_after(samples: np.ndarray, index: int) -> tuple[int, int]:
    """The first run of digital silence after ``index`` (at least 20 samples): the fades'
    ends, quantized to zero, and what lay between them."""
    silent = np.concatenate([[False], ~np.any(samples[index:] != 0.0, axis=1), [False]])
    edges = np.flatnonzero(silent[1:] != silent[:-1])
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start >= 20:
            return index + int(start), index + int(end)
    raise AssertionError("no silence after the key")


def offset_to_track(samples: np.ndarray, index: int, track: np.ndarray) -> int:
    """What to add to a recording index, from ``index`` on, to get the track's sample."""
    window = ms_to_samples(300)
    return locate(samples[index : index + window], track) - index


@pytest.mark.slow
def test_r_restarts_the_step_and_n_goes_to_the_next_section(
    pulse: PulseServer, steady: Rendered, tmp_path: Path
) -> None:
    timeline = steady.session.timeline
    second = timeline.chapters[1]
    third = timeline.chapters[2]
    with (
        pulse.recording(tmp_path / "heard.wav") as heard,
        terminal(coreg("play", str(steady.script)), pulse.env) as term,
    ):
        term.wait_for("Second")
        time.sleep(2.5)
        restarted = term.press("r")
        time.sleep(2.0)
        skipped = term.press("n")
        term.wait_for("Third")
        time.sleep(1.5)
        term.press("q")
        assert term.process.wait(timeout=10) == 0, term.text()
        assert_terminal_restored(term)

    for pressed, target in ((restarted, second.start_samples), (skipped, third.start_samples)):
        _, junction = quiet_after(heard.samples, heard.index_at(pressed))
        landed = junction + offset_to_track(
            heard.samples, junction + ms_to_samples(200), steady.wav
        )
        assert abs(landed - target) <= ms_to_samples(10), (landed, target)


@pytest.mark.slow
def test_ctrl_c_in_the_terminal_fades_out_and_exits_130(
    pulse: PulseServer, steady: Rendered, tmp_path: Path
) -> None:
    with (
        pulse.recording(tmp_path / "heard.wav") as heard,
        terminal(coreg("play", str(steady.script)), pulse.env) as term,
    ):
        term.wait_for("Here we are")
        time.sleep(1.0)
        term.press("\x03")
        assert term.process.wait(timeout=10) == 130, term.text()
        assert_terminal_restored(term)
        time.sleep(0.3)
    assert "stopped" in term.text() and "Traceback" not in term.text()
    assert_fades_out(heard.samples, steady.wav, END_FADE_MS)


@pytest.mark.slow
def test_sigint_without_a_terminal_fades_out_and_exits_130(
    pulse: PulseServer, steady: Rendered, tmp_path: Path
) -> None:
    with pulse.recording(tmp_path / "heard.wav") as heard:
        process = subprocess.Popen(
            coreg("play", str(steady.script)),
            env=pulse.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().endswith("section  First\n")
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
        time.sleep(0.3)
    assert process.returncode == 130
    assert err == "stopped\n"
    assert_fades_out(heard.samples, steady.wav, END_FADE_MS)


# --- tapping a partner's pace ------------------------------------------------------------------

TAPPED = """\
title: Tapping
lead: 0.5
tail: 0.5
voice: {engine: espeak}
tones: chime
meet: 2-3
steps:
  - say: Tap now.
  - tap: 4
  - breathe: {cycles: 2, pattern: met, guide: 0}
  - say: Again.
  - tap: 4
  - breathe: {cycles: 2, pattern: met, guide: 0}
  - say: Nobody taps.
  - tap: 4
  - breathe: {cycles: 2, pattern: met, guide: 0}
"""
TAP_TOLERANCE_MS = 20.0
PACE_TOLERANCE_MS = 50.0


def chime_onset(samples: np.ndarray, expected: int, search_ms: float = 120.0) -> int:
    """Where the breath chime nearest ``expected`` begins in a recording: the best match of
    the chime's first 120 ms (the tap clicks, high and short, filtered out of both)."""
    from scipy.signal import butter, sosfilt

    from coreg_audio.audio.sounds import chime

    low_pass = butter(4, 900, fs=SAMPLE_RATE_HZ, output="sos")
    template = sosfilt(low_pass, chime(seconds_to_samples(2), 196.0))[: ms_to_samples(120)]
    reach = ms_to_samples(search_ms)
    begin = max(0, expected - reach - ms_to_samples(50))
    piece = sosfilt(low_pass, samples[begin : expected + reach + template.size, 0])
    score = correlate(piece, template, mode="valid", method="fft")
    energy = np.sqrt(
        np.convolve(piece**2, np.ones(template.size), mode="valid")[: score.size] + 1e-12
    )
    first = ms_to_samples(50)
    return begin + first + int(np.argmax((score / energy)[first:]))


@pytest.mark.slow
def test_taps_set_the_pace_and_the_breathing_starts_at_the_last_tap(
    pulse: PulseServer, tmp_path: Path
) -> None:
    script = tmp_path / "tapped.yaml"
    script.write_text(TAPPED)
    prepare(load(str(script)), open_stream=lambda callback, _rate: FakeStream(callback))
    taps: list[list[float]] = []
    with (
        pulse.recording(tmp_path / "heard.wav") as heard,
        terminal(coreg("play", str(script)), pulse.env) as term,
    ):
        for interval_s in (3.0, 5.2):
            term.wait_for("taps to go", timeout_s=60, since=len(term.output))
            time.sleep(0.5)
            taps.append([])
            mark = len(term.output)
            for _ in range(5):
                taps[-1].append(term.press(" "))
                time.sleep(interval_s)
            term.wait_for("we'll start there", since=mark)
        term.wait_for("no taps: we'll start at about 5.0 s a breath", timeout_s=60)
        assert term.process.wait(timeout=60) == 0, term.text()
        assert_terminal_restored(term)
        time.sleep(0.3)
    text = term.text()
    assert "about 3.0 s a breath" in text and "about 5.2 s a breath" in text
    assert "Traceback" not in text

    for moments, interval_s in zip(taps, (3.0, 5.2), strict=True):
        last = heard.index_at(moments[-1])
        inhale_s, exhale_s = 0.4 * interval_s, 0.6 * interval_s
        expected = [last, last + seconds_to_samples(inhale_s)]
        expected += [last + seconds_to_samples(interval_s + s) for s in (0, inhale_s)]
        found = [chime_onset(heard.samples, at) for at in expected]
        misses_ms = (np.array(found) - np.array(expected)) * 1000 / SAMPLE_RATE_HZ
        print(f"taps every {interval_s} s: chimes {np.round(misses_ms, 1)} ms from the met pace")
        assert np.all(np.abs(misses_ms) <= TAP_TOLERANCE_MS), misses_ms
        phases_ms = np.diff(found) * 1000 / SAMPLE_RATE_HZ
        wanted_ms = np.array([inhale_s, exhale_s, inhale_s]) * 1000
        assert np.all(np.abs(phases_ms - wanted_ms) <= PACE_TOLERANCE_MS), phases_ms


def breathing_touch_listening(folder: Path) -> Path:
    """breathing-touch's own first ``tap`` and the ``breathe`` after it, as a script of its own
    (the words over the breath left out, so that only the breath chimes are heard)."""
    practice = yaml.safe_load((REPO / "scripts" / "breathing-touch.yaml").read_text())
    steps = practice["steps"]
    at = next(index for index, step in enumerate(steps) if "tap" in step)
    breathe = {key: value for key, value in steps[at + 1]["breathe"].items() if key != "say"}
    practice.update(lead=0.5, tail=0.5, steps=[steps[at], {"breathe": breathe}])
    path = folder / "breathing-touch-listening.yaml"
    path.write_text(yaml.safe_dump(practice, sort_keys=False))
    return path


@pytest.mark.slow
def test_breathing_touch_starts_at_the_tapped_pace_then_leads_toward_calm(
    pulse: PulseServer, tmp_path: Path
) -> None:
    """The pace tapped in breathing-touch starts its breathing at the last tap; each breath
    after that is a little longer, on the way from the met pace to the practice's own."""
    script = breathing_touch_listening(tmp_path)
    overrides = ["--tones", "chime", "--ambience", "none", "--engine", "espeak"]
    interval_s = 3.0
    with (
        pulse.recording(tmp_path / "heard.wav") as heard,
        terminal(coreg("play", str(script), *overrides), pulse.env) as term,
    ):
        term.wait_for("taps to go", timeout_s=60)
        time.sleep(0.5)
        taps = []
        for _ in range(5):
            taps.append(term.press(" "))
            time.sleep(interval_s)
        term.wait_for("we'll start there")
        time.sleep(4.5)
        term.press("q")
        assert term.process.wait(timeout=10) == 0, term.text()
        assert_terminal_restored(term)
        time.sleep(0.3)
    assert "about 3.0 s a breath" in term.text() and "Traceback" not in term.text()

    practice = load(str(script))
    breathe = practice.steps[1]
    assert isinstance(breathe, Breathe) and breathe.to is not None and breathe.cycles is not None
    first_in_s, first_out_s = Fraction(6, 5), Fraction(9, 5)
    ramp_s = (breathe.to.inhale_s - first_in_s, breathe.to.exhale_s - first_out_s)
    second_in_s = first_in_s + ramp_s[0] / (breathe.cycles - 1)
    second_out_s = first_out_s + ramp_s[1] / (breathe.cycles - 1)
    assert second_in_s + second_out_s > first_in_s + first_out_s
    onsets_s = [Fraction(0), first_in_s, first_in_s + first_out_s]
    onsets_s += [onsets_s[-1] + second_in_s, onsets_s[-1] + second_in_s + second_out_s]
    last = heard.index_at(taps[-1])
    expected = [last + seconds_to_samples(at_s) for at_s in onsets_s]
    found = [chime_onset(heard.samples, at) for at in expected]
    misses_ms = (np.array(found) - np.array(expected)) * 1000 / SAMPLE_RATE_HZ
    print(f"breathing-touch, taps every {interval_s} s: chimes {np.round(misses_ms, 1)} ms off")
    assert np.all(np.abs(misses_ms) <= TAP_TOLERANCE_MS), misses_ms
