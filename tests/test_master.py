"""Mastering shared by render and play: the gain measured once per mix, then the limiter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coreg_audio.audio import mix
from coreg_audio.audio.limiter import TruePeakLimiter
from coreg_audio.audio.loudness import LoudnessMeter
from coreg_audio.audio.master import (
    LOUDNESS_TOLERANCE_LU,
    PEAK_MARGIN_DB,
    MasterChain,
    Mastering,
    master_gain_db,
    mastered_blocks,
    mix_levels,
)
from coreg_audio.cache import CACHE_DIR_ENV, ArrayStore
from coreg_audio.practice import build_timeline, load
from coreg_audio.speech import Speaker
from coreg_audio.speech.voice import VoiceSettings
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.units import db_to_gain

from .conftest import FakeSpeech, script_from


def test_the_chain_is_the_gain_then_the_limiter() -> None:
    rng = np.random.default_rng(3)
    blocks = [(0.5 * rng.standard_normal((n, 2))).astype(np.float32) for n in (5000, 16384, 7)]
    chain = MasterChain(6.0, -1.0, 44100)
    limiter = TruePeakLimiter(ceiling_dbtp=-1.0, sample_rate_hz=44100)
    gain = np.float32(db_to_gain(6.0))
    for block in blocks:
        np.testing.assert_array_equal(chain.process(block), limiter.process(block * gain))
    np.testing.assert_array_equal(chain.flush(), limiter.flush())


class QuietClips(FakeSpeech):
    def clip(self, text: str, voice: VoiceSettings) -> np.ndarray:
        return np.zeros(self.length_samples(text, voice), np.float32)


def test_the_mastered_track_is_as_long_as_the_timeline_and_reports_progress() -> None:
    speech = QuietClips()
    timeline = compile_timeline(
        script_from("title: T\nambience: rain\nsteps:\n  - breathe: {cycles: 1}\n"), speech
    )
    mixer = mix.Mixer(timeline, speech, 1)
    calls: list[tuple[str, int, int]] = []
    blocks = list(mastered_blocks(mixer, -3.0, -1.0, lambda *call: calls.append(call)))
    assert sum(block.shape[0] for block in blocks) == timeline.duration_samples
    assert calls[-1] == ("write", timeline.duration_samples, timeline.duration_samples)


def no_mixing(self: mix.Mixer, start: int, length: int) -> np.ndarray:
    raise AssertionError("the cached levels need no mixing")


def test_the_mix_is_measured_once_whatever_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    script = tmp_path / "gain.yaml"
    script.write_text("title: Gain\nambience: rain\nsteps:\n  - breathe: {cycles: 2}\n")
    soft, softer = Mastering(target_lufs=-30.0), Mastering(target_lufs=-32.0)
    with Speaker() as voice:
        timeline = build_timeline(load(str(script)), voice)
        levels, _ = mix_levels(mix.Mixer(timeline, voice, 1))
        first = master_gain_db(mix.Mixer(timeline, voice, 1), soft)
        assert levels.over_ceiling_db(first, soft.ceiling_dbtp) < -PEAK_MARGIN_DB  # idle limiter

        monkeypatch.setattr(mix.Mixer, "block", no_mixing)
        assert master_gain_db(mix.Mixer(timeline, voice, 1), soft) == first
        quieter = master_gain_db(mix.Mixer(timeline, voice, 1), softer)
        assert quieter == pytest.approx(first - 2.0, abs=1e-9)
        with pytest.raises(AssertionError, match="no mixing"):
            master_gain_db(mix.Mixer(timeline, voice, 5), soft)


@pytest.mark.parametrize(
    "stored",
    [np.array([np.nan, 0.5]), np.array([1e300]), np.array([-20.0, 0.5, 1e300, -1.0, -16.0])],
)
def test_damaged_levels_are_measured_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stored: np.ndarray
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    speech = QuietClips()
    timeline = compile_timeline(
        script_from("title: T\nambience: rain\nsteps:\n  - pause: 3\n"), speech
    )
    first = master_gain_db(mix.Mixer(timeline, speech, 1), Mastering())
    (entry,) = (tmp_path / "cache" / "gains").rglob("*.npy")
    kept = ArrayStore(entry.parent.parent).get(entry.stem)
    assert kept is not None
    ArrayStore(entry.parent.parent).put(entry.stem, stored)
    assert master_gain_db(mix.Mixer(timeline, speech, 1), Mastering()) == first
    again = ArrayStore(entry.parent.parent).get(entry.stem)
    assert again is not None and again.tolist() == kept.tolist()


class LoudClicks(FakeSpeech):
    """Each clip a soft tone with a click every half second: peaks far above its loudness."""

    def clip(self, text: str, voice: VoiceSettings) -> np.ndarray:
        length = self.length_samples(text, voice)
        samples = 0.1 * np.sin(2 * np.pi * 440 * np.arange(length) / 44100)
        samples[::22050] += 0.8
        return samples.astype(np.float32)


def limited_lufs(mixer: mix.Mixer, gain_db: float, ceiling_dbtp: float) -> float:
    meter = LoudnessMeter()
    for block in mastered_blocks(mixer, gain_db, ceiling_dbtp):
        meter.add(block)
    return meter.integrated_lufs()


def test_the_mix_is_measured_once_and_each_target_limited_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    speech = LoudClicks()
    timeline = compile_timeline(
        script_from("title: T\nsteps:\n  - say: Welcome to a practice of clicks.\n"), speech
    )
    calls: list[tuple[str, int, int]] = []
    mp3 = Mastering(target_lufs=-15.6)
    for_mp3 = master_gain_db(mix.Mixer(timeline, speech, 1), mp3, lambda *c: calls.append(c))
    assert {stage for stage, _, _ in calls} == {"measure", "adjust"}
    assert calls[-1] == ("adjust", timeline.duration_samples, timeline.duration_samples)
    ceiling = mp3.ceiling_dbtp
    assert limited_lufs(mix.Mixer(timeline, speech, 1), for_mp3, ceiling) == pytest.approx(
        -15.6, abs=LOUDNESS_TOLERANCE_LU
    )

    live = mix.Mixer(timeline, speech, 1)
    with monkeypatch.context() as patched:
        patched.setattr(mix.Mixer, "block", no_mixing)
        assert master_gain_db(live, mp3) == for_mp3
    passes: list[tuple[str, int, int]] = []
    for_play = master_gain_db(live, Mastering(), lambda *call: passes.append(call))
    assert {stage for stage, _, _ in passes} == {"adjust"}  # the mix itself is not measured again
    assert limited_lufs(live, for_play, ceiling) == pytest.approx(-16.0, abs=LOUDNESS_TOLERANCE_LU)
    with monkeypatch.context() as patched:
        patched.setattr(mix.Mixer, "block", no_mixing)
        assert master_gain_db(mix.Mixer(timeline, speech, 1), Mastering()) == for_play
