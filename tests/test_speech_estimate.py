"""Estimated speech lengths: close to what the real engines make, per clip and per practice."""

from __future__ import annotations

from pathlib import Path

import pytest

from coreg_audio.format.overrides import Overrides
from coreg_audio.library import resolve
from coreg_audio.practice import build_timeline, listed_timeline, load_found
from coreg_audio.speech import Speaker
from coreg_audio.speech.estimate import estimated_length_samples
from coreg_audio.speech.voice import VoiceSettings
from coreg_audio.timeline.compile import spoken_requests


def test_longer_words_and_slower_voices_last_longer() -> None:
    voice = VoiceSettings(engine="espeak", rate_wpm=150)
    short = estimated_length_samples("Breathe in.", voice)
    long = estimated_length_samples("Breathe in, slowly, through the nose.", voice)
    assert 0 < short < long
    assert estimated_length_samples("Breathe in.", voice.faster(300)) == pytest.approx(
        short / 2, rel=0.01
    )


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_a_practice_estimated_without_speech_is_within_5_percent_of_its_real_length(
    engine: str, tmp_path: Path
) -> None:
    script = load_found(resolve("arriving"), Overrides(engine=engine))
    with Speaker(tmp_path / "empty") as voice:
        estimated, was_estimated = listed_timeline(script, voice)
        assert was_estimated
        exact = build_timeline(script, voice)
        again, still_estimated = listed_timeline(script, voice)
        clips = [
            (estimated_length_samples(text, voice.concrete(settings)), voice.clip(text, settings))
            for text, settings in spoken_requests(script)
        ]
    assert not still_estimated and again.duration_samples == exact.duration_samples
    ratio = estimated.duration_samples / exact.duration_samples
    assert abs(ratio - 1) <= 0.05, ratio
    spoken = sum(clip.shape[0] for _, clip in clips)
    guessed = sum(length for length, _ in clips)
    assert abs(guessed / spoken - 1) <= 0.15, (guessed, spoken)
