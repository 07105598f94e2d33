"""The espeak-ng program as a speech engine: one short process per clip, text on stdin.

Text goes through ``--stdin`` so a text that starts with "-" is never read as a flag.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .. import leftovers
from ..errors import MissingComponent, RenderFailed
from .engine import (
    NEEDS_ESPEAK,
    VARIANT_LANGUAGE,
    EngineAudio,
    VoiceInfo,
    decode_audio_file,
    resolve_voice,
)
from .voice import VoiceSettings

PROGRAM = "espeak-ng"
TIMEOUT_S = 60.0

_VOICE_LINE = re.compile(
    r"^\s*(?P<priority>\d+)\s+(?P<language>\S+)\s+\S*/(?P<gender>\S)\s+(?P<name>\S+)\s+"
    r"(?P<file>.+?)\s*(?P<others>(?:\(\S+ \d+\)\s*)*)$"
)
"""File names may hold spaces ("!v/Mr serious"); voice names have "_" for spaces."""
_OTHER_LANGUAGE = re.compile(r"\((\S+) (\d+)\)")
_GENDERS = {"M": "male", "F": "female"}


def parse_voice_list(listing: str) -> list[VoiceInfo]:
    """Voices from ``espeak-ng --voices[=LANG]`` output; "_" in names becomes a space."""
    found: list[VoiceInfo] = []
    for line in listing.splitlines()[1:]:
        match = _VOICE_LINE.match(line)
        if match is None:
            continue
        others = _OTHER_LANGUAGE.findall(match["others"])
        found.append(
            VoiceInfo(
                id=match["file"],
                name=match["name"].replace("_", " ").strip(),
                languages=(match["language"].lower(), *(lang.lower() for lang, _ in others)),
                gender=_GENDERS.get(match["gender"]),
                priorities=(int(match["priority"]), *(int(p) for _, p in others)),
            )
        )
    return found


class EspeakEngine:
    """Speaks with the ``espeak-ng`` program (22050 Hz mono WAV)."""

    def __init__(self, program: str = PROGRAM, timeout_s: float = TIMEOUT_S) -> None:
        self._program = program
        self._timeout_s = timeout_s
        self._version: str | None = None
        self._voices: list[VoiceInfo] | None = None

    @property
    def name(self) -> str:
        return "espeak"

    def version(self) -> str:
        if self._version is None:
            out = self._run(["--version"])
            match = re.search(r"text-to-speech:\s*(\S+)", out)
            self._version = f"espeak-ng {match[1] if match else out.strip()}"
        return self._version

    def voices(self) -> list[VoiceInfo]:
        if self._voices is None:
            self._voices = parse_voice_list(self._run(["--voices"])) + parse_voice_list(
                self._run([f"--voices={VARIANT_LANGUAGE}"])
            )
        return self._voices

    def synthesize(self, text: str, voice: VoiceSettings) -> EngineAudio:
        spec = resolve_voice(self.voices(), voice)
        args = ["-v", spec, "-s", str(voice.rate_wpm), "-b", "1", "--stdin"]
        if voice.pitch is not None:
            args += ["-p", str(voice.pitch)]
        with tempfile.TemporaryDirectory(prefix=leftovers.temp_prefix("espeak")) as folder:
            held = leftovers.hold(Path(folder))
            try:
                out = Path(folder) / "speech.wav"
                self._run([*args, "-w", str(out)], stdin=text)
                if not out.is_file():
                    raise RenderFailed(f"{PROGRAM} wrote no audio for {text!r}")
                return decode_audio_file(out)
            finally:
                held.release()

    def close(self) -> None:
        """Nothing to release: each clip is its own process."""

    def _run(self, args: list[str], stdin: str = "") -> str:
        path = shutil.which(self._program)
        if path is None:
            raise MissingComponent(f"the espeak speech engine needs espeak-ng: {NEEDS_ESPEAK}")
        try:
            done = subprocess.run(
                [path, *args],
                input=stdin.encode("utf-8"),
                capture_output=True,
                timeout=self._timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RenderFailed(f"{PROGRAM} did not finish within {self._timeout_s:g} s") from exc
        except OSError as exc:
            raise MissingComponent(f"cannot run {path} ({exc}): {NEEDS_ESPEAK}") from exc
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = reason[-1] if reason else f"exit status {done.returncode}"
            raise RenderFailed(f"{PROGRAM} failed: {detail}")
        return done.stdout.decode("utf-8", "replace")
