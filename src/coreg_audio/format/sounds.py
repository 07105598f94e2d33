"""What sounds under the words: the ambience and the breath tones, each key once."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from ..names import author_path
from .keys import Key
from .model import TONE_STYLES, Ambience, Loc, Script, Tones, ToneStyle
from .nodes import NodeReader, loc_of
from .values import Choice, Schema, Value, real, seconds

BUILT_IN_AMBIENCES: tuple[str, ...] = ("ocean", "rain", "brown-noise", "pink-noise")
"""The generated ambiences (``audio.ambience_generated`` makes them)."""
NO_AMBIENCE = "none"


@dataclass(frozen=True)
class Sound(Value[str]):
    """A built-in ambience, ``none``, or a file beside the script."""

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> str | None:
        return reader.plain_string(node, what, depth)

    def schema(self, doc: str, default: object = None) -> Schema:
        return {
            "description": doc,
            "anyOf": [{"enum": [*BUILT_IN_AMBIENCES, NO_AMBIENCE]}, {"type": "string"}],
        }


SOUND: Key[str] = Key(
    "sound", Sound(), "a built-in sound, 'none', or an audio file beside the script"
)
AMBIENCE_LEVEL: Key[float] = Key(
    "level", real(-60, 0, unit="dB"), "dB relative to speech", default=-20.0
)
DUCK: Key[float] = Key(
    "duck", real(0, 40, unit="dB"), "dB taken off while speech plays", default=6.0
)
FADE: Key[Fraction] = Key("fade", seconds(0, 600), "fade in and out; default: lead and tail")
AMBIENCE_KEYS: tuple[Key[Any], ...] = (SOUND, AMBIENCE_LEVEL, DUCK, FADE)


@dataclass(frozen=True)
class AmbienceValue(Value[Ambience]):
    """``ambience: rain`` or ``ambience: {sound: rain, level: -24}``."""

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> Ambience | None:
        if isinstance(node, yaml.ScalarNode):
            sound = SOUND.value.read(reader, node, what, depth)
            if not sound:
                return None
            return given_ambience(sound, loc_of(node), loc_of(node))
        names = [key.name for key in AMBIENCE_KEYS]
        entries = reader.mapping(node, what, names, depth, required=(SOUND.name,))
        if entries is None or SOUND.name not in entries:
            return None
        sound_node = entries[SOUND.name].value
        sound = SOUND.value.read(reader, sound_node, "ambience 'sound'", depth + 1)
        if sound is None:
            return None

        def get(key: Key[Any]) -> Any:
            if key.name not in entries:
                return key.default
            value = key.value.read(
                reader, entries[key.name].value, f"ambience '{key.name}'", depth + 1
            )
            return key.default if value is None else value

        return Ambience(
            sound=sound,
            loc=loc_of(node),
            level_db=get(AMBIENCE_LEVEL),
            duck_db=get(DUCK),
            fade_s=get(FADE),
            sound_loc=loc_of(sound_node),
        )

    def schema(self, doc: str, default: object = None) -> Schema:
        return {
            "description": doc,
            "anyOf": [
                SOUND.schema(),
                {
                    "type": "object",
                    "required": [SOUND.name],
                    "additionalProperties": False,
                    "properties": {key.name: key.schema() for key in AMBIENCE_KEYS},
                },
            ],
        }


def given_ambience(sound: str, loc: Loc, sound_loc: Loc | None = None) -> Ambience:
    """An ambience of ``sound`` with every other key at its default."""
    return Ambience(
        sound, loc, AMBIENCE_LEVEL.fallback, DUCK.fallback, FADE.default, sound_loc=sound_loc
    )


def ambience_path(script: Script) -> Path | None:
    """The file an ambience names, relative to the script's folder; None for built-ins.

    Raises ``names.UnusableName`` for a name that cannot be a path here.
    """
    ambience = script.ambience
    if ambience is None or ambience.is_none or ambience.sound in BUILT_IN_AMBIENCES:
        return None
    return author_path(ambience.sound, script.folder)


TONE_CHOICES = Choice(TONE_STYLES)
TONE_STYLE: Key[ToneStyle] = Key(
    "style",
    TONE_CHOICES,
    "glide: a soft tone through each phase; chime: a chime at each phase; none: silence",
    default="glide",
    show_default=False,
)
TONE_LEVEL: Key[float] = Key(
    "level", real(-60, 12, unit="dB"), "dB relative to speech", default=-12.0
)
TONE_PITCH: Key[float] = Key(
    "pitch", real(40, 2000, unit="Hz"), "Hz of the tone's centre", default=196.0
)
TONES_KEYS: tuple[Key[Any], ...] = (TONE_STYLE, TONE_LEVEL, TONE_PITCH)


@dataclass(frozen=True)
class TonesValue(Value[Tones]):
    """``tones: chime`` or ``tones: {style: chime, level: -6}``."""

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> Tones | None:
        if isinstance(node, yaml.ScalarNode):
            style = TONE_STYLE.value.read(reader, node, what, depth)
            if not style:
                return None
            return Tones(style, loc_of(node), TONE_LEVEL.fallback, TONE_PITCH.fallback)
        entries = reader.mapping(node, what, [key.name for key in TONES_KEYS], depth)
        if entries is None:
            return None

        def get(key: Key[Any]) -> Any:
            if key.name not in entries:
                return key.default
            value = key.value.read(
                reader, entries[key.name].value, f"tones '{key.name}'", depth + 1
            )
            return key.default if value is None else value

        return Tones(get(TONE_STYLE), loc_of(node), get(TONE_LEVEL), get(TONE_PITCH))

    def schema(self, doc: str, default: object = None) -> Schema:
        return {
            "description": doc,
            "anyOf": [
                TONE_STYLE.schema(),
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {key.name: key.schema() for key in TONES_KEYS},
                },
            ],
        }
