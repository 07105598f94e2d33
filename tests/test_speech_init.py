"""The speech package's front door: its names, and that it stays light to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import coreg_audio.speech as speech
from coreg_audio.speech import cache, engine, speaker


def test_every_exported_name_resolves_to_its_home() -> None:
    for name in speech.__all__:
        assert getattr(speech, name) is not None
    assert speech.Speaker is speaker.Speaker
    assert speech.voices is speaker.voices
    assert speech.ENGINES is speaker.ENGINES
    assert speech.VoiceNotFound is engine.VoiceNotFound
    assert speech.clear_cache is cache.clear_cache


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = speech.no_such_name


@pytest.mark.parametrize("module", ["coreg_audio.speech", "coreg_audio.speech.pyttsx3_worker"])
def test_the_worker_side_imports_no_numpy_scipy_or_pydub(module: str) -> None:
    """The pyttsx3 worker imports these; loading scipy there would slow every cold render."""
    code = (
        f"import sys, {module}\n"
        "heavy = [m for m in ('numpy', 'scipy', 'pydub') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
