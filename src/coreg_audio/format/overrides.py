"""The options of one run (a pace, params, a voice, an ambience, tones) applied to a script.

Each value is checked against the format's definition, as the script's own
values are. A bad one is an ``OptionError`` that names the option as the
caller does (``names``; the command line passes its flags), and a value that
reaches the script carries that name as its place (``Loc.given``), so a
problem found later (an unknown voice) is reported against the option too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import cast

from ..errors import OptionError
from ..names import UnusableName, author_path, file_kind
from .model import Ambience, Loc, Patch, Pattern, Script, ToneStyle, Voice
from .patterns import parse_pattern_text
from .sounds import BUILT_IN_AMBIENCES, NO_AMBIENCE, TONE_CHOICES, given_ambience
from .voices import ENGINES, RATES


@dataclass(frozen=True)
class Overrides:
    pace: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    engine: str | None = None
    voice: str | None = None
    rate_wpm: int | None = None
    ambience: str | None = None
    tones: str | None = None
    met: str | None = None
    """The pace met at every ``tap`` step, as a pattern: nobody taps."""
    names: Mapping[str, str] = field(default_factory=dict)
    """How messages name each option, by field (``rate_wpm``: ``--rate``); else the field's name."""

    def apply(self, script: Script) -> Script:
        """``script`` as the options ask; their values are checked here (an ``OptionError``)."""
        patch = self.patch()
        changes: dict[str, object] = {"steps": tuple(step.patched(patch) for step in script.steps)}
        if patch.pattern is not None:
            changes["pattern"] = patch.pattern
        if patch.tone is not None:
            changes["tones"] = replace(script.tones, style=patch.tone)
        if patch.voice is not None:
            changes["voice"] = patch.voice_over(script.voice)
            changes["voices"] = {name: patch.voice_over(v) for name, v in script.voices.items()}
        met = self._met()
        if met is not None:
            changes["met"] = met
        if self.params:
            changes["params"] = {**script.params, **self.params}
        if self.ambience is not None:
            changes["ambience"] = self._ambience(script.ambience)
        return replace(script, **changes)  # type: ignore[arg-type]

    def check(self) -> None:
        """Raise the ``OptionError`` that ``apply`` would, before any script is read."""
        self.patch()
        self._met()
        if self.ambience is not None:
            self._ambience(None)

    def patch(self) -> Patch:
        """What these options change in every step."""
        return Patch(self._pattern(), self._tone_style(), self._voice_patch())

    def name(self, option: str) -> str:
        return self.names.get(option, option)

    def _pattern(self) -> Pattern | None:
        return self._given_pattern("pace", self.pace)

    def _met(self) -> Pattern | None:
        return self._given_pattern("met", self.met)

    def _given_pattern(self, option: str, text: str | None) -> Pattern | None:
        if text is None:
            return None
        try:
            return parse_pattern_text(text, Loc.given(self.name(option)))
        except ValueError as error:
            raise OptionError(self.name(option), str(error), text) from None

    def _tone_style(self) -> ToneStyle | None:
        if self.tones is None:
            return None
        if not TONE_CHOICES.allows(self.tones):
            raise OptionError(
                self.name("tones"),
                f"must be one of {TONE_CHOICES.choices_text}, not '{self.tones}'",
            )
        return cast(ToneStyle, self.tones)

    def _voice_patch(self) -> Voice | None:
        if self.engine is None and self.voice is None and self.rate_wpm is None:
            return None
        if self.engine is not None and not ENGINES.allows(self.engine):
            raise OptionError(
                self.name("engine"), f"must be one of {ENGINES.choices_text}, not '{self.engine}'"
            )
        if self.rate_wpm is not None and not RATES.allows(self.rate_wpm):
            raise OptionError(
                self.name("rate_wpm"),
                f"must be {RATES.range_text} words a minute, not {self.rate_wpm}",
            )
        return Voice(
            Loc.given(self.name("voice")),
            engine=self.engine,
            name=self.voice,
            rate_wpm=self.rate_wpm,
        )

    def _ambience(self, current: Ambience | None) -> Ambience:
        sound = self.ambience or NO_AMBIENCE
        if sound not in (*BUILT_IN_AMBIENCES, NO_AMBIENCE):
            try:
                path = author_path(sound)
                kind = file_kind(path)
            except UnusableName as reason:
                raise OptionError(self.name("ambience"), str(reason), sound) from None
            if kind != "file":
                raise OptionError(
                    self.name("ambience"),
                    f"not a built-in sound ({', '.join(BUILT_IN_AMBIENCES)}) and no such file",
                    sound,
                )
            sound = str(path)
        if current is None:
            return given_ambience(sound, Loc.given(self.name("ambience")))
        return replace(current, sound=sound)
