"""Mastering shared by render and play: the gain measured once per mix, then the limiter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coreg_audio.audio import mix
from coreg_audio.audio.limiter import TruePeakLimiter
from coreg_audio.audio.master import MasterChain, Mastering, master_gain_db, mastered_blocks
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


def test_the_gain_is_measured_once_per_mix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    script = tmp_path / "gain.yaml"
    script.write_text("title: Gain\nambience: rain\nsteps:\n  - breathe: {cycles: 2}\n")
    with Speaker() as voice:
        timeline = build_timeline(load(str(script)), voice)
        first = master_gain_db(mix.Mixer(timeline, voice, 1), Mastering())

        def no_mixing(self: mix.Mixer, start: int, length: int) -> np.ndarray:
            raise AssertionError("the cached gain needs no mixing")

        monkeypatch.setattr(mix.Mixer, "block", no_mixing)
        assert master_gain_db(mix.Mixer(timeline, voice, 1), Mastering()) == first
        with pytest.raises(AssertionError, match="no mixing"):
            master_gain_db(mix.Mixer(timeline, voice, 5), Mastering())
        with pytest.raises(AssertionError, match="no mixing"):
            master_gain_db(mix.Mixer(timeline, voice, 1), Mastering(target_lufs=-18.0))


@pytest.mark.parametrize("stored", [np.array([np.nan]), np.array([1e300]), np.array([1.0, 2.0])])
def test_a_damaged_gain_is_measured_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stored: np.ndarray
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    speech = QuietClips()
    timeline = compile_timeline(
        script_from("title: T\nambience: rain\nsteps:\n  - pause: 3\n"), speech
    )
    first = master_gain_db(mix.Mixer(timeline, speech, 1), Mastering())
    (entry,) = (tmp_path / "cache" / "gains").rglob("*.npy")
    ArrayStore(entry.parent.parent).put(entry.stem, stored)
    assert master_gain_db(mix.Mixer(timeline, speech, 1), Mastering()) == first
    again = ArrayStore(entry.parent.parent).get(entry.stem)
    assert again is not None and again.tolist() == [first]
