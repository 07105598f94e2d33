"""Voice lookup, the shared speech errors, and decoding an engine's file."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from coreg_audio import errors
from coreg_audio.errors import RenderFailed
from coreg_audio.speech.engine import (
    DEFAULT_VOICE_FOR_LANGUAGE,
    SilentSpeech,
    UnknownEngine,
    VoiceInfo,
    VoiceNotFound,
    decode_audio_file,
    resolve_voice,
)
from coreg_audio.speech.espeak_engine import EspeakEngine
from coreg_audio.speech.voice import VoiceSettings, normalize_language

VOICES = [
    VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb", "en"), "male", (2, 2)),
    VoiceInfo("gmw/en-US", "English (America)", ("en-us", "en"), "male", (2, 3)),
    VoiceInfo("gmw/en-029", "English (Caribbean)", ("en-029", "en"), "male", (5, 10)),
    VoiceInfo("gmw/de", "German", ("de",), "male", (5,)),
    VoiceInfo("sit/cmn", "Chinese (Mandarin)", ("cmn", "zh-cmn", "zh"), "male", (5, 5, 5)),
    VoiceInfo("roa/pt-BR", "Portuguese (Brazil)", ("pt-br", "pt"), "male", (5, 6)),
    VoiceInfo("!v/f3", "female3", ("variant",), "female", (5,)),
    VoiceInfo("!v/klatt", "klatt", ("variant",), "male", (5,)),
]


def settings(name: str | None = None, language: str = "en") -> VoiceSettings:
    return VoiceSettings(engine="espeak", name=name, language=language)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gmw/en-US", "gmw/en-US"),
        ("GMW/EN-us", "gmw/en-US"),
        ("en-US", "gmw/en-US"),  # the last part of the id
        ("en-gb", "gmw/en"),  # a voice's first language
        ("English (America)", "gmw/en-US"),  # its name
        ("en", "gmw/en"),  # as `espeak-ng -v en`: the file named en
        ("en-us+f3", "gmw/en-US+f3"),
        ("de+KLATT", "gmw/de+klatt"),
    ],
)
def test_a_named_voice_resolves_to_the_engine_id(name: str, expected: str) -> None:
    assert resolve_voice(VOICES, settings(name)) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "gmw/en-US"),  # the project's choice over espeak's en-gb
        ("en-GB", "gmw/en"),
        ("en_US", "gmw/en-US"),
        ("de", "gmw/de"),
        ("zh", "sit/cmn"),  # a voice's other language
        ("pt", "roa/pt-BR"),
        ("de-AT", "gmw/de"),  # no voice speaks the region: its base language's voice
        ("en-au", "gmw/en-US"),  # ... with the project's choice for the base
        ("pt-pt", "roa/pt-BR"),
    ],
)
def test_no_name_picks_the_default_voice_for_the_language(language: str, expected: str) -> None:
    assert resolve_voice(VOICES, settings(None, language)) == expected


def test_without_an_override_the_engines_own_preference_wins() -> None:
    voices = [v for v in VOICES if v.id != "gmw/en-US"]
    assert "en" in DEFAULT_VOICE_FOR_LANGUAGE
    assert resolve_voice(voices, settings(None, "en")) == "gmw/en"  # priority 2 beats 10


def test_an_unknown_voice_names_close_matches() -> None:
    with pytest.raises(VoiceNotFound) as caught:
        resolve_voice(VOICES, settings("en-su"))
    message = str(caught.value)
    assert "'en-su'" in message and "en-us" in message
    assert "coreg-audio voices --engine espeak" in message
    assert caught.value.voice == settings("en-su")
    assert caught.value.exit_code == 1
    assert isinstance(caught.value, errors.VoiceNotFound), "the compiler catches the shared class"


def test_an_unknown_variant_is_refused_not_ignored() -> None:
    with pytest.raises(VoiceNotFound, match=r"variant 'f9'.*f3"):
        resolve_voice(VOICES, settings("en-us+f9"))


def test_a_variant_is_not_a_voice_by_itself() -> None:
    with pytest.raises(VoiceNotFound):
        resolve_voice(VOICES, settings("f3"))


def test_an_unknown_language_names_close_languages() -> None:
    with pytest.raises(VoiceNotFound, match=r"language 'eng'.*close matches: .*en"):
        resolve_voice(VOICES, settings(None, "eng"))
    with pytest.raises(VoiceNotFound, match=r"language 'xx'"):
        resolve_voice(VOICES, settings(None, "xx"))
    with pytest.raises(VoiceNotFound, match=r"language 'xx-de'"):
        resolve_voice(VOICES, settings(None, "xx-de"))


def test_normalize_language() -> None:
    assert normalize_language(" EN_us ") == "en-us"


def test_voice_info_priorities_default_to_5() -> None:
    voice = VoiceInfo("x", "X", ("aa", "bb"), None, (1,))
    assert voice.priority("aa") == 1
    assert voice.priority("bb") == 5
    assert not voice.is_variant


def test_error_classes() -> None:
    silent = SilentSpeech("...", "no sound")
    assert silent.text == "..." and silent.exit_code == 1
    assert issubclass(UnknownEngine, errors.UsageError)


def test_the_default_english_voice_exists_in_espeak_ng() -> None:
    """The default must name a real voice of the installed engine, not only the table."""
    resolved = resolve_voice(EspeakEngine().voices(), settings())
    assert resolved == "gmw/en-US"


def write_wav(path: Path, samples: np.ndarray, rate_hz: int, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes((samples * 32767).astype("<i2").tobytes())


def test_decode_reads_16_bit_mono_wav_as_float(tmp_path: Path) -> None:
    samples = np.array([0.0, 0.5, -0.5, 0.25])
    write_wav(tmp_path / "a.wav", samples, 22050)
    audio = decode_audio_file(tmp_path / "a.wav")
    assert audio.sample_rate_hz == 22050
    assert audio.samples.dtype == np.float32
    assert np.allclose(audio.samples, samples, atol=1e-4)


def test_decode_mixes_stereo_to_mono(tmp_path: Path) -> None:
    interleaved = np.array([0.5, 0.0, 0.5, 0.0, -0.5, 0.0])
    write_wav(tmp_path / "s.wav", interleaved, 44100, channels=2)
    audio = decode_audio_file(tmp_path / "s.wav")
    assert np.allclose(audio.samples, [0.25, 0.25, -0.25], atol=1e-4)


def test_decode_reads_aiff_as_macos_pyttsx3_writes_it(tmp_path: Path) -> None:
    samples = 0.5 * np.sin(np.arange(2205) / 10)
    write_wav(tmp_path / "a.wav", samples, 22050)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(tmp_path / "a.wav"), str(tmp_path / "a.aiff")],
        check=True,
    )
    audio = decode_audio_file(tmp_path / "a.aiff")
    assert audio.sample_rate_hz == 22050
    assert np.allclose(audio.samples, samples, atol=1e-4)


def test_decode_of_a_broken_file_is_a_render_failure(tmp_path: Path) -> None:
    (tmp_path / "bad.wav").write_bytes(b"RIFF not really")
    with pytest.raises(RenderFailed, match=r"bad\.wav"):
        decode_audio_file(tmp_path / "bad.wav")
