"""Live playback.

The player is driven through a fake stream to check what it hands the sound
card sample by sample (against ``render.mastered_blocks``), and the ``play``
command runs against a real PulseAudio server whose sink is recorded: onsets
against the rendered WAV, start-up time, keys through a pseudo-terminal, and
fades that end without a click.
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
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.signal import correlate

from coreg_audio.audio.limiter import TruePeakLimiter
from coreg_audio.audio.master import mastered_blocks
from coreg_audio.audio.mix import Mixer
from coreg_audio.errors import MissingComponent, UsageError
from coreg_audio.live.play import (
    END_FADE_MS,
    JUMP_FADE_MS,
    PAUSE_FADE_MS,
    OutputDevice,
    Player,
    SampleClock,
    Session,
    _Chunk,
    choose_device,
    next_section_start,
    prepare,
    step_runs,
    step_start,
)
from coreg_audio.output import render
from coreg_audio.practice import load
from coreg_audio.timeline.events import SpeechEvent
from coreg_audio.units import SAMPLE_RATE_HZ, ms_to_samples, seconds_to_samples

from .conftest import FakeSpeech, script_from
from .pulse import PulseServer, read_wav

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

MIXED = """\
title: Mixed for the player
lead: 0.5
tail: 1
voice: {engine: espeak}
ambience: {sound: rain, level: -20}
steps:
  - section: Arriving
  - say: Hello, both of you.
  - bell: {strikes: 1, ring: 2}
  - section: Breathing
  - breathe: {cycles: 2, pattern: 2-3}
  - rock: {cycles: 2, period: 2}
  - section: Closing
  - say: Thank you.
"""


# --- the player against a fake stream --------------------------------------------------------


@dataclass
class FakeStream:
    callback: Any
    latency: float = 0.0
    events: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")

    def close(self) -> None:
        self.events.append("close")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Session:
    streams: list[FakeStream] = []

    def open_stream(callback: Any) -> FakeStream:
        streams.append(FakeStream(callback))
        return streams[-1]

    return prepare(script_from(MIXED), open_stream=open_stream)


@contextmanager
def fake_playing(session: Session, latency_s: float = 0.0) -> Iterator[tuple[Player, FakeStream]]:
    player = Player(session.mixer, session.gain_db, session.ceiling_dbtp)
    streams: list[FakeStream] = []

    def open_stream(callback: Any) -> FakeStream:
        streams.append(FakeStream(callback, latency_s))
        return streams[-1]

    with player.streaming(open_stream):
        yield player, streams[0]


def pull(player: Player, stream: FakeStream, frames: int, wait: bool = True) -> np.ndarray:
    """``frames`` samples in callbacks of at most 4096, each after the producer mixed ahead."""
    out = np.full((frames, 2), np.nan, dtype=np.float32)
    for start in range(0, frames, 4096):
        if wait:
            player.wait_buffered()
        size = min(4096, frames - start)
        stream.callback(out[start : start + size], size, None, None)
    assert not np.isnan(out).any()
    return out


def pull_until_finished(player: Player, stream: FakeStream, frames: int = 3000) -> np.ndarray:
    blocks = []
    while not player.finished:
        blocks.append(pull(player, stream, frames))
    return np.concatenate(blocks)


def reference(session: Session) -> np.ndarray:
    """The rendered track before quantization."""
    return np.concatenate(
        list(mastered_blocks(session.mixer, session.gain_db, session.ceiling_dbtp))
    )


def limited_from(session: Session, start: int) -> np.ndarray:
    """The track as a fresh limiter makes it from ``start``: what plays after a jump."""
    limiter = TruePeakLimiter(ceiling_dbtp=session.ceiling_dbtp)
    gain = np.float32(10 ** (session.gain_db / 20))
    parts = [limiter.process(block * gain) for _, block in session.mixer.blocks(start)]
    return np.concatenate([*parts, limiter.flush()])


def first_sound(samples: np.ndarray, after: int = 0) -> int:
    return after + int(np.flatnonzero(np.any(samples[after:] != 0.0, axis=1))[0])


def test_play_hands_the_stream_exactly_the_rendered_samples(mixed: Session) -> None:
    expected = reference(mixed)
    sizes = np.random.default_rng(7).integers(1, 6000, size=100_000)
    blocks = []
    with fake_playing(mixed) as (player, stream):
        assert stream.events == ["start"]
        for size in sizes:
            if player.finished:
                break
            blocks.append(pull(player, stream, int(size)))
    played = np.concatenate(blocks)
    assert played.shape[0] >= expected.shape[0] == mixed.timeline.duration_samples
    np.testing.assert_array_equal(played[: expected.shape[0]], expected)
    assert not played[expected.shape[0] :].any()
    assert player.underruns == []
    assert stream.events == ["start", "stop", "close"]


def test_pause_fades_out_holds_and_resumes_where_it_stopped(mixed: Session) -> None:
    expected = reference(mixed)
    fade = ms_to_samples(PAUSE_FADE_MS)
    with fake_playing(mixed) as (player, stream):
        before = pull(player, stream, 50_000)
        player.toggle_pause()
        assert player.paused
        fading = pull(player, stream, fade + 20_000)
        paused_at = player.position_samples
        held = pull(player, stream, 30_000)
        assert player.position_samples == paused_at == 50_000 + fade
        player.toggle_pause()
        rest = pull_until_finished(player, stream)
    np.testing.assert_array_equal(before, expected[:50_000])
    out_gain = _gain(fading[:fade], expected[50_000 : 50_000 + fade])
    assert out_gain[0] > 0.99 and out_gain[-1] == 0.0 and np.all(np.diff(out_gain) <= 1e-6)
    assert not fading[fade:].any() and not held.any()
    in_gain = _gain(rest[:fade], expected[paused_at : paused_at + fade])
    assert in_gain[0] < 0.01 and in_gain[-1] == 1.0 and np.all(np.diff(in_gain) >= -1e-6)
    remaining = expected.shape[0] - paused_at - fade
    np.testing.assert_array_equal(rest[fade : fade + remaining], expected[paused_at + fade :])


def _gain(out: np.ndarray, original: np.ndarray) -> np.ndarray:
    """The gain applied to each sample (from the louder channel, where it is not tiny)."""
    channel = np.argmax(np.abs(original), axis=1)
    rows = np.arange(original.shape[0])
    source = original[rows, channel].astype(np.float64)
    result = out[rows, channel].astype(np.float64)
    usable = np.abs(source) > 1e-3
    assert usable.mean() > 0.9, "the check needs sound under the fade"
    gain = np.interp(rows, rows[usable], result[usable] / source[usable])
    gain[-1] = result[-1] / source[-1] if usable[-1] else gain[-1]
    return np.round(gain, 4)


def test_restart_jumps_to_the_step_start_through_a_fresh_limiter(mixed: Session) -> None:
    timeline = mixed.timeline
    breathe = [e for e in timeline.events if e.kind == "tone"]
    inside = breathe[2].start_samples + 1000
    target = step_start(timeline, inside)
    assert target == breathe[0].start_samples
    _check_jump(mixed, inside, target)


def test_next_section_jumps_to_its_start(mixed: Session) -> None:
    timeline = mixed.timeline
    target = next_section_start(timeline, 20_000)
    assert target == timeline.chapters[1].start_samples
    _check_jump(mixed, 20_000, target)


def _check_jump(session: Session, at: int, target: int) -> None:
    fade = ms_to_samples(JUMP_FADE_MS)
    expected = reference(session)
    with fake_playing(session) as (player, stream):
        before = pull(player, stream, at)
        player.jump(target)
        assert player.position_samples == target
        after = pull_until_finished(player, stream)
    np.testing.assert_array_equal(before, expected[:at])
    out_gain = _gain(after[:fade], expected[at : at + fade])
    assert out_gain[0] > 0.99 and out_gain[-1] == 0.0
    resumed = first_sound(after, fade)
    fresh = limited_from(session, target)
    in_gain = _gain(after[resumed : resumed + fade], fresh[:fade])
    assert in_gain[0] < 0.01 and in_gain[-1] == 1.0
    played = after[resumed + fade : resumed + fresh.shape[0]]
    np.testing.assert_array_equal(played, fresh[fade:])
    assert player.underruns == []


def test_a_jump_whose_new_chunks_arrive_first_plays_them_after_the_fade(mixed: Session) -> None:
    player = Player(mixed.mixer, mixed.gain_db, mixed.ceiling_dbtp)
    old = np.full((1000, 2), 0.5, dtype=np.float32)
    new = np.full((20_000, 2), 0.25, dtype=np.float32)
    player._queue.put(_Chunk(0, 0, old))
    player.jump(300_000)
    player._queue.put(_Chunk(1, 300_000, new))
    out = np.zeros((15_000, 2), dtype=np.float32)
    player.fill(out)
    fade_in = ms_to_samples(JUMP_FADE_MS)
    assert np.all(np.diff(out[:1000, 0]) < 0) and np.all(out[:1000, 0] < 0.5)
    assert np.all(np.diff(out[1000 : 1000 + fade_in, 0]) > 0)
    np.testing.assert_array_equal(out[1000 + fade_in :], new[fade_in:14_000])
    assert player.underruns == [] and player.position_samples == 300_000 + 14_000


def test_next_in_the_last_section_ends_the_practice(mixed: Session) -> None:
    last = mixed.timeline.chapters[-1].start_samples + 1000
    assert next_section_start(mixed.timeline, last) is None
    with fake_playing(mixed) as (player, stream):
        pull(player, stream, 2000)
        player.jump(mixed.timeline.duration_samples)
        tail = pull_until_finished(player, stream)
    assert player.finished and not tail[ms_to_samples(JUMP_FADE_MS) :].any()


def test_stop_fades_out_and_finishes(mixed: Session) -> None:
    fade = ms_to_samples(END_FADE_MS)
    expected = reference(mixed)
    with fake_playing(mixed) as (player, stream):
        pull(player, stream, 40_000)
        player.stop()
        rest = pull_until_finished(player, stream)
        assert stream.events == ["start"]
    assert stream.events == ["start", "stop", "close"]
    gain = _gain(rest[:fade], expected[40_000 : 40_000 + fade])
    assert gain[0] > 0.99 and gain[-1] == 0.0 and np.all(np.diff(gain) <= 1e-6)
    assert not rest[fade:].any()


def test_the_screen_clock_is_the_stream_count_less_its_latency(mixed: Session) -> None:
    latency_s = 0.1
    with fake_playing(mixed, latency_s) as (player, stream):
        assert player.position_samples == 0
        pull(player, stream, 20_000)
        assert player.position_samples == 20_000 - seconds_to_samples(latency_s)
        player.toggle_pause()
        for _ in range(5):
            pull(player, stream, 10_000)
        paused_at = 20_000 + ms_to_samples(PAUSE_FADE_MS)
        assert player.position_samples == paused_at
        player.jump(500_000)
        positions = []
        for _ in range(10):
            pull(player, stream, 1000)
            positions.append(player.position_samples)
        assert positions[0] == 500_000, "a jump shows its target at once"
        assert min(positions) == 500_000, "never the old place again"
        moving = [p for p in positions if p > 500_000]
        assert moving and np.all(np.diff(moving) == 1000)
        player.stop()


def test_a_producer_that_falls_behind_is_counted_as_underruns(mixed: Session) -> None:
    class SlowMixer(Mixer):
        def block(self, start_samples: int, length_samples: int) -> np.ndarray:
            time.sleep(0.05)
            return super().block(start_samples, length_samples)

    slow = Session(
        mixed.timeline,
        SlowMixer(mixed.timeline, _Clips(mixed.mixer), 1),
        mixed.gain_db,
        mixed.ceiling_dbtp,
        mixed.open_stream,
    )
    with fake_playing(slow) as (player, stream):
        for _ in range(8):
            pull(player, stream, 30_000, wait=False)
        assert len(player.underruns) >= 1
        player.stop()


class _Clips:
    def __init__(self, mixer: Mixer) -> None:
        self._mixer = mixer

    def clip(self, text: str, voice: Any) -> np.ndarray:
        return self._mixer._clips.clip(text, voice)  # type: ignore[no-any-return]


def test_the_sample_clock_follows_pauses_and_jumps() -> None:
    clock = SampleClock(keep_frames=1000)
    clock.played(0, 500)
    clock.played(500, 500)
    clock.held(300)
    clock.played(1000, 200)
    clock.played(7000, 100)
    assert [clock.track_at(f) for f in (0, 999, 1000, 1299, 1300, 1499, 1500, 1599)] == [
        0,
        999,
        1000,
        1000,
        1000,
        1199,
        7000,
        7099,
    ]
    for _ in range(50):
        clock.played(clock.track_at(clock.frames) + 1000, 100)
    assert len(clock._marks) <= 12


# --- where the keys jump to ------------------------------------------------------------------


def test_restart_finds_the_innermost_step_of_each_repeat_pass() -> None:
    from coreg_audio.timeline.compile import compile_timeline

    script = script_from("""\
        title: Repeats
        lead: 1
        steps:
          - section: One
          - say: First words.
          - pause: 2
          - repeat:
              times: 2
              steps:
                - say: Again.
                - breathe: {cycles: 2, pattern: 2-2}
          - repeat: {times: 2, steps: [{breathe: {cycles: 2, pattern: 1-1}}]}
          - section: Two
          - bell: 1
        """)
    timeline = compile_timeline(script, FakeSpeech())
    events = [e for e in timeline.events if e.kind != "section"]
    say_again = [e for e in events if isinstance(e, SpeechEvent) and e.text == "Again."]
    tones = [e for e in events if e.kind == "tone"]
    bell = next(e for e in events if e.kind == "bell")
    assert step_runs(timeline) == [
        events[0].start_samples,
        say_again[0].start_samples,
        tones[0].start_samples,
        say_again[1].start_samples,
        tones[4].start_samples,
        tones[8].start_samples,
        tones[12].start_samples,
        bell.start_samples,
    ]
    assert step_start(timeline, 0) == 0
    assert step_start(timeline, events[0].end_samples + 1000) == events[0].start_samples
    assert step_start(timeline, tones[7].start_samples + 10) == tones[4].start_samples
    assert step_start(timeline, tones[14].start_samples) == tones[12].start_samples
    assert next_section_start(timeline, 0) == timeline.chapters[1].start_samples
    assert next_section_start(timeline, timeline.chapters[1].start_samples) is None


# --- devices ---------------------------------------------------------------------------------

DEVICES = [
    OutputDevice(0, "pulse", 32, "ALSA", False),
    OutputDevice(1, "default", 32, "ALSA", True),
    OutputDevice(4, "HDA Intel PCH: ALC892 Analog (hw:0,0)", 2, "ALSA", False),
    OutputDevice(5, "HDA Intel PCH: HDMI 0 (hw:0,3)", 8, "ALSA", False),
]


def test_a_device_is_chosen_by_index_or_name() -> None:
    assert choose_device(None, DEVICES) is None
    assert choose_device("4", DEVICES) == 4
    assert choose_device("PULSE", DEVICES) == 0
    assert choose_device("hdmi", DEVICES) == 5
    assert choose_device(None, DEVICES[2:]) == 4


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("9", "is not an output device"),
        ("hda intel", "matches more than one"),
        ("speakers", "is not an output device"),
    ],
)
def test_an_unknown_device_lists_the_devices(spec: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        choose_device(spec, DEVICES)
    message = str(caught.value)
    assert words in message and "0 pulse; 1 default; 4 HDA" in message


def test_no_device_at_all_is_a_missing_component() -> None:
    with pytest.raises(MissingComponent, match=r"no sound output device.*coreg-audio render"):
        choose_device(None, [])


# --- the play command on a real sound server -------------------------------------------------

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
    session = prepare(load(str(script)), open_stream=lambda callback: FakeStream(callback))
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

    def wait_for(self, text: str, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while text.encode() not in self.output:
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
