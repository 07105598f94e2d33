"""pyttsx3 through its worker process, run for real: right audio, no noise, clean stops."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from coreg_audio.errors import MissingComponent, RenderFailed
from coreg_audio.speech import pyttsx3_engine
from coreg_audio.speech.engine import VoiceNotFound
from coreg_audio.speech.pyttsx3_engine import Pyttsx3Engine
from coreg_audio.speech.voice import VoiceSettings

VOICE = VoiceSettings(engine="pyttsx3")


@pytest.fixture
def engine() -> Iterator[Pyttsx3Engine]:
    with Pyttsx3Engine() as started:
        yield started


def program_samples(tmp_path: Path, text: str, rate_wpm: int, pitch: int = 50) -> np.ndarray:
    """What the espeak-ng program says for the same voice, rate and pitch (16-bit values)."""
    out = tmp_path / "program.wav"
    subprocess.run(
        [
            *("espeak-ng", "-v", "gmw/en-US", "-s", str(rate_wpm), "-p", str(pitch), "-b", "1"),
            *("--stdin", "-w", str(out)),
        ],
        input=text.encode(),
        check=True,
    )
    with wave.open(str(out)) as audio:
        return np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2").astype(np.int64)


def as_int16(samples: np.ndarray) -> np.ndarray:
    return np.round(samples.astype(np.float64) * 32768).astype(np.int64)


def process_gone(pid: int) -> bool:
    """True once the process has exited and been reaped (a zombie still has /proc/PID)."""
    return not os.path.exists(f"/proc/{pid}")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def test_version_is_read_without_starting_a_worker(engine: Pyttsx3Engine) -> None:
    version = engine.version()
    assert "pyttsx3 2.99" in version and "libespeak-ng 1.51" in version
    assert engine.worker_pid is None


def test_the_worker_starts_on_first_use_in_its_own_process_group(engine: Pyttsx3Engine) -> None:
    assert engine.worker_pid is None
    engine.synthesize("In", VOICE)
    pid = engine.worker_pid
    assert pid is not None and pid != os.getpid()
    assert os.getpgid(pid) == pid != os.getpgrp(), "a terminal's Ctrl-C must not reach it"
    engine.synthesize("Out", VOICE)
    assert engine.worker_pid == pid, "one worker serves the whole batch"


@pytest.mark.slow
def test_each_file_holds_its_own_text_exactly_as_espeak_ng_says_it(
    engine: Pyttsx3Engine, tmp_path: Path
) -> None:
    """Many requests in a row never collapse into one file, keep their own rate, and
    are never cut short: each equals the espeak-ng program's output bit for bit."""
    texts = ["In", "Out", "2", "7", "Hold", "Sit facing each other, or side by side."]
    lengths = set()
    for rate_wpm in (140, 90, 175):
        for text in texts:
            got = as_int16(
                engine.synthesize(text, VoiceSettings(engine="pyttsx3", rate_wpm=rate_wpm)).samples
            )
            expected = program_samples(tmp_path, text, rate_wpm)
            assert np.array_equal(got, expected), (text, rate_wpm)
            lengths.add(got.size)
    assert len(lengths) == len(texts) * 3


def test_pitch_reaches_the_engine(engine: Pyttsx3Engine, tmp_path: Path) -> None:
    got = as_int16(engine.synthesize("Hold", VoiceSettings(engine="pyttsx3", pitch=80)).samples)
    assert np.array_equal(got, program_samples(tmp_path, "Hold", 140, pitch=80))
    back = as_int16(engine.synthesize("Hold", VoiceSettings(engine="pyttsx3")).samples)
    assert np.array_equal(back, program_samples(tmp_path, "Hold", 140, pitch=50))


def test_a_clip_does_not_depend_on_what_was_spoken_before(engine: Pyttsx3Engine) -> None:
    first = engine.synthesize("Together in", VOICE).samples
    engine.synthesize(
        "A longer sentence, spoken in between the two.",
        VoiceSettings(engine="pyttsx3", rate_wpm=90),
    )
    again = engine.synthesize("Together in", VOICE).samples
    assert np.array_equal(first, again)


def test_higher_rate_gives_a_shorter_clip(engine: Pyttsx3Engine) -> None:
    text = "and out, slowly"
    normal = engine.synthesize(text, VoiceSettings(engine="pyttsx3", rate_wpm=140)).samples.size
    faster = engine.synthesize(text, VoiceSettings(engine="pyttsx3", rate_wpm=175)).samples.size
    assert faster < 0.9 * normal


def test_nothing_reaches_our_stdout_or_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    with Pyttsx3Engine() as engine:
        for text in ("In", "Out", "2"):
            engine.synthesize(text, VOICE)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_close_stops_and_reaps_the_worker_and_use_after_close_restarts() -> None:
    engine = Pyttsx3Engine()
    engine.synthesize("In", VOICE)
    pid = engine.worker_pid
    assert pid is not None and not process_gone(pid)
    engine.close()
    assert engine.worker_pid is None
    assert process_gone(pid)
    engine.close()
    assert engine.synthesize("Out", VOICE).samples.size > 0
    assert engine.worker_pid not in (None, pid)
    engine.close()


def test_the_worker_ignores_sigint(engine: Pyttsx3Engine) -> None:
    engine.synthesize("In", VOICE)
    pid = engine.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGINT)
    assert engine.synthesize("Out", VOICE).samples.size > 0
    assert engine.worker_pid == pid


def test_a_worker_killed_between_requests_is_replaced(engine: Pyttsx3Engine) -> None:
    engine.synthesize("In", VOICE)
    pid = engine.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert engine.synthesize("Out", VOICE).samples.size > 0
    assert engine.worker_pid not in (None, pid)


def test_a_worker_that_dies_during_a_request_is_a_render_failure(engine: Pyttsx3Engine) -> None:
    engine.synthesize("In", VOICE)
    pid = engine.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # it cannot answer, so the kill below lands mid-request
    killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
    killer.start()
    try:
        with pytest.raises(RenderFailed, match=r"stopped (unexpectedly )?while speaking 'Out'"):
            engine.synthesize("Out", VOICE)
    finally:
        killer.join()
    assert engine.worker_pid is None and process_gone(pid)
    assert engine.synthesize("Out", VOICE).samples.size > 0


def test_a_request_that_times_out_is_a_render_failure(
    engine: Pyttsx3Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.synthesize("In", VOICE)
    monkeypatch.setattr(pyttsx3_engine, "SPEAK_TIMEOUT_S", 0.0)
    monkeypatch.setattr(pyttsx3_engine, "SPEAK_TIMEOUT_PER_CHAR_S", 0.0)
    with pytest.raises(RenderFailed, match="TimeoutError"):
        engine.synthesize("Out", VOICE)
    monkeypatch.undo()
    assert engine.synthesize("Out", VOICE).samples.size > 0


def test_voices_include_every_language_and_the_variants(engine: Pyttsx3Engine) -> None:
    voices = {v.id: v for v in engine.voices()}
    us = voices["gmw/en-US"]
    assert us.languages == ("en-us", "en") and us.priorities == (2, 3)
    assert us.name == "English (America)" and us.gender == "male"
    assert "zh" in voices["sit/cmn"].languages
    assert any(v.is_variant for v in voices.values())


def test_a_bogus_voice_is_voice_not_found(engine: Pyttsx3Engine) -> None:
    bogus = VoiceSettings(engine="pyttsx3", name="en-usa")
    with pytest.raises(
        VoiceNotFound, match=r"no pyttsx3 voice 'en-usa'; close matches: .*en-us"
    ) as caught:
        engine.synthesize("In", bogus)
    assert caught.value.voice == bogus
    with pytest.raises(VoiceNotFound, match="language 'qq'"):
        engine.synthesize("In", VoiceSettings(engine="pyttsx3", language="qq"))


def test_a_variant_is_spoken(engine: Pyttsx3Engine) -> None:
    plain = engine.synthesize("Hold", VOICE).samples
    variant = engine.synthesize("Hold", VoiceSettings(engine="pyttsx3", name="en-us+f3")).samples
    assert not np.array_equal(plain[: variant.size], variant[: plain.size])


def test_only_punctuation_comes_back_silent(engine: Pyttsx3Engine) -> None:
    assert np.abs(engine.synthesize("...", VOICE).samples).max() == 0.0


def test_a_driver_that_cannot_start_is_a_missing_component() -> None:
    with Pyttsx3Engine(driver_name="no_such_driver") as engine:
        with pytest.raises(MissingComponent, match="apt-get install espeak-ng") as caught:
            engine.synthesize("In", VOICE)
        assert caught.value.exit_code == 3
        assert engine.worker_pid is None


def test_a_missing_library_is_a_missing_component(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyttsx3.drivers

    monkeypatch.setitem(sys.modules, "pyttsx3.drivers._espeak", None)
    monkeypatch.delattr(pyttsx3.drivers, "_espeak", raising=False)
    with pytest.raises(MissingComponent, match="libespeak-ng1"):
        Pyttsx3Engine().version()


CTRL_C_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from coreg_audio.speech import Speaker, VoiceSettings

    def children():
        mine = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                    mine.append(entry)
        return mine

    def progress(done, total):
        if done == 3:
            print("speaking", " ".join(children()), flush=True)

    items = [(f"Number {i}", VoiceSettings(engine="pyttsx3")) for i in range(3000)]
    try:
        with Speaker(Path(sys.argv[1])) as speaker:
            speaker.prepare(items, progress)
    except KeyboardInterrupt:
        print("children after close:", len(children()), flush=True)
        sys.exit(130)
    """
)


@pytest.mark.slow
def test_ctrl_c_stops_the_worker_with_no_traceback_and_no_zombie(tmp_path: Path) -> None:
    script = tmp_path / "speak_forever.py"
    script.write_text(CTRL_C_SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "cache")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        assert select.select([process.stdout], [], [], 120)[0], "the script never started speaking"
        line = process.stdout.readline()
        assert line.startswith("speaking"), line + (process.stderr.read() if process.stderr else "")
        workers = [int(pid) for pid in line.split()[1:]]
        assert workers, "the worker is a child of the speaking process"
        os.killpg(process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130
    assert "children after close: 0" in out
    assert err == ""
    assert all(process_gone(pid) for pid in workers)
