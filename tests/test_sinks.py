"""MP3, M4A and Opus as players read them, and ``open_sink``, which picks a file's format."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode
from scipy.signal import correlate

from coreg_audio.errors import MissingComponent, UsageError
from coreg_audio.output.formats import check_output
from coreg_audio.output.sinks import open_sink
from coreg_audio.output.tags import TrackInfo, chapter_comment
from coreg_audio.timeline.events import Chapter

from .sink_support import (
    BURST_AT,
    MP3_CHAPTERS,
    MP3_INFO,
    SR,
    cover,
    cover_files,
    decode,
    expected_ms,
    ffprobe,
    mp3_track,
    noise,
    probe_tags,
    write_all,
)


def test_open_sink_refuses_before_touching_the_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        open_sink(tmp_path / "a.aiff", TrackInfo("T"), sample_rate_hz=SR)
    with pytest.raises(UsageError):
        open_sink(tmp_path / "a.mp3", TrackInfo("T"), sample_rate_hz=SR, bitrate_kbps=100)
    with pytest.raises(UsageError, match="does not exist"):
        open_sink(tmp_path / "gone" / "a.wav", TrackInfo("T"), sample_rate_hz=SR).__enter__()
    assert list(tmp_path.iterdir()) == []


def test_without_ffmpeg_only_wav_can_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dirs = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "ffmpeg").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(dirs))
    with pytest.raises(MissingComponent, match="apt-get install ffmpeg") as raised:
        open_sink(tmp_path / "a.mp3", TrackInfo("T"), sample_rate_hz=SR)
    assert raised.value.exit_code == 3
    check_output(tmp_path / "a.wav")
    write_all(tmp_path / "a.wav", TrackInfo("T"), noise(0.1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav"]


# --- MP3 --------------------------------------------------------------------------------------


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
    assert info is not None
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
    info = MP3(path).info
    assert info is not None and info.bitrate_mode == BitrateMode.CBR


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


# --- cover art, track numbers, M4A and Opus ----------------------------------------------------


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
        (block,) = OggOpus(path)["metadata_block_picture"]
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
