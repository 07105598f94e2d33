"""The espeak-ng program as an engine, run for real."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.errors import MissingComponent, RenderFailed
from coreg_audio.speech.engine import VoiceNotFound
from coreg_audio.speech.espeak_engine import EspeakEngine, parse_voice_list
from coreg_audio.speech.voice import VoiceSettings

VOICE = VoiceSettings(engine="espeak")

LISTING = """\
Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  af              --/M      Afrikaans          gmw/af
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  cmn             --/M      Chinese_(Mandarin) sit/cmn              (zh-cmn 5)(zh 5)
 5  variant         --/F      Alicia             !v/Alicia
 5  variant         --/M      Mr_Serious         !v/Mr serious
"""


def test_parse_voice_list() -> None:
    voices = parse_voice_list(LISTING)
    ids = ["gmw/af", "gmw/en-US", "sit/cmn", "!v/Alicia", "!v/Mr serious"]
    assert [v.id for v in voices] == ids
    us = voices[1]
    assert us.name == "English (America)"
    assert us.languages == ("en-us", "en") and us.priorities == (2, 3)
    assert us.gender == "male"
    assert voices[2].languages == ("cmn", "zh-cmn", "zh")
    assert voices[3].is_variant and voices[3].gender == "female"
    assert voices[4].name == "Mr Serious" and voices[4].languages == ("variant",)


def test_version_names_the_program_and_its_version() -> None:
    version = EspeakEngine().version()
    assert version.startswith("espeak-ng ")
    assert any(ch.isdigit() for ch in version)


def test_voices_lists_voices_and_variants_of_the_installed_program() -> None:
    voices = EspeakEngine().voices()
    ids = {v.id for v in voices}
    assert {"gmw/en-US", "gmw/de"} <= ids
    assert any(v.is_variant and v.id.endswith("/f3") for v in voices)
    assert len(voices) > 100


def test_synthesize_returns_speech_at_the_engines_rate() -> None:
    audio = EspeakEngine().synthesize("Breathe in", VOICE)
    assert audio.sample_rate_hz == 22050
    assert audio.samples.dtype == np.float32
    assert 0.1 < np.abs(audio.samples).max() <= 1.0
    assert 0.3 < audio.samples.size / 22050 < 3.0


def test_text_starting_with_a_dash_is_spoken_not_parsed_as_a_flag() -> None:
    engine = EspeakEngine()
    dashed = engine.synthesize("-v is not a flag here", VOICE)
    plain = engine.synthesize("v is not a flag here", VOICE)
    assert dashed.samples.size >= plain.samples.size


def test_utf8_text_is_read_as_utf8() -> None:
    engine = EspeakEngine()
    accented = engine.synthesize("café", VoiceSettings(engine="espeak", language="fr"))
    assert np.abs(accented.samples).max() > 0.1


def speech_s(audio_samples: np.ndarray) -> float:
    audible = np.nonzero(np.abs(audio_samples) > 0.01)[0]
    return float(audible[-1] - audible[0]) / 22050


def test_rate_and_pitch_reach_the_program() -> None:
    engine = EspeakEngine()
    text = "Sit facing each other, or side by side."
    slow = engine.synthesize(text, VoiceSettings(engine="espeak", rate_wpm=100))
    fast = engine.synthesize(text, VoiceSettings(engine="espeak", rate_wpm=200))
    assert speech_s(fast.samples) < 0.75 * speech_s(slow.samples)
    low = engine.synthesize(text, VoiceSettings(engine="espeak", pitch=10))
    high = engine.synthesize(text, VoiceSettings(engine="espeak", pitch=90))
    assert not np.array_equal(low.samples[: high.samples.size], high.samples[: low.samples.size])


def test_the_same_request_gives_the_same_samples() -> None:
    engine = EspeakEngine()
    first = engine.synthesize("Out", VOICE).samples
    engine.synthesize("Something else in between", VOICE)
    assert np.array_equal(engine.synthesize("Out", VOICE).samples, first)


def test_a_variant_changes_the_voice() -> None:
    engine = EspeakEngine()
    plain = engine.synthesize("Hold", VOICE).samples
    female = engine.synthesize("Hold", VoiceSettings(engine="espeak", name="en-us+f3")).samples
    assert not np.array_equal(plain[: female.size], female[: plain.size])


def test_a_bogus_voice_is_voice_not_found() -> None:
    with pytest.raises(VoiceNotFound, match="no espeak voice 'no-such-voice'"):
        EspeakEngine().synthesize("In", VoiceSettings(engine="espeak", name="no-such-voice"))


def test_a_missing_program_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MissingComponent, match="apt-get install espeak-ng") as caught:
        EspeakEngine().version()
    assert caught.value.exit_code == 3


def test_a_failing_program_is_a_render_failure(tmp_path: Path) -> None:
    fake = tmp_path / "espeak-ng"
    fake.write_text("#!/bin/sh\necho 'something broke' >&2\nexit 7\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    engine = EspeakEngine(program=str(fake))
    with pytest.raises(RenderFailed, match="something broke"):
        engine.version()


def test_a_hanging_program_times_out(tmp_path: Path) -> None:
    fake = tmp_path / "espeak-ng"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(RenderFailed, match="did not finish"):
        EspeakEngine(program=str(fake), timeout_s=0.5).version()


def test_close_is_harmless() -> None:
    engine = EspeakEngine()
    engine.close()
    assert engine.synthesize("In", VOICE).samples.size > 0
