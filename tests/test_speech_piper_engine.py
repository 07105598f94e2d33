"""The Piper engine with the real voice: its worker, its pace, and clips that repeat exactly."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.errors import MissingComponent
from coreg_audio.speech import Speaker, piper_voices
from coreg_audio.speech.choice import concrete
from coreg_audio.speech.engine import VoiceNotFound
from coreg_audio.speech.piper_engine import NATURAL_RATE_WPM, PiperEngine, length_scale
from coreg_audio.speech.voice import VoiceSettings

from .conftest import REPO

VOICE = concrete(VoiceSettings(engine="piper", rate_wpm=130))
TEXTS = ["In", "Out", "Hold", "2", "3", "Together in", "Sit facing each other."]


@pytest.fixture
def engine() -> PiperEngine:
    return PiperEngine()


def test_version_and_voices_need_no_worker(engine: PiperEngine) -> None:
    assert engine.version().startswith("piper-tts 1.")
    assert "onnxruntime" in engine.version()
    assert [v.id for v in engine.voices()] == ["en_US-joe-medium"]
    assert engine.worker_pid is None


def test_rate_is_the_voices_speed(engine: PiperEngine) -> None:
    joe = engine.voice_file(VOICE)
    assert length_scale(joe, NATURAL_RATE_WPM) == pytest.approx(1.0)
    assert length_scale(joe, 130) == pytest.approx(185 / 130)
    try:
        normal = engine.synthesize("Together in", VOICE).samples.size
        faster = engine.synthesize("Together in", replace(VOICE, rate_wpm=162)).samples.size
    finally:
        engine.close()
    assert faster < 0.9 * normal


def test_the_same_text_is_the_same_speech_and_close_ends_the_worker(
    engine: PiperEngine,
) -> None:
    try:
        raw = engine.synthesize("Find the tone again.", VOICE)
        again = engine.synthesize("Find the tone again.", VOICE)
        pid = engine.worker_pid
    finally:
        engine.close()
    np.testing.assert_array_equal(again.samples, raw.samples)
    assert raw.sample_rate_hz == 22050
    assert pid is not None and not Path(f"/proc/{pid}").exists(), "close ends the worker"


def test_voices_it_lacks(engine: PiperEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(VoiceNotFound, match="close matches: en_US-joe-medium"):
        engine.synthesize("In", replace(VOICE, name="en_US-joe-medum"))
    with pytest.raises(VoiceNotFound, match="no piper voice speaks language 'de'"):
        engine.synthesize("In", VoiceSettings(engine="piper", language="de"))
    monkeypatch.setattr(piper_voices, "ENGINE_MODULES", ("piper", "not_installed_here"))
    with pytest.raises(MissingComponent, match=r"pip install 'coreg-audio\[voice\]'"):
        engine.version()
    assert engine.worker_pid is None


@pytest.mark.slow
def test_clips_do_not_depend_on_batch_order_or_process(tmp_path: Path) -> None:
    """Renders on two machines (or before and after clearing the cache) agree exactly."""
    clips = []
    for order, folder in ((TEXTS, "a"), (TEXTS[::-1], "b")):
        with Speaker(tmp_path / folder) as speaker:
            speaker.prepare([(text, VOICE) for text in order])
            clips.append({text: speaker.clip(text, VOICE) for text in TEXTS})
    for text in TEXTS:
        assert np.array_equal(clips[0][text], clips[1][text]), text


@pytest.mark.slow
def test_a_batch_speaks_on_one_worker_per_core_never_in_this_process(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from coreg_audio.speech import Speaker
        from coreg_audio.speech.piper_engine import PiperEngine
        from coreg_audio.speech.choice import concrete
        from coreg_audio.speech.voice import VoiceSettings
        made = []
        def factory(name):
            engine = PiperEngine()
            made.append(engine)
            return engine
        voice = concrete(VoiceSettings(engine="piper"))
        with Speaker(Path({str(tmp_path)!r}), engine_factory=factory) as speaker:
            speaker.prepare([(f"Number {{i}}", voice) for i in range(6)])
            alive = [e.worker_pid for e in made if e.worker_pid is not None]
        print(len(made), len(alive), "onnxruntime" in sys.modules, "piper" in sys.modules)
    """)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    made, alive, onnx_here, piper_here = done.stdout.split()
    cores = __import__("os").cpu_count() or 1
    assert int(made) == min(cores, 6)
    assert int(alive) == 1, "the extra workers stop after the batch; one stays for the compiler"
    assert onnx_here == piper_here == "False", "the model is never loaded in the caller"
