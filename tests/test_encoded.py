"""The encoded track measured and the mastering corrected until the true-peak promise holds.

The range test renders a short practice whose counts stand over a quiet ocean
(as in breath-sync, where the limiter works hardest) at every format and
bitrate the command line accepts, and measures each real file with ffmpeg.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from coreg_audio.audio.master import Mastering
from coreg_audio.errors import RenderFailed
from coreg_audio.output import encoded
from coreg_audio.output.formats import M4A_MIN_BITRATE_KBPS, MP3_BITRATES_KBPS
from coreg_audio.output.render import RenderOptions, render
from coreg_audio.practice import load

COUNTED = """\
title: Counted
voice: {rate: 130}
ambience: {sound: ocean, level: -24}
pattern: 4-6
steps:
  - say: Now, if you like, breathe together. I will count with you.
  - breathe: {cycles: 3, count: true}
  - breathe: {cycles: 3, guide: 0}
"""

ACCEPTED = (
    [(".mp3", rate) for rate in MP3_BITRATES_KBPS]
    + [(".opus", rate) for rate in MP3_BITRATES_KBPS]
    + [(".m4a", rate) for rate in MP3_BITRATES_KBPS if rate >= M4A_MIN_BITRATE_KBPS]
)


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    script = tmp_path_factory.mktemp("counted") / "counted.yaml"
    script.write_text(COUNTED)
    return script


@pytest.mark.slow
@pytest.mark.parametrize(("suffix", "bitrate_kbps"), ACCEPTED)
def test_every_accepted_format_and_bitrate_holds_the_true_peak_once_encoded(
    counted: Path, tmp_path: Path, suffix: str, bitrate_kbps: int
) -> None:
    out = tmp_path / f"counted{suffix}"
    render(load(str(counted)), out, RenderOptions(bitrate_kbps=bitrate_kbps))
    measured = encoded.measure(out)
    assert measured.true_peak_dbtp <= -1.0, measured
    assert abs(measured.integrated_lufs + 16.0) <= 1.0, measured
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


@pytest.mark.slow
def test_a_mastering_that_held_is_remembered_and_the_next_render_not_measured(
    counted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = RenderOptions(bitrate_kbps=48)
    render(load(str(counted)), tmp_path / "one.mp3", options)
    calls: list[Path] = []
    real_measure = encoded.measure

    def counting(path: Path, ffmpeg: str = "ffmpeg") -> encoded.Measured:
        calls.append(path)
        return real_measure(path, ffmpeg)

    monkeypatch.setattr(encoded, "measure", counting)
    render(load(str(counted)), tmp_path / "two.mp3", options)
    assert calls == []
    assert (tmp_path / "one.mp3").read_bytes() == (tmp_path / "two.mp3").read_bytes()
    assert real_measure(tmp_path / "two.mp3").true_peak_dbtp <= -1.0


def test_an_encoder_that_cannot_be_held_is_refused_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "short.yaml"
    script.write_text("title: Short\ntones: none\nsteps:\n  - bell: {ring: 2}\n")
    target = tmp_path / "short.mp3"
    target.write_bytes(b"old")
    tries: list[float] = []

    def always_over(path: Path, ffmpeg: str = "ffmpeg") -> encoded.Measured:
        assert path.exists() and path != target
        tries.append(0.0)
        return encoded.Measured(integrated_lufs=-16.0, true_peak_dbtp=0.5)

    monkeypatch.setattr(encoded, "measure", always_over)
    with pytest.raises(RenderFailed, match=r"true peak of at most -1.0 dBTP at 32 kbps.*--bitrate"):
        render(load(str(script)), target, RenderOptions(bitrate_kbps=32))
    assert 1 < len(tries) <= encoded.MAX_ENCODES
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.mp3", "short.yaml"]


def test_the_ceiling_goes_under_the_goal_by_the_encoders_overshoot() -> None:
    first = Mastering(target_lufs=-15.6, ceiling_dbtp=-3.0)
    missed = encoded.Measured(integrated_lufs=-16.1, true_peak_dbtp=-0.4)
    nxt = encoded.corrected(first, missed, written_peak_dbtp=-3.0)
    overshoot = -0.4 - -3.0
    expected = encoded.ENCODED_PEAK_GOAL_DBTP - overshoot - encoded.CORRECTION_MARGIN_DB
    assert nxt.ceiling_dbtp == pytest.approx(expected, abs=0.005)
    assert nxt.target_lufs == first.target_lufs


def test_a_track_the_limiter_never_touched_is_judged_by_what_was_written() -> None:
    first = Mastering(ceiling_dbtp=-2.0)
    missed = encoded.Measured(integrated_lufs=-16.0, true_peak_dbtp=-0.9)
    nxt = encoded.corrected(first, missed, written_peak_dbtp=-4.0)
    assert nxt.ceiling_dbtp == pytest.approx(
        encoded.ENCODED_PEAK_GOAL_DBTP - 3.1 - encoded.CORRECTION_MARGIN_DB, abs=0.005
    )
    silent = encoded.corrected(first, missed, written_peak_dbtp=-math.inf)
    assert silent.ceiling_dbtp < first.ceiling_dbtp


def test_each_try_limits_more_and_a_loudness_miss_moves_the_target() -> None:
    first = Mastering(target_lufs=-16.0, ceiling_dbtp=-2.0)
    barely = encoded.Measured(integrated_lufs=-16.9, true_peak_dbtp=-1.05)
    nxt = encoded.corrected(first, barely, written_peak_dbtp=-2.0)
    assert nxt.ceiling_dbtp <= first.ceiling_dbtp - encoded.CORRECTION_MARGIN_DB
    assert nxt.target_lufs == pytest.approx(-15.1)
    held = encoded.Measured(integrated_lufs=-16.2, true_peak_dbtp=-1.2)
    assert held.holds() and not barely.holds()


def test_measure_reads_a_real_file_and_names_one_it_cannot(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(RenderFailed, match="could not measure the encoded track"):
        encoded.measure(bad)
