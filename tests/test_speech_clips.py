"""Clip processing on known signals: where speech starts and ends, fades, loudness, rate."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coreg_audio.audio.loudness import SPEECH_REFERENCE_LUFS, clip_loudness_lufs
from coreg_audio.speech.clips import (
    FADE_IN_MS,
    FADE_OUT_MS,
    ONSET_THRESHOLD_DB,
    PRE_ROLL_MS,
    TAIL_KEEP_MS,
    TAIL_THRESHOLD_DB,
    NoAudibleSound,
    audible_span,
    normalize_loudness,
    process_clip,
    to_output_rate,
)
from coreg_audio.units import SAMPLE_RATE_HZ, db_to_gain, ms_to_samples

ENGINE_RATE_HZ = 22050


def burst(
    lead_s: float,
    body_s: float,
    trail_s: float,
    rate_hz: int = ENGINE_RATE_HZ,
    pitch_hz: float = 220.0,
    decay_s: float = 0.0,
) -> np.ndarray:
    """Silence, a harmonic tone (optionally decaying away), silence: a stand-in for a word."""
    t = np.arange(round(body_s * rate_hz)) / rate_hz
    tone = 0.5 * np.sin(2 * np.pi * pitch_hz * t) + 0.2 * np.sin(2 * np.pi * 3 * pitch_hz * t)
    if decay_s:
        tone *= np.exp(-np.maximum(t - (body_s - decay_s), 0.0) / (decay_s / 8))
    return np.concatenate(
        [np.zeros(round(lead_s * rate_hz)), tone, np.zeros(round(trail_s * rate_hz))]
    ).astype(np.float32)


def onset_index(samples: np.ndarray, below_peak_db: float = -40.0) -> int:
    magnitude = np.abs(samples)
    return int(np.argmax(magnitude > magnitude.max() * db_to_gain(below_peak_db)))


def test_resampling_doubles_22050_and_keeps_the_pitch() -> None:
    tone = np.sin(2 * np.pi * 440.0 * np.arange(ENGINE_RATE_HZ) / ENGINE_RATE_HZ)
    out = to_output_rate(tone, ENGINE_RATE_HZ)
    assert out.shape == (SAMPLE_RATE_HZ,)
    spectrum = np.abs(np.fft.rfft(out[1000:-1000] * np.hanning(out.size - 2000)))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE_HZ / (out.size - 2000)
    assert peak_hz == pytest.approx(440.0, abs=1.5)
    assert np.max(np.abs(out[1000:-1000])) == pytest.approx(1.0, abs=0.01)


def test_resampling_leaves_44100_alone_and_handles_other_rates() -> None:
    x = np.linspace(-1, 1, 4410)
    assert np.array_equal(to_output_rate(x, SAMPLE_RATE_HZ), x.astype(np.float32))
    assert to_output_rate(np.zeros(16000), 16000).shape == (44100,)


def test_audible_span_finds_first_and_last_audible_samples() -> None:
    x = np.zeros(1000)
    x[100] = 0.001  # below -45 dB of the peak: not the onset
    x[200] = 0.5
    x[300] = 1.0
    x[700] = 0.002  # above -60 dB of the peak: still speech
    x[800] = 0.0005  # below -60 dB: not speech
    assert audible_span(x) == (200, 701)


def test_audible_span_of_silence_is_an_error() -> None:
    with pytest.raises(NoAudibleSound):
        audible_span(np.zeros(500))
    with pytest.raises(NoAudibleSound):
        audible_span(np.full(500, 1e-4))
    with pytest.raises(NoAudibleSound):
        audible_span(np.zeros(0))


def test_normalize_loudness_hits_the_reference() -> None:
    x = burst(0.0, 0.3, 0.0) * 0.01
    assert clip_loudness_lufs(normalize_loudness(x)) == pytest.approx(
        SPEECH_REFERENCE_LUFS, abs=1e-6
    )
    assert clip_loudness_lufs(normalize_loudness(x, -30.0)) == pytest.approx(-30.0, abs=1e-6)
    with pytest.raises(NoAudibleSound):
        normalize_loudness(np.zeros(100))


def test_process_clip_starts_at_the_onset_and_keeps_a_short_tail() -> None:
    raw = burst(lead_s=0.25, body_s=0.3, trail_s=0.4)
    clip = process_clip(raw, ENGINE_RATE_HZ)
    assert clip.dtype == np.float32 and clip.ndim == 1
    expected = (
        ms_to_samples(PRE_ROLL_MS) + round(0.3 * SAMPLE_RATE_HZ) + ms_to_samples(TAIL_KEEP_MS)
    )
    assert abs(clip.size - expected) <= ms_to_samples(1.0)  # a sine starts and ends near 0
    assert abs(onset_index(clip) - ms_to_samples(PRE_ROLL_MS)) <= ms_to_samples(0.5)
    assert clip_loudness_lufs(clip) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.01)


def test_process_clip_pads_when_speech_touches_the_ends() -> None:
    """An engine that starts speaking at sample 0 and stops at its last sample loses
    nothing: silence is added for the pre-roll and the fade-out."""
    raw = burst(lead_s=0.0, body_s=0.3, trail_s=0.0)
    clip = process_clip(raw, ENGINE_RATE_HZ).astype(np.float64)
    body = to_output_rate(raw, ENGINE_RATE_HZ)
    assert clip.size >= body.size + ms_to_samples(TAIL_KEEP_MS)
    gain = np.abs(clip).max() / np.abs(body).max()
    assert np.sum(clip**2) / gain**2 == pytest.approx(np.sum(body**2), rel=1e-4)
    assert np.all(clip[-ms_to_samples(FADE_OUT_MS) :] == 0.0)
    assert abs(onset_index(clip) - ms_to_samples(PRE_ROLL_MS)) <= ms_to_samples(0.5)


def test_process_clip_never_cuts_a_quiet_decaying_ending() -> None:
    raw = burst(lead_s=0.1, body_s=0.6, trail_s=0.3, decay_s=0.3)
    clip = process_clip(raw, ENGINE_RATE_HZ)
    resampled = to_output_rate(raw, ENGINE_RATE_HZ)
    peak = np.abs(resampled).max()
    audible = np.nonzero(np.abs(resampled) > peak * db_to_gain(TAIL_THRESHOLD_DB))[0]
    kept_s = audible[-1] - audible[0]
    assert clip.size >= kept_s + ms_to_samples(TAIL_KEEP_MS)
    # The fade-out lies after the last audible sample, in what the engine left quiet.
    fade_start = clip.size - ms_to_samples(FADE_OUT_MS)
    last_audible = np.nonzero(np.abs(clip) > np.abs(clip).max() * db_to_gain(TAIL_THRESHOLD_DB))[0]
    assert last_audible[-1] < fade_start


def test_process_clip_of_silence_is_an_error() -> None:
    with pytest.raises(NoAudibleSound):
        process_clip(np.zeros(22050, dtype=np.float32), ENGINE_RATE_HZ)


def test_process_clip_is_deterministic() -> None:
    raw = burst(0.1, 0.4, 0.2)
    assert np.array_equal(process_clip(raw, ENGINE_RATE_HZ), process_clip(raw, ENGINE_RATE_HZ))


def test_constants_agree_with_the_acceptance_rule() -> None:
    """The onset is judged at -40 dB under the peak; trimming at a lower level keeps it."""
    assert ONSET_THRESHOLD_DB < -40.0
    assert TAIL_THRESHOLD_DB <= ONSET_THRESHOLD_DB
    assert FADE_IN_MS <= PRE_ROLL_MS <= 2.0
    assert FADE_OUT_MS < TAIL_KEEP_MS


@settings(max_examples=60, deadline=None)
@given(
    lead_s=st.floats(0.0, 0.5),
    body_s=st.floats(0.05, 1.0),
    trail_s=st.floats(0.0, 0.5),
    level=st.floats(0.01, 1.0),
    pitch_hz=st.floats(80.0, 400.0),
)
def test_any_burst_starts_on_time_is_whole_and_at_reference_loudness(
    lead_s: float, body_s: float, trail_s: float, level: float, pitch_hz: float
) -> None:
    raw = burst(lead_s, body_s, trail_s, pitch_hz=pitch_hz) * level
    clip = process_clip(raw, ENGINE_RATE_HZ)
    assert onset_index(clip) <= ms_to_samples(2.0)
    assert clip.size >= round(body_s * SAMPLE_RATE_HZ)
    assert math.isclose(clip_loudness_lufs(clip), SPEECH_REFERENCE_LUFS, abs_tol=0.01)


def _espeak_words() -> tuple[np.ndarray, int]:
    import subprocess
    import tempfile
    import wave

    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        subprocess.run(
            [
                "espeak-ng",
                "-v",
                "en-us",
                "-s",
                "140",
                "-w",
                out.name,
                "Take a breath. Pause, and let it go, slowly.",
            ],
            check=True,
        )
        with wave.open(out.name, "rb") as file:
            rate = file.getframerate()
            data = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2")
    return data.astype(np.float64) / 32768.0, rate


def test_even_out_holds_real_speech_peaks_near_loudness() -> None:
    from coreg_audio.audio.limiter import true_peak_dbtp
    from coreg_audio.speech.clips import PEAK_TO_LOUDNESS_DB, even_out, trimmed

    raw, rate = _espeak_words()
    cut = trimmed(raw, rate)
    before_db = true_peak_dbtp(cut) - clip_loudness_lufs(cut)
    evened = even_out(cut)
    after_db = true_peak_dbtp(evened) - clip_loudness_lufs(evened)
    assert before_db > PEAK_TO_LOUDNESS_DB + 3, "real speech peaks well above its loudness"
    assert after_db <= PEAK_TO_LOUDNESS_DB + 1.0
    assert clip_loudness_lufs(evened) == pytest.approx(SPEECH_REFERENCE_LUFS, abs=0.01)
    assert evened.shape == cut.shape
    onset = int(np.argmax(np.abs(evened) > np.abs(evened).max() * db_to_gain(-40)))
    assert onset <= ms_to_samples(2.0)


def test_a_clip_worked_in_pieces_equals_the_clip_worked_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pieces of about 1.4 s keep memory bounded; they must not change a sample."""
    from coreg_audio.speech import clips

    words = np.concatenate(
        [burst(0.1, 0.4 + 0.1 * (i % 3), 0.2, pitch_hz=150.0 + 20 * i) for i in range(14)]
    )
    in_pieces = process_clip(words, ENGINE_RATE_HZ)
    monkeypatch.setattr(clips, "PIECE_SAMPLES", words.size * 4)
    whole = process_clip(words, ENGINE_RATE_HZ)
    assert in_pieces.size > 4 * 65536
    assert in_pieces.dtype == np.float32
    np.testing.assert_allclose(in_pieces, whole, rtol=0, atol=2e-6)


MEMORY_LIMIT_MB = 300


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["pyttsx3", "piper"])
def test_validating_a_minute_of_speech_in_one_item_stays_under_300_mb(
    tmp_path: Path, engine: str
) -> None:
    """One long `say` (about a minute of speech) is spoken, finished and cached by processes
    (validate, a Piper worker and the child that speaks) none of which ever holds more than
    MEMORY_LIMIT_MB."""
    sentence = "Let your breath be slow and soft, and notice your partner breathing beside you. "
    text = (sentence * 13).strip()
    assert len(text) > 1000
    script = tmp_path / "long.yaml"
    script.write_text(
        f'format: 1\ntitle: Long\nvoice: {{engine: {engine}}}\nsteps:\n  - say: "{text}"\n',
        encoding="utf-8",
    )
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(done.stderr, file=sys.stderr)\n"
    )
    env = {**os.environ, "COREG_AUDIO_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "coreg_audio", "validate", str(script)],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    exit_code, peak_kb = (int(word) for word in done.stdout.split())
    assert exit_code == 0, done.stderr
    assert any((tmp_path / "cache").rglob("*")), "the speech was not made"
    assert peak_kb / 1024 < MEMORY_LIMIT_MB
