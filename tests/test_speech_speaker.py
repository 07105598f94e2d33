"""The Speaker: cache hits and misses with a counting fake engine, then both real engines."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.audio.loudness import SPEECH_REFERENCE_LUFS, clip_loudness_lufs
from coreg_audio.errors import MissingComponent
from coreg_audio.speech import ENGINES, Speaker, voices
from coreg_audio.speech.cache import ClipCache, clip_key
from coreg_audio.speech.choice import concrete
from coreg_audio.speech.clips import FADE_OUT_MS, even_out, to_output_rate, trimmed
from coreg_audio.speech.engine import (
    EngineAudio,
    SilentSpeech,
    SpeechEngine,
    UnknownEngine,
    VoiceInfo,
    VoiceNotFound,
    resolve_voice,
)
from coreg_audio.speech.speaker import create_engine
from coreg_audio.speech.voice import ENGINE_NAMES, VoiceSettings
from coreg_audio.units import SAMPLE_RATE_HZ, db_to_gain, ms_to_samples

FAKE_RATE_HZ = 22050


class FakeEngine:
    """Speaks a tone burst whose length follows the text and the rate; counts its calls."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.calls: list[tuple[str, VoiceSettings]] = []
        self.closed = 0
        self.failure: Exception | None = None

    @property
    def name(self) -> str:
        return self._name

    def version(self) -> str:
        return f"{self._name} 1.0"

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("fake/calm", "Calm", ("en-us", "en"), "female", (1, 1))]

    def synthesize(self, text: str, voice: VoiceSettings) -> EngineAudio:
        self.calls.append((text, voice))
        if self.failure is not None:
            raise self.failure
        resolve_voice(self.voices(), voice)
        if text.strip(".") == "":
            return EngineAudio(np.zeros(FAKE_RATE_HZ // 2, dtype=np.float32), FAKE_RATE_HZ)
        seconds = (0.15 + 0.06 * len(text)) * 140 / voice.rate_wpm
        t = np.arange(round(seconds * FAKE_RATE_HZ)) / FAKE_RATE_HZ
        speech = 0.3 * np.sin(2 * np.pi * 180 * t)
        padded = np.concatenate([np.zeros(2000), speech, np.zeros(5000)])
        return EngineAudio(padded.astype(np.float32), FAKE_RATE_HZ)

    def close(self) -> None:
        self.closed += 1


class FakeEngines:
    def __init__(self) -> None:
        self.made: dict[str, FakeEngine] = {}

    def __call__(self, name: str) -> SpeechEngine:
        if name not in ENGINE_NAMES:
            raise UnknownEngine(f"unknown speech engine {name!r}")
        return self.made.setdefault(name, FakeEngine(name))

    def calls(self) -> int:
        return sum(len(engine.calls) for engine in self.made.values())


VOICE = VoiceSettings(engine="pyttsx3")


@pytest.fixture
def fakes() -> FakeEngines:
    return FakeEngines()


@pytest.fixture
def speaker(tmp_path: Path, fakes: FakeEngines) -> Iterator[Speaker]:
    with Speaker(tmp_path, engine_factory=fakes) as made:
        yield made


def test_a_clip_is_made_once_then_comes_from_memory(speaker: Speaker, fakes: FakeEngines) -> None:
    first = speaker.clip("In", VOICE)
    second = speaker.clip("In", VOICE)
    assert fakes.calls() == 1
    assert second is first
    assert first.dtype == np.float32 and first.ndim == 1
    assert not first.flags.writeable, "clips are shared, so nobody may change one"


def test_a_clip_comes_from_disk_in_a_later_run(tmp_path: Path, fakes: FakeEngines) -> None:
    with Speaker(tmp_path, engine_factory=fakes) as first_run:
        made = first_run.clip("Breathe in", VOICE).copy()
    later = FakeEngines()
    with Speaker(tmp_path, engine_factory=later) as second_run:
        again = second_run.clip("Breathe in", VOICE)
        second_run.prepare([("Breathe in", VOICE)])
    assert later.calls() == 0, "the engine is not asked a second time"
    assert np.array_equal(again, made)


def test_the_cache_key_holds_every_voice_field(speaker: Speaker, fakes: FakeEngines) -> None:
    for voice in (
        VOICE,
        replace(VOICE, rate_wpm=150),
        replace(VOICE, pitch=60),
        replace(VOICE, name="fake/calm"),
        replace(VOICE, language="en-us"),
        replace(VOICE, engine="espeak"),
    ):
        speaker.clip("In", voice)
    assert fakes.calls() == 6


def test_prepare_synthesizes_each_missing_item_once_and_reports_progress(
    speaker: Speaker, fakes: FakeEngines
) -> None:
    speaker.clip("In", VOICE)
    reports: list[tuple[int, int]] = []
    items = [("In", VOICE), ("Out", VOICE), ("2", VOICE), ("Out", VOICE), ("3", VOICE)]
    speaker.prepare(items, lambda done, total: reports.append((done, total)))
    assert reports == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert sorted(text for text, _ in fakes.made["pyttsx3"].calls) == ["2", "3", "In", "Out"]
    for text, voice in items:
        speaker.clip(text, voice)
    assert fakes.calls() == 4
    reports.clear()
    speaker.prepare(items, lambda done, total: reports.append((done, total)))
    assert reports == [(0, 0)]


def test_item_problems_wait_for_their_own_clip(speaker: Speaker, fakes: FakeEngines) -> None:
    bogus = replace(VOICE, name="nobody")
    items = [("In", VOICE), ("In", bogus), ("...", VOICE), ("Out", replace(VOICE, engine="x"))]
    speaker.prepare(items)
    assert speaker.clip("In", VOICE).size > 0
    with pytest.raises(VoiceNotFound) as not_found:
        speaker.clip("In", bogus)
    assert not_found.value.voice == bogus
    with pytest.raises(SilentSpeech) as silent:
        speaker.clip("...", VOICE)
    assert silent.value.text == "..." and "made no sound" in str(silent.value)
    with pytest.raises(VoiceNotFound, match="unknown speech engine 'x'"):
        speaker.clip("Out", replace(VOICE, engine="x"))
    calls = fakes.calls()
    with pytest.raises(VoiceNotFound):
        speaker.clip("In", bogus)
    assert fakes.calls() == calls, "a known problem is not asked again"


def test_empty_text_is_silent_speech_without_asking_the_engine(
    speaker: Speaker, fakes: FakeEngines
) -> None:
    for text in ("", "   "):
        with pytest.raises(SilentSpeech, match="nothing to speak"):
            speaker.clip(text, VOICE)
    assert fakes.calls() == 0


def test_a_machine_problem_is_raised_at_once(speaker: Speaker, fakes: FakeEngines) -> None:
    engine = fakes("pyttsx3")
    assert isinstance(engine, FakeEngine)
    engine.failure = MissingComponent("no engine here")
    with pytest.raises(MissingComponent):
        speaker.prepare([("In", VOICE)])


def test_a_damaged_cache_entry_is_made_again(tmp_path: Path, fakes: FakeEngines) -> None:
    with Speaker(tmp_path, engine_factory=fakes) as speaker:
        made = speaker.clip("In", VOICE).copy()
    path = ClipCache(tmp_path).path(clip_key("In", VOICE, "pyttsx3 1.0"))
    path.write_bytes(path.read_bytes()[:100])
    again = FakeEngines()
    with Speaker(tmp_path, engine_factory=again) as speaker:
        assert np.array_equal(speaker.clip("In", VOICE), made)
    assert again.calls() == 1
    assert ClipCache(tmp_path).get(clip_key("In", VOICE, "pyttsx3 1.0")) is not None


def test_an_unwritable_cache_still_speaks(
    tmp_path: Path, fakes: FakeEngines, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING), Speaker(blocker, engine_factory=fakes) as speaker:
        speaker.prepare([("In", VOICE), ("Out", VOICE)])
        assert speaker.clip("In", VOICE).size > 0
        assert speaker.clip("Out", VOICE).size > 0
    assert fakes.calls() == 2
    assert len(caplog.records) == 1


def test_close_closes_every_engine(tmp_path: Path, fakes: FakeEngines) -> None:
    with Speaker(tmp_path, engine_factory=fakes) as speaker:
        speaker.clip("In", VOICE)
        speaker.clip("In", replace(VOICE, engine="espeak"))
    assert {name: engine.closed for name, engine in fakes.made.items()} == {
        "pyttsx3": 1,
        "espeak": 1,
    }
    assert speaker.clip("In", VOICE).size > 0, "clips already made are still served"


def test_auto_is_spoken_by_the_engine_it_stands_for(speaker: Speaker, fakes: FakeEngines) -> None:
    auto = VoiceSettings(rate_wpm=130)
    with pytest.raises(VoiceNotFound, match="no piper voice 'en_US-joe-medium'"):
        speaker.clip("In", auto)  # the fake engine has no Piper voice: it says which it was asked
    assert list(fakes.made) == ["piper"]
    assert fakes.made["piper"].calls == [("In", concrete(auto))]


def test_a_batch_runs_on_one_engine_per_core(tmp_path: Path) -> None:
    made: list[FakeEngine] = []

    def factory(name: str) -> SpeechEngine:
        made.append(FakeEngine(name))
        return made[-1]

    items = [(f"Number {i}", VOICE) for i in range(8)]
    with Speaker(tmp_path, engine_factory=factory) as speaker:
        speaker.prepare(items)
        assert [engine.closed for engine in made] == [0] + [1] * (len(made) - 1)
    assert len(made) == min(os.cpu_count() or 1, len(items))
    assert sum(len(engine.calls) for engine in made) == len(items)
    assert all(engine.closed == 1 for engine in made)


def test_engines_are_the_ones_scripts_may_name() -> None:
    assert ENGINES == ENGINE_NAMES == ("auto", "piper", "pyttsx3", "espeak")
    for not_an_engine in ("festival", "auto"):
        with pytest.raises(UnknownEngine):
            create_engine(not_an_engine)
    with pytest.raises(UnknownEngine):
        voices("festival")


# The real engines.

WORDS = ["In", "Out", "2", "7"]
SENTENCE = "Sit facing each other, or side by side, wherever feels right for you both."


@pytest.fixture(params=[engine for engine in ENGINES if engine != "auto"])
def engine_voice(request: pytest.FixtureRequest) -> VoiceSettings:
    """Each real engine (auto is one of them, made concrete: see test_speech_choice)."""
    return concrete(VoiceSettings(engine=request.param))


def onset_ms(clip: np.ndarray) -> float:
    magnitude = np.abs(clip)
    return float(np.argmax(magnitude > magnitude.max() * db_to_gain(-40.0))) * 1000 / SAMPLE_RATE_HZ


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


@pytest.mark.slow
def test_real_engines_make_finished_clips(tmp_path: Path, engine_voice: VoiceSettings) -> None:
    with Speaker(tmp_path) as speaker:
        speaker.prepare([(text, engine_voice) for text in [*WORDS, SENTENCE]])
        raw_engine = create_engine(engine_voice.engine)
        try:
            for text in [*WORDS, SENTENCE]:
                clip = speaker.clip(text, engine_voice)
                seconds = clip.size / SAMPLE_RATE_HZ
                if text in WORDS:
                    assert 0.15 <= seconds <= 0.8, (text, seconds)
                else:
                    assert 3.0 <= seconds <= 8.0, seconds
                assert onset_ms(clip) <= 2.0, text
                assert clip_loudness_lufs(clip) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.5)
                fade = ms_to_samples(FADE_OUT_MS)
                assert abs(float(clip[-1])) < 1e-3
                before_fade = clip[-fade - ms_to_samples(50) : -fade]
                assert rms(before_fade) > 10 * rms(clip) * db_to_gain(-60.0), "it ends in speech"
                # Nothing audible was cut: the trimmed speech holds all of the engine's
                # energy, and the clip is that speech evened out.
                raw = raw_engine.synthesize(text, engine_voice)
                full = to_output_rate(raw.samples, raw.sample_rate_hz)
                cut = trimmed(raw.samples, raw.sample_rate_hz)
                assert np.sum(cut**2) == pytest.approx(np.sum(full**2), rel=1e-5), text
                np.testing.assert_array_equal(clip, even_out(cut).astype(np.float32))
        finally:
            raw_engine.close()


@pytest.mark.slow
def test_a_higher_rate_gives_a_shorter_clip(tmp_path: Path, engine_voice: VoiceSettings) -> None:
    with Speaker(tmp_path) as speaker:
        normal = speaker.clip("Together in", engine_voice).size
        faster = speaker.clip("Together in", engine_voice.faster(175)).size
    assert faster < 0.9 * normal


def test_real_silence_is_silent_speech(tmp_path: Path, engine_voice: VoiceSettings) -> None:
    with Speaker(tmp_path) as speaker, pytest.raises(SilentSpeech):
        speaker.clip("...", engine_voice)


def test_a_bogus_voice_of_a_real_engine(tmp_path: Path, engine_voice: VoiceSettings) -> None:
    bogus = "en_US-joe-medum" if engine_voice.engine == "piper" else "en-uss"
    with Speaker(tmp_path) as speaker, pytest.raises(VoiceNotFound, match="close matches"):
        speaker.clip("In", replace(engine_voice, name=bogus))


@pytest.mark.slow
def test_pyttsx3_clips_do_not_depend_on_batch_order(tmp_path: Path) -> None:
    """Renders on two machines (or before and after clearing the cache) agree exactly."""
    texts = ["In", "Out", "Hold", "2", "3", "Together in"]
    clips = []
    for order, folder in ((texts, "a"), (texts[::-1], "b")):
        with Speaker(tmp_path / folder) as speaker:
            speaker.prepare([(text, VOICE) for text in order])
            clips.append({text: speaker.clip(text, VOICE) for text in texts})
    for text in texts:
        assert np.array_equal(clips[0][text], clips[1][text]), text


def test_a_warm_cache_never_starts_an_engine(tmp_path: Path) -> None:
    made: list[SpeechEngine] = []

    def recording(name: str) -> SpeechEngine:
        engine = create_engine(name)
        made.append(engine)
        return engine

    with Speaker(tmp_path) as speaker:
        first = speaker.clip("Out", VOICE).copy()
    with Speaker(tmp_path, engine_factory=recording) as speaker:
        again = speaker.clip("Out", VOICE)
        assert all(getattr(engine, "worker_pid", None) is None for engine in made)
    assert np.array_equal(again, first)


def test_voices_lists_real_voices_variants_last() -> None:
    listed = voices("espeak")
    ids = [v.id for v in listed]
    assert "gmw/en-US" in ids
    kinds = [v.is_variant for v in listed]
    assert kinds == sorted(kinds)
    assert voices("pyttsx3") == listed, "both engines read the same espeak-ng voices alike"
