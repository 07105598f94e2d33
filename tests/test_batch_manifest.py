"""The manifest of a folder of tracks, and the key that decides whether a track is made again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coreg_audio import practice
from coreg_audio.format.overrides import Overrides
from coreg_audio.library import Found
from coreg_audio.output import batch_manifest
from coreg_audio.output.batch_manifest import MANIFEST_FORMAT, Manifest, track_key
from coreg_audio.output.index_page import PageFacts
from coreg_audio.output.render import RenderOptions
from coreg_audio.speech.piper_voices import VOICES_ENV, find_voice

FACTS = PageFacts("Sit & breathe.", "4-6", "data:image/jpeg;base64,AAAA")


def test_the_key_changes_with_everything_that_decides_the_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rain.wav").write_bytes(b"RIFF one")
    script_path = tmp_path / "p.yaml"
    script_path.write_text("title: P\nambience: {sound: rain.wav}\nsteps:\n  - say: Hi.\n")
    found = Found("p", script_path, "test")

    class Versions:
        version = "espeak-ng 1"

        def of(self, engine: str) -> str:
            return f"{engine} {self.version}"

    versions = Versions()

    def key(
        render: RenderOptions | None = None,
        overrides: Overrides | None = None,
        sounds: str = "sounds",
        suffix: str = ".mp3",
    ) -> str:
        overrides = overrides or Overrides()
        script = practice.load_found(found, overrides)
        return track_key(
            found,
            script,
            render or RenderOptions(),
            overrides,
            sounds,
            versions,  # type: ignore[arg-type]
            suffix,
        )

    base = key()
    assert key() == base
    assert key(RenderOptions(track=(3, 9))) == base, "the number is kept beside the key"
    variants = [
        key(RenderOptions(seed=2)),
        key(RenderOptions(bitrate_kbps=192)),
        key(RenderOptions(album="A")),
        key(overrides=Overrides(pace="5-5")),
        key(overrides=Overrides(rate_wpm=120)),
        key(sounds="other"),
        key(suffix=".m4a"),
    ]
    versions.version = "espeak-ng 2"
    variants.append(key())
    versions.version = "espeak-ng 1"
    (tmp_path / "rain.wav").write_bytes(b"RIFF two")
    variants.append(key())
    (tmp_path / "rain.wav").write_bytes(b"RIFF one")
    joe = find_voice("en_US-joe-medium")
    assert joe is not None
    shadow = tmp_path / "voices"
    shadow.mkdir()
    (shadow / joe.model.name).symlink_to(joe.model)
    (shadow / joe.config.name).write_text(joe.config.read_text() + "\n")
    monkeypatch.setenv(VOICES_ENV, str(shadow))
    variants.append(key())  # the same voice id, another file: another key
    monkeypatch.delenv(VOICES_ENV)
    monkeypatch.setattr(batch_manifest, "__version__", "99.0")
    variants.append(key())
    monkeypatch.undo()
    script_path.write_text(script_path.read_text() + "\n")
    variants.append(key())
    assert len({base, *variants}) == len(variants) + 1


def test_an_entry_is_current_only_with_its_key_and_unchanged_files(tmp_path: Path) -> None:
    track, lyrics = tmp_path / "a.mp3", tmp_path / "a.lrc"
    track.write_bytes(b"mp3 bytes")
    lyrics.write_bytes(b"[00:00.00]Hi")
    manifest = Manifest.read(tmp_path / "manifest.json")
    assert manifest.tracks == {}
    manifest.record("a", "key-1", (1, 2), "A", 44100, FACTS, [track, lyrics])
    manifest.write()
    again = Manifest.read(tmp_path / "manifest.json")
    entry = again.current("a", "key-1", tmp_path)
    assert entry is not None and (entry["title"], entry["track"]) == ("A", [1, 2])
    assert PageFacts(**entry["page"]) == FACTS
    assert again.current("a", "key-2", tmp_path) is None
    assert again.current("b", "key-1", tmp_path) is None
    again.tracks["a"]["page"] = {"summary": "s"}
    assert again.current("a", "key-1", tmp_path) is None, "an entry from before the pages"
    lyrics.write_bytes(b"[00:00.00]Hello")
    assert Manifest.read(tmp_path / "manifest.json").current("a", "key-1", tmp_path) is None


def test_a_manifest_of_another_format_or_unreadable_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": MANIFEST_FORMAT - 1, "tracks": {"a": {}}}))
    assert Manifest.read(path).tracks == {}
    path.write_text("{not json")
    assert Manifest.read(path).tracks == {}


def test_an_unchanged_manifest_is_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    Manifest.read(path).write()
    assert not path.exists()
    manifest = Manifest.read(path)
    manifest.tracks["a"] = {"key": "k"}
    manifest.write()
    written = path.stat().st_mtime_ns
    Manifest.read(path).write()
    assert path.stat().st_mtime_ns == written


def test_pruning_deletes_only_the_files_it_recorded(tmp_path: Path) -> None:
    kept, gone, foreign = tmp_path / "kept.mp3", tmp_path / "gone.mp3", tmp_path / "mine.mp3"
    for path in (kept, gone, foreign):
        path.write_bytes(b"x")
    manifest = Manifest.read(tmp_path / "manifest.json")
    manifest.record("kept", "k", (1, 2), "Kept", 1, FACTS, [kept])
    manifest.record("gone", "k", (2, 2), "Gone", 1, FACTS, [gone])
    manifest.tracks["gone"]["files"]["../outside.mp3"] = 1
    assert manifest.prune({"kept"}, tmp_path) == (gone,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.mp3", "mine.mp3"]
    assert set(manifest.tracks) == {"kept"}
