"""The player, driven through a fake stream: what it hands the sound card, sample by sample.

The reference is the rendered track (``master.mastered_blocks``); pausing, jumping
and stopping must change it only by their fades.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from coreg_audio.audio.limiter import TruePeakLimiter
from coreg_audio.audio.master import mastered_blocks
from coreg_audio.audio.mix import Mixer
from coreg_audio.format.model import BUILT_IN
from coreg_audio.format.patterns import parse_pattern_text
from coreg_audio.live.fades import END_FADE_MS, JUMP_FADE_MS, PAUSE_FADE_MS
from coreg_audio.live.navigation import next_section_start, step_start
from coreg_audio.live.play import PlayOptions, Session, agree_until, prepare
from coreg_audio.live.player import SPLICE_AHEAD_MS, SPLICE_FADE_MS, Player, _Chunk
from coreg_audio.practice import ClipLengths
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.timeline.events import Timeline
from coreg_audio.timeline.placer import TapResult
from coreg_audio.units import SAMPLE_RATE_HZ, ms_to_samples, seconds_to_samples

from .conftest import script_from

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

    def open_stream(callback: Any, sample_rate_hz: int) -> FakeStream:
        assert sample_rate_hz == SAMPLE_RATE_HZ
        streams.append(FakeStream(callback))
        return streams[-1]

    return prepare(script_from(MIXED), open_stream=open_stream)


@contextmanager
def fake_playing(session: Session, latency_s: float = 0.0) -> Iterator[tuple[Player, FakeStream]]:
    player = Player(session.mixer, session.gain_db, session.ceiling_dbtp)
    streams: list[FakeStream] = []

    def open_stream(callback: Any, sample_rate_hz: int) -> FakeStream:
        assert sample_rate_hz == SAMPLE_RATE_HZ
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
    rounded: np.ndarray = np.round(gain, 4)
    return rounded


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
        clip: np.ndarray = self._mixer._clips.clip(text, voice)
        return clip


# --- a practice timed again while it plays ------------------------------------------------------

TAPPED = """\
title: Tapped
lead: 0.5
tail: 1
voice: {engine: espeak}
ambience: {sound: rain, level: -20}
meet: 2-3
steps:
  - say: Tap now.
  - tap: 3
  - breathe: {cycles: 2, pattern: met, count: true}
"""


@pytest.fixture(scope="module")
def tapped() -> Session:
    return prepare(
        script_from(TAPPED),
        PlayOptions(tapping=True),
        open_stream=lambda callback, _rate: FakeStream(callback),
    )


def retimed(session: Session, end_samples: int) -> tuple[Timeline, Mixer]:
    assert session.script is not None and session.voice is not None
    timeline = compile_timeline(
        session.script,
        ClipLengths(session.voice),
        {0: TapResult(end_samples, parse_pattern_text("1.2-1.8", BUILT_IN))},
        live=True,
    )
    return timeline, Mixer(timeline, session.voice, 1)


def test_a_splice_in_the_quiet_of_a_tap_step_joins_sample_for_sample(tapped: Session) -> None:
    tap = tapped.timeline.tap_events()[0]
    end = tap.start_samples + seconds_to_samples(3)
    timeline, mixer = retimed(tapped, end)
    agree = agree_until(tapped.timeline, timeline)
    assert agree == end - ms_to_samples(1000)
    new = np.concatenate(list(mastered_blocks(mixer, tapped.gain_db, tapped.ceiling_dbtp)))
    with fake_playing(tapped) as (player, stream):
        before = pull(player, stream, tap.start_samples + 10_000)
        at = player.splice(mixer, agree)
        assert at == tap.start_samples + 10_000 + ms_to_samples(SPLICE_AHEAD_MS)
        after = pull(player, stream, timeline.duration_samples - before.shape[0])
        player.stop()
    played = np.concatenate([before, after])
    np.testing.assert_array_equal(played[at : timeline.duration_samples - 2000], new[at:-2000])
    assert player.underruns == []


def test_a_splice_where_the_sounds_differ_crossfades(tapped: Session) -> None:
    tap = tapped.timeline.tap_events()[0]
    first, _ = retimed(tapped, tap.start_samples + seconds_to_samples(3))
    later_end = tap.start_samples + seconds_to_samples(Fraction(32, 10))
    second, second_mixer = retimed(tapped, later_end)
    old_mixer = Mixer(first, tapped.voice, 1)  # type: ignore[arg-type]
    session = Session(first, old_mixer, tapped.gain_db, tapped.ceiling_dbtp, tapped.open_stream)
    fade = ms_to_samples(SPLICE_FADE_MS)
    new = np.concatenate(list(mastered_blocks(second_mixer, tapped.gain_db, tapped.ceiling_dbtp)))
    with fake_playing(session) as (player, stream):
        before = pull(player, stream, tap.start_samples + seconds_to_samples(3) + 20_000)
        at = player.splice(second_mixer, agree_until(first, second))
        after = pull(player, stream, 200_000)
        player.stop()
    played = np.concatenate([before, after])
    jump = np.max(np.abs(np.diff(played[at - 100 : at + fade + 100], axis=0)))
    assert jump < 0.05, "no click where the mixes meet"
    np.testing.assert_allclose(
        played[at + fade + 30_000 : at + fade + 60_000],
        new[at + fade + 30_000 : at + fade + 60_000],
        atol=1e-6,
    )


def test_a_click_is_heard_at_once_on_top_of_the_sound(mixed: Session) -> None:
    expected = reference(mixed)
    with fake_playing(mixed) as (player, stream):
        pull(player, stream, 40_000)
        player.click()
        clicked = pull(player, stream, 4096)
        player.stop()
    extra = clicked - expected[40_000 : 40_000 + 4096]
    length = ms_to_samples(40)
    assert np.max(np.abs(extra[:length])) > 0.05 and not extra[length + 10 :].any()
    assert np.max(np.abs(extra)) <= 0.13, "soft"
