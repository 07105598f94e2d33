"""The mixer: sample-exact placement, random access, ducking and fades."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coreg_audio.audio.mix import BLOCK_SAMPLES, Mixer
from coreg_audio.speech.voice import VoiceSettings
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.units import SAMPLE_RATE_HZ, seconds_to_samples

from .conftest import FakeSpeech, script_from


class ClickClips(FakeSpeech):
    """A clip that is silent but for a unit impulse at its first sample: placement is visible."""

    def clip(self, text: str, voice: VoiceSettings) -> np.ndarray:
        clip = np.zeros(self.length_samples(text, voice), dtype=np.float32)
        clip[0] = 1.0
        return clip


class ToneClips(FakeSpeech):
    """A steady 300 Hz clip, standing in for speech loud enough to duck under."""

    def clip(self, text: str, voice: VoiceSettings) -> np.ndarray:
        length = self.length_samples(text, voice)
        t = np.arange(length) / SAMPLE_RATE_HZ
        return (0.1 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def mixer_for(text: str, clips: FakeSpeech, seed: int = 1) -> Mixer:
    timeline = compile_timeline(script_from(text), clips)
    return Mixer(timeline, clips, seed)  # type: ignore[arg-type]


SPOKEN = """
title: T
lead: 0.3
tail: 0.5
tones: none
steps:
  - say: One
  - say: Two words
    after: 0.37
  - breathe: {cycles: 2, pattern: 2-3, count: true}
"""


def test_spoken_items_land_on_their_sample() -> None:
    clips = ClickClips()
    mixer = mixer_for(SPOKEN, clips)
    track = np.concatenate([block for _, block in mixer.blocks(block_samples=10_000)])
    assert track.shape == (mixer.length_samples, 2)
    impulses = np.flatnonzero(track[:, 0] > 0.5)
    expected = [e.start_samples for e in mixer.timeline.events if e.spoken]
    assert impulses.tolist() == expected
    assert np.allclose(track[impulses, 0], np.sqrt(0.5))
    assert np.allclose(track[:, 0], track[:, 1])


AMBIENT = """
title: T
lead: 2
tail: 2
ambience: {sound: pink-noise, level: -10, duck: 12}
steps:
  - pause: 4
  - say: A sentence long enough to duck the ambience under it.
  - pause: 4
  - rock: {cycles: 2, period: 4}
  - bell: 1
"""


@functools.cache
def ambient_mixer() -> Mixer:
    return mixer_for(AMBIENT, ToneClips())


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 25 * SAMPLE_RATE_HZ),
    st.integers(1, 3 * SAMPLE_RATE_HZ),
    st.integers(0, 2 * SAMPLE_RATE_HZ),
)
def test_any_block_equals_the_same_span_of_any_other(start: int, length: int, shift: int) -> None:
    mixer = ambient_mixer()
    wide = mixer.block(start, length + shift)
    narrow = mixer.block(start + shift, length)
    overlap = wide[shift:]
    np.testing.assert_array_equal(narrow[: overlap.shape[0]], overlap)


def test_same_seed_same_samples_other_seed_other_ambience() -> None:
    one = mixer_for(AMBIENT, ToneClips(), seed=1).block(SAMPLE_RATE_HZ * 3, 4096)
    again = mixer_for(AMBIENT, ToneClips(), seed=1).block(SAMPLE_RATE_HZ * 3, 4096)
    other = mixer_for(AMBIENT, ToneClips(), seed=2).block(SAMPLE_RATE_HZ * 3, 4096)
    np.testing.assert_array_equal(one, again)
    assert not np.allclose(one, other)


def rms_db(block: np.ndarray) -> float:
    power = float(np.mean(block.astype(np.float64) ** 2))
    return 10 * float(np.log10(max(power, 1e-30)))


def test_ambience_fades_in_and_out_and_ducks_under_speech() -> None:
    clips = ToneClips()
    mixer = mixer_for(AMBIENT, clips)
    speech = next(e for e in mixer.timeline.events if e.kind == "speech")
    silent_clips = FakeSpeech()
    quiet = Mixer(mixer.timeline, _Silence(silent_clips), 1)
    first = quiet.block(0, 50)
    assert np.max(np.abs(first)) < 1e-4
    end = quiet.block(quiet.length_samples - 50, 50)
    assert np.max(np.abs(end)) < 1e-4
    before = quiet.block(speech.start_samples - seconds_to_samples(1.5), 20_000)
    during = quiet.block(speech.start_samples + 10_000, 20_000)
    assert rms_db(before) - rms_db(during) == pytest.approx(12, abs=0.7)


class _Silence:
    def __init__(self, speech: FakeSpeech) -> None:
        self._speech = speech

    def clip(self, text: str, voice: VoiceSettings) -> np.ndarray:
        return np.zeros(self._speech.length_samples(text, voice), dtype=np.float32)


def test_beats_pan_left_then_right() -> None:
    mixer = mixer_for(
        "title: T\nlead: 0\nsteps:\n  - rock: {cycles: 1, guide: 0, pan: 1}\n", ClickClips()
    )
    left_beat, right_beat = (e for e in mixer.timeline.events if e.kind == "beat")
    left = mixer.block(left_beat.start_samples, left_beat.length_samples)
    right = mixer.block(right_beat.start_samples, right_beat.length_samples)
    assert rms_db(left[:, 0]) - rms_db(left[:, 1]) > 40
    assert rms_db(right[:, 1]) - rms_db(right[:, 0]) > 40


def test_tones_and_bells_sound_only_in_their_events() -> None:
    mixer = mixer_for(
        "title: T\nlead: 1\ntail: 1\nsteps:\n  - breathe: {cycles: 1, guide: 0}\n"
        "  - pause: 1\n  - bell: {ring: 3}\n",
        ClickClips(),
    )
    track = np.concatenate([b for _, b in mixer.blocks()])
    tone_start = seconds_to_samples(1)
    assert np.max(np.abs(track[:tone_start])) == 0
    assert np.max(np.abs(track[tone_start : tone_start + SAMPLE_RATE_HZ])) > 0.01
    gap = track[seconds_to_samples(11) : seconds_to_samples(12)]
    assert np.max(np.abs(gap)) == 0
    assert np.max(np.abs(track[seconds_to_samples(12) : seconds_to_samples(13)])) > 0.01


def test_default_blocks_cover_the_track_once() -> None:
    mixer = mixer_for("title: T\nsteps:\n  - pause: 9\n", ClickClips())
    spans = [(position, block.shape[0]) for position, block in mixer.blocks()]
    assert spans[0] == (0, BLOCK_SAMPLES)
    assert sum(length for _, length in spans) == mixer.length_samples


def test_fingerprint_follows_what_decides_the_samples() -> None:
    clips = ToneClips()
    base = mixer_for(AMBIENT, clips).fingerprint()
    assert mixer_for(AMBIENT, clips).fingerprint() == base
    assert mixer_for(AMBIENT, clips, seed=2).fingerprint() != base
    assert mixer_for(AMBIENT.replace("level: -10", "level: -11"), clips).fingerprint() != base
    assert mixer_for(AMBIENT.replace("pause: 4", "pause: 5", 1), clips).fingerprint() != base

    class LouderClips(ToneClips):
        def clip(self, text: str, voice: VoiceSettings) -> np.ndarray:
            return super().clip(text, voice) * np.float32(1.01)

    assert mixer_for(AMBIENT, LouderClips()).fingerprint() != base
