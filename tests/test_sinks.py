"""The sinks, checked with the real ffmpeg, ffprobe and mp3val, and read back with mutagen."""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode
from scipy.signal import correlate

from coreg_audio.errors import MissingComponent, RenderFailed, UsageError
from coreg_audio.output.sinks import (
    MP3_BITRATES_KBPS,
    Mp3Sink,
    TrackInfo,
    chapter_comment,
    check_bitrate,
    check_output,
    ffmetadata,
    find_ffmpeg,
    flac_picture,
    id3_comment_frame,
    open_sink,
    output_format,
    quantize_int16,
    renumber_mp3,
)
from coreg_audio.timeline.events import Chapter
from coreg_audio.units import SAMPLE_RATE_HZ, seconds_to_samples

SR = SAMPLE_RATE_HZ
BLOCK = 4 * SR
TRICKY_TITLE = "Ein\u00adatmen — ruhig = a; b # c \\ d\nzweite Zeile 🌬"


# --- helpers -----------------------------------------------------------------------------------


def noise(seconds: float, level: float = 0.1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (level * rng.standard_normal((seconds_to_samples(seconds), 2))).astype(np.float32)


def write_all(sink_path: Path, info: TrackInfo, track: np.ndarray, **options: int) -> None:
    with open_sink(sink_path, info, **options) as sink:
        for start in range(0, len(track), BLOCK):
            sink.write(track[start : start + BLOCK])


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name)


def ffprobe(path: Path) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_chapters", "-show_streams",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def decode(path: Path) -> np.ndarray:
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "2", "-ar", str(SR), "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return np.frombuffer(result.stdout, dtype="<f4").reshape(-1, 2)


def expected_ms(samples: int) -> int:
    """CHAP times are whole milliseconds; samples never fall on a half millisecond at 44.1 kHz."""
    return round(Fraction(samples * 1000, SR))


def ffmpeg_children() -> list[int]:
    """Our own ffmpeg child processes, found as an outside observer would."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            name = (stat.parent / "comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and name == "ffmpeg":
            found.append(int(stat.parent.name))
    return found


def metadata_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("coreg-audio-*.ffmetadata"))


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


# --- pure functions ---------------------------------------------------------------------------


def test_chapter_comment_lists_chapters_after_the_summary() -> None:
    chapters = (
        Chapter("Arrive", 0, 10 * SR),
        Chapter("Breathe\nslowly", 10 * SR, 75 * SR - 1),
        Chapter("Rest", 75 * SR - 1, 80 * SR),
    )
    assert chapter_comment("  A calm practice.\n", chapters) == (
        "A calm practice.\n\n00:00 Arrive\n00:10 Breathe slowly\n01:14 Rest"
    )


def test_chapter_comment_shows_hours_for_long_tracks_and_omits_empty_parts() -> None:
    chapters = (Chapter("One", 0, 3600 * SR), Chapter("Two", 3600 * SR, 3700 * SR))
    assert chapter_comment("", chapters) == "0:00:00 One\n1:00:00 Two"
    assert chapter_comment("Only a summary", ()) == "Only a summary"
    assert chapter_comment("", ()) == ""


def test_chapters_must_be_ordered_and_well_formed() -> None:
    with pytest.raises(ValueError, match="start <= end"):
        Chapter("Backwards", 10, 5)
    with pytest.raises(ValueError, match="start <= end"):
        Chapter("Negative", -1, 5)
    with pytest.raises(ValueError, match="time order"):
        TrackInfo("T", chapters=(Chapter("B", 10, 20), Chapter("A", 0, 10)))
    with pytest.raises(ValueError, match="time order"):
        TrackInfo("T", chapters=(Chapter("A", 0, 11), Chapter("B", 10, 20)))
    TrackInfo("T", chapters=(Chapter("A", 0, 10), Chapter("Empty", 10, 10), Chapter("B", 10, 20)))


def test_ffmetadata_escapes_special_characters_and_keeps_exact_sample_times() -> None:
    info = TrackInfo("a=b;c#d\\e\r\nf\0g", artist="", chapters=(Chapter("x=y", 44122, 132300),))
    text = ffmetadata(info)
    assert text.splitlines()[0] == ";FFMETADATA1"
    assert "title=a\\=b\\;c\\#d\\\\e\\\nfg\n" in text
    assert "artist=" not in text
    assert "TIMEBASE=1/44100\nSTART=44122\nEND=132300\ntitle=x\\=y\n" in text
    assert "comment" not in text


def test_id3_comment_frame_layout() -> None:
    ascii_frame = id3_comment_frame("hi\nthere")
    assert ascii_frame == b"COMM" + (13).to_bytes(4, "big") + b"\0\0" + b"\0und\0hi\nthere"
    wide = id3_comment_frame("ruhig — still")
    assert wide[:4] == b"COMM" and wide[10:11] == b"\x01" and wide[11:14] == b"und"
    assert int.from_bytes(wide[4:8], "big") == len(wide) - 10
    assert wide[14:18] == b"\xff\xfe\0\0"
    assert wide[18:].decode("utf-16") == "ruhig — still"


def test_quantize_rounds_within_one_lsb_plus_dither_and_is_tpdf() -> None:
    rng = np.random.default_rng(7)
    samples = rng.uniform(-0.9, 0.9, (SR, 2)).astype(np.float32)
    quantized = quantize_int16(samples, np.random.default_rng(0))
    assert quantized.dtype == np.int16 and quantized.shape == samples.shape
    error = quantized.astype(np.float64) - samples.astype(np.float64) * 32768
    assert np.abs(error).max() < 1.5
    assert abs(error.mean()) < 0.01
    # TPDF dither (1/6 LSB²) plus rounding (1/12) gives 1/4, whatever the signal.
    assert error.var() == pytest.approx(0.25, abs=0.01)


def test_quantize_clips_out_of_range_samples() -> None:
    samples = np.array([[2.0, -2.0], [1.0, -1.0], [1e30, -1e30]], dtype=np.float32)
    quantized = quantize_int16(samples, np.random.default_rng(0))
    assert quantized[:, 0].tolist() == [32767, 32767, 32767]
    assert quantized[:, 1].min() == -32768 and quantized[:, 1].max() <= -32767


def test_quantize_is_seeded_and_independent_of_block_boundaries() -> None:
    samples = noise(1.0)
    whole = quantize_int16(samples, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    pieces = np.concatenate(
        [quantize_int16(samples[a:b], rng) for a, b in ((0, 1), (1, 999), (999, SR))]
    )
    assert np.array_equal(whole, pieces)
    assert not np.array_equal(whole, quantize_int16(samples, np.random.default_rng(4)))


# --- checks before any audio is made ------------------------------------------------------------


def test_output_format_follows_the_suffix_in_any_case(tmp_path: Path) -> None:
    assert output_format(tmp_path / "a.MP3") == ".mp3"
    assert output_format(tmp_path / "a.Wav") == ".wav"
    for name in ("a.ogg", "a", "a.mp3.txt"):
        with pytest.raises(UsageError, match=r"must end in \.mp3 or \.wav") as raised:
            output_format(tmp_path / name)
        assert raised.value.exit_code == 2


def test_bitrate_must_be_a_lame_constant_bitrate() -> None:
    for rate in MP3_BITRATES_KBPS:
        check_bitrate(rate)
    for rate in (0, 8, 100, 129, 330, -128):
        with pytest.raises(UsageError, match=r"32, 40, 48.*320"):
            check_bitrate(rate)


def test_check_output_makes_every_check(tmp_path: Path) -> None:
    check_output(tmp_path / "a.mp3", bitrate_kbps=192)
    with pytest.raises(UsageError):
        check_output(tmp_path / "a.flac")
    with pytest.raises(UsageError):
        check_output(tmp_path / "a.mp3", bitrate_kbps=100)
    with pytest.raises(UsageError):
        check_output(tmp_path / "nowhere" / "a.wav")
    assert list(tmp_path.iterdir()) == []


def test_open_sink_refuses_before_touching_the_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        open_sink(tmp_path / "a.aiff", TrackInfo("T"))
    with pytest.raises(UsageError):
        open_sink(tmp_path / "a.mp3", TrackInfo("T"), bitrate_kbps=100)
    with pytest.raises(UsageError, match="does not exist"):
        open_sink(tmp_path / "gone" / "a.wav", TrackInfo("T")).__enter__()
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def no_ffmpeg_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    dirs = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "ffmpeg").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(dirs))


@pytest.mark.usefixtures("no_ffmpeg_on_path")
def test_missing_ffmpeg_is_a_missing_component(tmp_path: Path) -> None:
    message = "render to MP3 needs ffmpeg: sudo apt-get install ffmpeg"
    for attempt in (
        find_ffmpeg,
        lambda: check_output(tmp_path / "a.mp3"),
        lambda: open_sink(tmp_path / "a.mp3", TrackInfo("T")),
    ):
        with pytest.raises(MissingComponent) as raised:
            attempt()
        assert str(raised.value) == message
        assert raised.value.exit_code == 3
    check_output(tmp_path / "a.wav")
    write_all(tmp_path / "a.wav", TrackInfo("T"), noise(0.1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav"]


def test_ffmpeg_found_by_name_but_gone_at_start_is_a_missing_component(tmp_path: Path) -> None:
    sink = Mp3Sink(
        tmp_path / "a.mp3", TrackInfo("T"), ffmpeg=str(tmp_path / "ffmpeg"), bitrate_kbps=128
    )
    with pytest.raises(MissingComponent, match="apt-get install ffmpeg"), sink:
        pass
    assert list(tmp_path.iterdir()) == []


def test_ffmpeg_that_cannot_run_is_render_failed(tmp_path: Path) -> None:
    not_a_program = tmp_path / "ffmpeg"
    not_a_program.write_text("not a program")
    sink = Mp3Sink(tmp_path / "a.mp3", TrackInfo("T"), ffmpeg=str(not_a_program), bitrate_kbps=128)
    with (
        pytest.raises(RenderFailed, match=r"cannot start writing .*a\.mp3: .*Permission denied"),
        sink,
    ):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ffmpeg"]


# --- WAV --------------------------------------------------------------------------------------


def test_wav_parameters_by_wave_and_ffprobe(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    write_all(path, TrackInfo("T"), noise(1.5))
    with wave.open(str(path)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (SR, 2, 2)
        assert reader.getnframes() == seconds_to_samples(1.5)
    (stream,) = ffprobe(path)["streams"]
    assert stream["codec_name"] == "pcm_s16le"
    assert (stream["sample_rate"], stream["channels"], stream["bits_per_sample"]) == (
        "44100",
        2,
        16,
    )
    assert stream["duration_ts"] == seconds_to_samples(1.5)


def test_wav_samples_round_trip_within_one_lsb_plus_dither_and_clip(tmp_path: Path) -> None:
    track = np.random.default_rng(1).uniform(-0.9, 0.9, (2 * SR, 2)).astype(np.float32)
    track[1000:1100] = [1.5, -1.5]
    path = tmp_path / "a.wav"
    write_all(path, TrackInfo("T"), track)
    with wave.open(str(path)) as reader:
        read = np.frombuffer(reader.readframes(reader.getnframes()), "<i2").reshape(-1, 2)
    assert read.shape == track.shape
    assert (read[1000:1100, 0] == 32767).all() and (read[1000:1100, 1] == -32768).all()
    error = read.astype(np.float64) - track.astype(np.float64) * 32768
    error = np.delete(error, np.s_[1000:1100], axis=0)
    assert np.abs(error).max() < 1.5
    assert error.var() == pytest.approx(0.25, abs=0.01)


def test_wav_is_reproducible_whatever_the_blocks_and_follows_the_seed(tmp_path: Path) -> None:
    track = noise(3.0, level=0.001)
    write_all(tmp_path / "a.wav", TrackInfo("T"), track)
    with open_sink(tmp_path / "b.wav", TrackInfo("T")) as sink:
        for start in range(0, len(track), 12345):
            sink.write(track[start : start + 12345])
    write_all(tmp_path / "c.wav", TrackInfo("T"), track, dither_seed=1)
    first = (tmp_path / "a.wav").read_bytes()
    assert first == (tmp_path / "b.wav").read_bytes()
    assert first != (tmp_path / "c.wav").read_bytes()


def test_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    for name in ("a.wav", "a.mp3"):
        write_all(tmp_path / name, TrackInfo("T"), noise(0.2))
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


# --- MP3 --------------------------------------------------------------------------------------

MP3_CHAPTERS = (
    Chapter("Ankommen", 0, 33075),
    Chapter(TRICKY_TITLE, 33075, 100000),
    Chapter("[CHAPTER]\n;not a comment\n#nor this", 100000, 4 * SR),
)
MP3_INFO = TrackInfo(
    title="Box = breathing; #4 \\ ruhig",
    artist="Jane Ö. Doe",
    album="coreg-audio",
    comment=chapter_comment("Four counts in, four out.", MP3_CHAPTERS),
    chapters=MP3_CHAPTERS,
)
BURST_AT = 100000


def mp3_track() -> np.ndarray:
    track = noise(4.0, level=0.01)
    track[BURST_AT : BURST_AT + SR // 5] = noise(0.2, level=0.3, seed=5)
    return track


@pytest.fixture(scope="module")
def rendered_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mp3") / "box.mp3"
    write_all(path, MP3_INFO, mp3_track())
    return path


def test_mp3_stream_is_44k1_stereo_at_the_bitrate(rendered_mp3: Path) -> None:
    probe = ffprobe(rendered_mp3)
    (stream,) = probe["streams"]
    assert stream["codec_name"] == "mp3"
    assert (stream["sample_rate"], stream["channels"], stream["bit_rate"]) == ("44100", 2, "128000")


def test_mp3_chapters_in_time_order_with_titles_and_times_to_the_ms(rendered_mp3: Path) -> None:
    chapters = ffprobe(rendered_mp3)["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [c.title for c in MP3_CHAPTERS]
    assert [(c["time_base"], c["start"], c["end"]) for c in chapters] == [
        ("1/1000", expected_ms(c.start_samples), expected_ms(c.end_samples)) for c in MP3_CHAPTERS
    ]
    assert [c["end"] for c in chapters] == [750, 2268, 4000]


def test_mp3_id3v23_frames_chapters_under_a_ctoc_in_time_order(rendered_mp3: Path) -> None:
    tags = ID3(rendered_mp3)
    assert tags.version == (2, 3, 0)
    chaps = [frame for frame in tags.values() if frame.FrameID == "CHAP"]
    assert [chap.sub_frames["TIT2"].text[0] for chap in chaps] == [c.title for c in MP3_CHAPTERS]
    assert [(chap.start_time, chap.end_time) for chap in chaps] == [
        (expected_ms(c.start_samples), expected_ms(c.end_samples)) for c in MP3_CHAPTERS
    ]
    (toc,) = tags.getall("CTOC")
    assert toc.child_element_ids == [chap.element_id for chap in chaps]


def test_mp3_tags_and_a_real_comment_frame(rendered_mp3: Path) -> None:
    probe_tags = ffprobe(rendered_mp3)["format"]["tags"]
    for key in ("title", "artist", "album", "comment"):
        assert probe_tags[key] == getattr(MP3_INFO, key)
    assert (
        "00:00 Ankommen\n00:00 Ein\u00adatmen — ruhig = a; b # c \\ d zweite Zeile 🌬\n"
        in probe_tags["comment"]
    )
    tags = ID3(rendered_mp3)
    (comm,) = tags.getall("COMM")
    assert (comm.desc, comm.lang, comm.text) == ("", "und", [MP3_INFO.comment])
    assert tags.getall("TXXX") == []
    assert tags["TIT2"].text == [MP3_INFO.title]
    assert tags["TPE1"].text == [MP3_INFO.artist]
    assert tags["TALB"].text == [MP3_INFO.album]


def test_mp3_is_constant_bitrate(rendered_mp3: Path) -> None:
    info = MP3(rendered_mp3).info
    assert info.bitrate_mode == BitrateMode.CBR
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "packet=size",
         "-of", "json", str(rendered_mp3)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    sizes = {int(packet["size"]) for packet in json.loads(result.stdout)["packets"]}
    assert sizes <= {417, 418}  # 144 * 128000 / 44100 = 417.96 bytes, plus a padding byte


def test_mp3val_finds_nothing_wrong(rendered_mp3: Path) -> None:
    result = subprocess.run(["mp3val", str(rendered_mp3)], capture_output=True, text=True)
    assert result.returncode == 0
    assert "CBR" in result.stdout
    assert not [
        line for line in result.stdout.splitlines() if line.startswith(("WARNING", "ERROR"))
    ]


def test_mp3_decodes_to_the_same_length_and_timing(rendered_mp3: Path) -> None:
    original = mp3_track()
    decoded = decode(rendered_mp3)
    assert decoded.shape == original.shape
    lags = correlate(decoded[:, 0], original[:, 0], mode="full", method="fft")
    assert int(np.argmax(lags)) - (len(original) - 1) == 0
    onset = int(np.argmax(np.abs(decoded[:, 0]) > 0.2))
    assert BURST_AT <= onset < BURST_AT + 200


def test_mp3_is_reproducible(rendered_mp3: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.mp3"
    write_all(again, MP3_INFO, mp3_track())
    assert again.read_bytes() == rendered_mp3.read_bytes()


@pytest.mark.parametrize("bitrate_kbps", [32, 320])
def test_mp3_bitrate_option(tmp_path: Path, bitrate_kbps: int) -> None:
    path = tmp_path / "a.mp3"
    write_all(path, TrackInfo("T"), noise(2.0), bitrate_kbps=bitrate_kbps)
    assert ffprobe(path)["streams"][0]["bit_rate"] == str(bitrate_kbps * 1000)
    assert MP3(path).info.bitrate_mode == BitrateMode.CBR


def test_mp3_with_many_chapters_and_no_tags_but_the_title(tmp_path: Path) -> None:
    chapters = tuple(
        Chapter(f"Runde {i} — ä", i * SR // 10, (i + 1) * SR // 10) for i in range(200)
    )
    info = TrackInfo("T", comment=chapter_comment("", chapters), chapters=chapters)
    path = tmp_path / "a.mp3"
    write_all(path, info, noise(20.0, level=0.01))
    probe = ffprobe(path)
    assert [c["tags"]["title"] for c in probe["chapters"]] == [c.title for c in chapters]
    assert probe["format"]["tags"]["comment"] == info.comment
    assert "artist" not in probe["format"]["tags"]
    (comm,) = ID3(path).getall("COMM")
    assert comm.text == [info.comment]


def test_mp3_without_comment_or_chapters(tmp_path: Path) -> None:
    path = tmp_path / "a.mp3"
    write_all(path, TrackInfo("Plain"), noise(1.0))
    probe = ffprobe(path)
    assert probe["chapters"] == []
    assert "comment" not in probe["format"]["tags"]
    assert ID3(path).getall("CTOC") == []


def test_mp3_pipe_to_ffmpeg_holds_seconds_of_audio(tmp_path: Path) -> None:
    with open_sink(tmp_path / "a.mp3", TrackInfo("T")) as sink:
        sink.write(noise(0.1))
        assert isinstance(sink, Mp3Sink) and sink._process is not None
        assert sink._process.stdin is not None
        size = fcntl.fcntl(sink._process.stdin.fileno(), fcntl.F_GETPIPE_SZ)
        assert size >= 1 << 20


def test_ffmpeg_prints_nothing_on_the_terminal(tmp_path: Path) -> None:
    code = (
        "import sys, numpy as np; from pathlib import Path\n"
        "from coreg_audio.output.sinks import open_sink, TrackInfo, Chapter\n"
        "info = TrackInfo('t', comment='c', chapters=(Chapter('a', 0, 44100),))\n"
        "with open_sink(Path(sys.argv[1]), info) as sink:\n"
        "    sink.write(np.zeros((44100, 2), np.float32))\n"
    )
    result = run_python(code, str(tmp_path / "a.mp3"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert (tmp_path / "a.mp3").stat().st_size > 0


# --- whole or nothing ---------------------------------------------------------------------------

FORMATS = ["a.wav", "a.mp3", "a.m4a", "a.opus"]


@pytest.mark.parametrize("name", FORMATS)
def test_file_appears_only_when_finished(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    with open_sink(target, MP3_INFO) as sink:
        sink.write(noise(1.0))
        assert not target.exists()
        (partial,) = leftovers(tmp_path)
        assert partial.startswith(f".{name}.partial-")
        sink.write(noise(1.0))
        assert sink.samples_written == 2 * SR
    assert target.stat().st_size > 0
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt, SystemExit])
def test_interruption_mid_write_leaves_nothing_and_keeps_the_old_file(
    tmp_path: Path, name: str, interruption: type[BaseException]
) -> None:
    old = tmp_path / name
    old.write_bytes(b"the previous render")
    fresh = tmp_path / f"fresh{old.suffix}"
    metadata_before = metadata_files()
    for target in (old, fresh):
        with pytest.raises(interruption), open_sink(target, MP3_INFO) as sink:
            sink.write(noise(1.0))
            raise interruption()
        assert ffmpeg_children() == []
    assert old.read_bytes() == b"the previous render"
    assert not fresh.exists()
    assert leftovers(tmp_path) == []
    assert metadata_files() == metadata_before


@pytest.mark.parametrize("name", FORMATS)
def test_empty_track_is_refused(tmp_path: Path, name: str) -> None:
    with (
        pytest.raises(RenderFailed, match="the track is empty"),
        open_sink(tmp_path / name, MP3_INFO),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", FORMATS)
def test_bad_blocks_are_refused(tmp_path: Path, name: str) -> None:
    bad_blocks = [
        np.zeros((10,), np.float32),
        np.zeros((10, 1), np.float32),
        np.zeros((10, 2), np.int16),
        np.full((10, 2), np.nan, np.float32),
    ]
    with open_sink(tmp_path / name, TrackInfo("T")) as sink:
        for block in bad_blocks:
            with pytest.raises(ValueError):
                sink.write(block)
        sink.write(np.zeros((10, 2), np.float64))
    assert sink.samples_written == 10
    with pytest.raises(RuntimeError):
        sink.write(np.zeros((10, 2), np.float32))
    with pytest.raises(RuntimeError), sink:
        pass


def test_ffmpeg_killed_mid_write_is_render_failed(tmp_path: Path) -> None:
    target = tmp_path / "a.mp3"
    target.write_bytes(b"old")
    with (
        pytest.raises(RenderFailed, match="ffmpeg was stopped by SIGKILL") as raised,
        open_sink(target, MP3_INFO) as sink,
    ):
        sink.write(noise(1.0))
        (pid,) = ffmpeg_children()
        assert os.getpgid(pid) != os.getpgid(0)  # a terminal's Ctrl-C reaches only the sink
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            sink.write(noise(1.0))
    assert raised.value.exit_code == 1
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []
    assert ffmpeg_children() == []


def test_ffmpeg_killed_before_the_end_is_render_failed(tmp_path: Path) -> None:
    with (
        pytest.raises(RenderFailed, match="ffmpeg was stopped by SIGKILL"),
        open_sink(tmp_path / "a.mp3", MP3_INFO) as sink,
    ):
        sink.write(noise(0.5))
        (pid,) = ffmpeg_children()
        os.kill(pid, signal.SIGKILL)
    assert list(tmp_path.iterdir()) == []


def test_ffmpeg_error_is_render_failed_with_its_message(tmp_path: Path) -> None:
    target = tmp_path / "a.mp3"
    target.write_bytes(b"old")
    sink = Mp3Sink(target, MP3_INFO, ffmpeg=find_ffmpeg(), bitrate_kbps=-5)
    with pytest.raises(RenderFailed) as raised, sink:
        for _ in range(100):
            sink.write(noise(1.0))
    lines = str(raised.value).splitlines()
    assert lines[0] == f"ffmpeg failed (exit status 1) while encoding {target}"
    assert any("out of range" in line for line in lines[1:])
    assert len(lines) <= 6
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


FULL_DISK = """
import resource, signal, sys, numpy as np
from pathlib import Path
from coreg_audio.errors import RenderFailed
from coreg_audio.output.sinks import open_sink, TrackInfo
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))
block = (0.1 * np.random.default_rng(0).standard_normal((44100, 2))).astype(np.float32)
try:
    with open_sink(Path(sys.argv[1]), TrackInfo("t")) as sink:
        for _ in range(10):
            sink.write(block)
except RenderFailed as error:
    print(error)
"""


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a.wav", r"cannot write .*a\.wav: File too large"),
        ("a.mp3", "ffmpeg was stopped by SIGXFSZ"),
    ],
)
def test_file_size_limit_is_render_failed(tmp_path: Path, name: str, message: str) -> None:
    result = run_python(FULL_DISK, str(tmp_path / name))
    assert result.returncode == 0, result.stderr
    assert re.match(message, result.stdout)
    assert list(tmp_path.iterdir()) == []


CTRL_C = """
import os, sys, numpy as np
from pathlib import Path
from coreg_audio.output.sinks import open_sink, TrackInfo
block = np.zeros((4410, 2), np.float32)
with open_sink(Path(sys.argv[1]), TrackInfo("t", comment="c")) as sink:
    sink.write(block)
    me = os.getpid()
    children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
    print("writing", *children, flush=True)
    while True:
        sink.write(block)
"""


@pytest.mark.parametrize("name", FORMATS)
def test_ctrl_c_in_a_terminal_leaves_nothing_half_written(tmp_path: Path, name: str) -> None:
    """SIGINT to the whole foreground process group, as a terminal sends it."""
    target = tmp_path / name
    target.write_bytes(b"old")
    process = subprocess.Popen(
        [sys.executable, "-c", CTRL_C, str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    first_word, *children = process.stdout.readline().split()
    assert first_word == "writing"
    assert len(children) == (0 if name.endswith(".wav") else 1)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGINT
    assert "KeyboardInterrupt" in stderr and "RenderFailed" not in stderr
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]


# --- cover art, track numbers, M4A and Opus ----------------------------------------------------


def cover() -> bytes:
    from coreg_audio.output.cover import cover_png
    from coreg_audio.timeline.compile import compile_timeline

    from .conftest import FakeSpeech, script_from

    box = script_from("title: Box\nsteps:\n  - breathe: {cycles: 4, pattern: 4-4-4-4}\n")
    return cover_png(compile_timeline(box, FakeSpeech()))


ALBUM_INFO = TrackInfo(
    title=MP3_INFO.title,
    artist=MP3_INFO.artist,
    album="Abend",
    comment=MP3_INFO.comment,
    chapters=MP3_CHAPTERS,
    track=(3, 12),
    cover_png=cover(),
)


ALBUM_FORMATS = [".mp3", ".m4a", ".opus"]


@pytest.fixture(scope="module")
def album_tracks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("album")
    covers_before = cover_files()
    for suffix in ALBUM_FORMATS:
        write_all(folder / f"box{suffix}", ALBUM_INFO, mp3_track())
    assert cover_files() == covers_before
    return {suffix: folder / f"box{suffix}" for suffix in ALBUM_FORMATS}


def cover_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("coreg-audio-*.png"))


def probe_tags(path: Path) -> dict[str, str]:
    """Tags as ffprobe reports them: on the container, or on the stream for Ogg."""
    probe = ffprobe(path)
    tags = dict(probe["format"].get("tags", {}))
    tags.update(probe["streams"][0].get("tags", {}))
    return {key.lower(): value for key, value in tags.items()}


@pytest.mark.parametrize("suffix", ALBUM_FORMATS)
def test_every_format_carries_its_tags_and_track_number(
    album_tracks: dict[str, Path], suffix: str
) -> None:
    tags = probe_tags(album_tracks[suffix])
    assert (tags["title"], tags["artist"], tags["album"], tags["track"]) == (
        ALBUM_INFO.title,
        ALBUM_INFO.artist,
        "Abend",
        "3/12",
    )
    comment = tags.get("comment") or tags.get("description")
    assert comment == ALBUM_INFO.comment


@pytest.mark.parametrize("number", [(4, 12), (10, 100)])
def test_renumbering_gives_the_bytes_of_a_fresh_render(
    album_tracks: dict[str, Path], tmp_path: Path, number: tuple[int, int]
) -> None:
    renumbered = tmp_path / "renumbered.mp3"
    shutil.copyfile(album_tracks[".mp3"], renumbered)
    renumber_mp3(renumbered, number)
    fresh = tmp_path / "fresh.mp3"
    write_all(fresh, dataclasses.replace(ALBUM_INFO, track=number), mp3_track())
    assert renumbered.read_bytes() == fresh.read_bytes()
    assert probe_tags(renumbered)["track"] == f"{number[0]}/{number[1]}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.mp3", "renumbered.mp3"]


def test_renumbering_a_file_it_did_not_write_leaves_it_alone(tmp_path: Path) -> None:
    track = tmp_path / "t.mp3"
    for content, words in [
        (b"not an mp3 at all", "no plain ID3v2.3 tag"),
        (
            b"ID3\x03\x00\x00\x00\x00\x00\x0aTIT2\x00\x00\x00\x00\x00\x00",
            "no track number to change",
        ),
    ]:
        track.write_bytes(content)
        with pytest.raises(RenderFailed, match=re.escape(words)):
            renumber_mp3(track, (2, 3))
        assert track.read_bytes() == content
        assert [p.name for p in tmp_path.iterdir()] == ["t.mp3"]


@pytest.mark.parametrize("suffix", ALBUM_FORMATS)
def test_every_format_carries_its_chapters_in_time_order(
    album_tracks: dict[str, Path], suffix: str
) -> None:
    chapters = ffprobe(album_tracks[suffix])["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [c.title for c in MP3_CHAPTERS]
    starts = [round(float(c["start_time"]) * 1000) for c in chapters]
    assert starts == [expected_ms(c.start_samples) for c in MP3_CHAPTERS]


@pytest.mark.parametrize("suffix", ALBUM_FORMATS)
def test_every_format_decodes_to_the_whole_track(
    album_tracks: dict[str, Path], suffix: str
) -> None:
    """As long as the track, up to the last AAC frame's padding (1024 samples)."""
    decoded = decode(album_tracks[suffix])
    assert 0 <= len(decoded) - len(mp3_track()) <= 1024
    onset = int(np.argmax(np.abs(decoded[:, 0]) > 0.2))
    assert abs(onset - BURST_AT) < SR // 100


@pytest.mark.parametrize("suffix", ALBUM_FORMATS)
def test_mutagen_finds_the_cover_art(album_tracks: dict[str, Path], suffix: str) -> None:
    from mutagen.flac import Picture
    from mutagen.mp4 import MP4, MP4Cover
    from mutagen.oggopus import OggOpus

    path = album_tracks[suffix]
    if suffix == ".mp3":
        (picture,) = ID3(path).getall("APIC")
        assert (picture.type, picture.mime, picture.data) == (3, "image/png", ALBUM_INFO.cover_png)
    elif suffix == ".m4a":
        (art,) = MP4(path).tags["covr"]  # type: ignore[index]
        assert (art.imageformat, bytes(art)) == (MP4Cover.FORMAT_PNG, ALBUM_INFO.cover_png)
    else:
        (block,) = OggOpus(path)["metadata_block_picture"]  # type: ignore[index]
        picture = Picture(base64.b64decode(block))
        assert (picture.type, picture.mime, picture.width, picture.height, picture.data) == (
            3,
            "image/png",
            600,
            600,
            ALBUM_INFO.cover_png,
        )


def test_mp3_with_cover_keeps_one_valid_comment_and_passes_mp3val(
    album_tracks: dict[str, Path],
) -> None:
    path = album_tracks[".mp3"]
    tags = ID3(path)
    (comm,) = tags.getall("COMM")
    assert (comm.desc, comm.lang, comm.text) == ("", "und", [ALBUM_INFO.comment])
    assert tags.getall("TXXX") == []
    assert tags["TRCK"].text == ["3/12"]
    chaps = [frame for frame in tags.values() if frame.FrameID == "CHAP"]
    assert [chap.start_time for chap in chaps] == sorted(chap.start_time for chap in chaps)
    (toc,) = tags.getall("CTOC")
    assert toc.child_element_ids == [chap.element_id for chap in chaps]
    result = subprocess.run(["mp3val", str(path)], capture_output=True, text=True)
    assert not [
        line for line in result.stdout.splitlines() if line.startswith(("WARNING", "ERROR"))
    ], result.stdout


def test_m4a_is_aac_and_opus_is_48k_opus(tmp_path: Path) -> None:
    for name, codec, rate in (("a.m4a", "aac", "44100"), ("a.opus", "opus", "48000")):
        write_all(tmp_path / name, TrackInfo("T"), noise(1.0), bitrate_kbps=128)
        (stream,) = [s for s in ffprobe(tmp_path / name)["streams"] if s["codec_type"] == "audio"]
        assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == (codec, rate, 2)


def test_m4a_refuses_bitrates_its_encoder_clicks_at(tmp_path: Path) -> None:
    check_bitrate(64)
    check_bitrate(128, ".m4a")
    with pytest.raises(UsageError, match=r"\.m4a track needs --bitrate 128 or more"):
        check_bitrate(96, ".m4a")
    with pytest.raises(UsageError):
        check_output(tmp_path / "a.m4a", bitrate_kbps=64)
    assert list(tmp_path.iterdir()) == []


def test_cover_must_be_a_png() -> None:
    with pytest.raises(ValueError, match="PNG"):
        TrackInfo("T", cover_png=b"\xff\xd8 a jpeg")


def test_flac_picture_block_layout() -> None:
    png = cover()
    block = base64.b64decode(flac_picture(png))
    assert block[:4] == (3).to_bytes(4, "big")
    assert block[4:8] == (9).to_bytes(4, "big") and block[8:17] == b"image/png"
    assert block[-len(png) - 4 : -len(png)] == len(png).to_bytes(4, "big")
    assert block.endswith(png)
