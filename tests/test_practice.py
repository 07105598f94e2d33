"""The library's front door: every problem at once, and listing reports its progress."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from coreg_audio.errors import OptionError, ScriptError
from coreg_audio.format.loader import parse_script_bytes
from coreg_audio.format.overrides import Overrides
from coreg_audio.library import available
from coreg_audio.practice import check_ambience, check_script, checked_script, list_practices
from coreg_audio.speech import Speaker


def problems_of(text: str, overrides: Overrides | None = None) -> list[str]:
    body = textwrap.dedent(text).lstrip("\n").encode()
    with pytest.raises(ScriptError) as caught:
        checked_script(parse_script_bytes(body, Path("t.yaml"), "t.yaml"), "t", overrides)
    return [f"{p.line}:{p.column} {p.message}" for p in caught.value.problems]


def test_reading_and_checking_problems_come_together() -> None:
    found = problems_of("""
        title: T
        voices: {soft: {pitch: 20}}
        steps:
          - sya: Hello
          - say: "Hi {c}"
          - say: {text: Hey, voice: sofft}
          - bell: {strikes: 0}
    """)
    assert [line.split(" ", 1)[0] for line in found] == ["4:5", "5:14", "6:29", "7:21"]
    assert "placeholder {c} has no value" in found[1]
    assert "did you mean 'soft'" in found[2]


def test_checks_do_not_lean_on_a_key_that_was_wrong() -> None:
    found = problems_of("""
        title: T
        params: {a: [1, 2]}
        voices: {soft: {pitch: 500}}
        steps:
          - say: "Hi {a}"
          - say: {text: Hey, voice: soft}
    """)
    assert len(found) == 2, found
    assert found[0].startswith("2:13 ") and found[1].startswith("3:24 ")


def test_an_unknown_top_level_key_leaves_the_cross_checks_out() -> None:
    found = problems_of("""
        title: T
        parms: {a: Sam}
        steps:
          - say: "Hi {a}"
    """)
    assert found == ["2:1 unknown key 'parms' in the script; did you mean 'params'?"]


def test_overrides_count_when_a_script_with_problems_is_checked() -> None:
    found = problems_of(
        """
        title: T
        steps:
          - say: "Hi {c}"
          - pause: -1
    """,
        Overrides(params={"c": "Sam"}),
    )
    assert len(found) == 1 and found[0].startswith("4:12 "), found


def test_listing_speaks_nothing_and_marks_lengths_it_estimated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COREG_AUDIO_CACHE_DIR", str(tmp_path / "empty-cache"))

    def no_speaking(*_: object) -> None:
        raise AssertionError("listing synthesized speech")

    monkeypatch.setattr(Speaker, "_synthesize", no_speaking)
    monkeypatch.setattr(Speaker, "prepare", no_speaking)
    rows = list_practices()
    assert {row.name for row in rows} >= {"breath-sync", "arriving"}
    for row in rows:
        assert row.problem is None and row.estimated and row.to_json()["estimated"] is True
        assert row.duration_samples is not None and row.duration_samples > 0


@pytest.mark.slow
def test_listing_reports_each_practice_then_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow only when the speech cache is cold: listing speaks every practice once."""
    monkeypatch.setenv("COREG_AUDIO_PATH", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "broken.yaml").write_text("title: Broken\nsteps: []\n")
    calls: list[tuple[str, int, int]] = []
    rows = list_practices(lambda stage, done, total: calls.append((stage, done, total)))
    total = len(available())
    assert len(rows) == total
    assert calls == [("practices", done, total) for done in range(total + 1)]
    broken = next(row for row in rows if row.name == "broken")
    assert broken.problem is not None and broken.problem.endswith("add at least one step")
    assert broken.to_json()["valid"] is False


def _long_claiming_flac(path: Path, hours: int) -> Path:
    """Two seconds of FLAC whose header claims ``hours``: what ffprobe reads as its length."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
         "sine=frequency=440:sample_rate=8000:duration=2", str(path)],
        check=True,
    )  # fmt: skip
    data = bytearray(path.read_bytes())
    field = 8 + 10  # "fLaC", the block header, then STREAMINFO's rate, channels, bits, samples
    packed = int.from_bytes(data[field : field + 8], "big")
    packed = (packed & ~((1 << 36) - 1)) | (8000 * 3600 * hours)
    data[field : field + 8] = packed.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    return path


def _ambience_files(folder: Path) -> dict[str, str]:
    """Files that are not usable ambience, each with the words its problem must hold."""
    (folder / "junk.wav").write_bytes(b"RIFF, but not really a WAV file at all")
    (folder / "empty.ogg").write_bytes(b"")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo",
         "-t", "5", str(folder / "silent.flac")],
        check=True,
    )  # fmt: skip
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=0.2",
         str(folder / "blip.mp3")],
        check=True,
    )  # fmt: skip
    _long_claiming_flac(folder / "endless.flac", 20)
    return {
        "junk.wav": "cannot be decoded: ffmpeg cannot read it as audio",
        "empty.ogg": "is empty (0 bytes)",
        "silent.flac": "is silent",
        "blip.mp3": "is too short",
        "endless.flac": "lasts 20:00:00; an ambience file may last at most 12:00:00",
    }


def test_validate_checks_an_ambience_file_at_its_sound_line(tmp_path: Path) -> None:
    for name, words in _ambience_files(tmp_path).items():
        script = tmp_path / f"{name}.yaml"
        script.write_text(
            f"title: T\nambience:\n  level: -20\n  sound: {name}\nsteps: [{{pause: 1}}]\n"
        )
        lines = check_script(str(script))
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"{script}:4:10: error: ambience '{name}' "), lines[0]
        assert words in lines[0], lines[0]


def test_an_ambience_given_for_one_run_is_an_option_error(tmp_path: Path) -> None:
    (tmp_path / "junk.wav").write_bytes(b"not audio")
    script = checked_script(
        parse_script_bytes(b"title: T\nsteps: [{pause: 1}]\n", tmp_path / "t.yaml", "t.yaml"),
        "t",
        Overrides(ambience=str(tmp_path / "junk.wav"), names={"ambience": "--ambience"}),
    )
    with pytest.raises(OptionError) as caught:
        check_ambience(script)
    assert str(caught.value).startswith(f"--ambience {tmp_path / 'junk.wav'}: cannot be decoded")


ONE_OF_EACH = (
    "title: One mistake of each kind\n"
    "sumary: a misspelt key\n"
    "ambience: nothere.wav\n"
    "steps:\n"
    "  - say: {a}, notice your breath.\n"
    "  - say: Here: now we rest\n"
    "  - breathe:\n"
    "\t cycles: 2\n"
    "  - say: Hello {b}\n"
    "   - bell: 1\n"
    "  - breathe:\n"
    "      cycles: 2\n"
    "      pattern: 1-1\n"
    "      cues: {inhale: Breathe in slowly and deeply through the nose together}\n"
)


@pytest.mark.slow
def test_validate_reports_one_mistake_of_each_kind_in_one_run(tmp_path: Path) -> None:
    """Syntax, key, sound file, placeholder and fit (real speech) problems, all at once."""
    script = tmp_path / "each.yaml"
    script.write_text(ONE_OF_EACH)
    calls: list[tuple[str, int, int]] = []
    lines = check_script(str(script), lambda *call: calls.append(call))
    where = [line.split(": error: ")[0].rsplit(":", 2)[1] for line in lines]
    assert where == ["2", "3", "5", "6", "8", "9", "10", "14"], lines
    found = "\n".join(lines)
    for words in (
        "did you mean 'summary'",
        "'nothere.wav' is neither a built-in ambience",
        "words that start with '{' need quotes",
        "hold ': ' (a colon and a space)",
        "indented with a tab",
        "the placeholder {b} has no value",
        "start every '- ' of a list at the same column",
        "lengthen the inhale phase (the step's 'pattern')",
    ):
        assert words in found, words
    assert calls and calls[-1][0] == "speech" and calls[-1][1] == calls[-1][2]
