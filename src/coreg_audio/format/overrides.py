"""Command-line overrides (``--pace``, ``--set``, ``--voice`` …) applied to a script."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import UsageError
from ..speech.voice import ENGINE_NAMES
from .model import (
    TONE_STYLES,
    Ambience,
    Breathe,
    Loc,
    Pattern,
    Repeat,
    Say,
    Script,
    Step,
    ToneStyle,
    Voice,
)
from .reader import BUILT_IN_AMBIENCES, parse_pattern_text


@dataclass(frozen=True)
class Overrides:
    pace: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    engine: str | None = None
    voice: str | None = None
    rate_wpm: int | None = None
    ambience: str | None = None
    tones: str | None = None

    def apply(self, script: Script) -> Script:
        """``script`` as the flags ask; flag values are checked here (a ``UsageError``)."""
        pattern = self._pattern()
        style = self._tone_style()
        voice_patch = self._voice_patch()
        steps = _patch_steps(script.steps, pattern, style, voice_patch)
        changes: dict[str, object] = {"steps": steps}
        if pattern is not None:
            changes["pattern"] = pattern
        if style is not None:
            changes["tones"] = replace(script.tones, style=style)
        if voice_patch is not None:
            changes["voice"] = _patched(voice_patch, script.voice)
            changes["voices"] = {
                name: _patched(voice_patch, v) for name, v in script.voices.items()
            }
        if self.params:
            changes["params"] = {**script.params, **self.params}
        if self.ambience is not None:
            changes["ambience"] = self._ambience(script.ambience)
        return replace(script, **changes)  # type: ignore[arg-type]

    def check(self) -> None:
        """Raise the UsageError ``apply`` would, before any script is read."""
        self._pattern()
        self._tone_style()
        self._voice_patch()
        if self.ambience is not None:
            self._ambience(None)

    def _pattern(self) -> Pattern | None:
        if self.pace is None:
            return None
        try:
            return parse_pattern_text(self.pace, Loc(0, 0))
        except ValueError as error:
            raise UsageError(f"--pace {self.pace}: {error}") from None

    def _tone_style(self) -> ToneStyle | None:
        if self.tones is None:
            return None
        if self.tones not in TONE_STYLES:
            raise UsageError(f"--tones must be one of {', '.join(TONE_STYLES)}, not '{self.tones}'")
        return self.tones

    def _voice_patch(self) -> Voice | None:
        if self.engine is None and self.voice is None and self.rate_wpm is None:
            return None
        if self.engine is not None and self.engine not in ENGINE_NAMES:
            raise UsageError(
                f"--engine must be one of {', '.join(ENGINE_NAMES)}, not '{self.engine}'"
            )
        if self.rate_wpm is not None and not 80 <= self.rate_wpm <= 300:
            raise UsageError(f"--rate must be from 80 to 300 words a minute, not {self.rate_wpm}")
        return Voice(loc=Loc(0, 0), engine=self.engine, name=self.voice, rate_wpm=self.rate_wpm)

    def _ambience(self, current: Ambience | None) -> Ambience:
        sound = self.ambience or "none"
        if sound not in (*BUILT_IN_AMBIENCES, "none"):
            path = Path(sound).expanduser().resolve()
            if not path.is_file():
                raise UsageError(
                    f"--ambience {sound}: not a built-in sound "
                    f"({', '.join(BUILT_IN_AMBIENCES)}) and no such file"
                )
            sound = str(path)
        if current is None:
            return Ambience(sound=sound, loc=Loc(0, 0))
        return replace(current, sound=sound)


def _patched(patch: Voice, voice: Voice) -> Voice:
    """``voice`` with the flags' fields; it keeps its place unless ``--voice`` renamed it."""
    merged = patch.over(voice)
    return merged if patch.name is not None else replace(merged, loc=voice.loc)


def _patch_steps(
    steps: tuple[Step, ...], pattern: Pattern | None, style: ToneStyle | None, voice: Voice | None
) -> tuple[Step, ...]:
    patched: list[Step] = []
    for step in steps:
        if isinstance(step, Breathe):
            if pattern is not None:
                step = replace(step, pattern=pattern)
            if style is not None:
                step = replace(step, tone=style)
        elif isinstance(step, Say) and voice is not None and isinstance(step.voice, Voice):
            step = replace(step, voice=_patched(voice, step.voice))
        elif isinstance(step, Repeat):
            step = replace(step, steps=_patch_steps(step.steps, pattern, style, voice))
        patched.append(step)
    return tuple(patched)
