"""The stream's count of samples as the clock of live playback."""

from __future__ import annotations

from coreg_audio.live.sample_clock import SampleClock


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
