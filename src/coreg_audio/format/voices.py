"""Voices: the engine, its voice id, rate, pitch and volume, each key once.

A key a voice does not write is taken from the outer voice (a step's from the
script's), and at last from the defaults here, which the compiler resolves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..speech.voice import DEFAULT_ENGINE, DEFAULT_RATE_WPM, ENGINE_NAMES
from .keys import Key
from .model import Voice, VoiceRef
from .nodes import NodeReader, loc_of
from .values import Choice, Name, Schema, Value, real, ref, whole

ENGINES = Choice(ENGINE_NAMES)
RATES = whole(80, 300)
ENGINE: Key[str] = Key("engine", ENGINES, "the speech engine", default=DEFAULT_ENGINE)
RATE: Key[int] = Key("rate", RATES, "words a minute", default=DEFAULT_RATE_WPM)
VOLUME: Key[float] = Key(
    "volume",
    real(0, 1),
    "loudness of this voice in the mix, 1 is full",
    default=1.0,
    show_default=False,
)
VOICE_KEYS: tuple[Key[Any], ...] = (
    ENGINE,
    Key(
        "name",
        Name(),
        "the engine's voice id, as 'coreg-audio voices' lists them; "
        "ID+VARIANT picks an espeak-ng variant",
    ),
    RATE,
    Key("pitch", whole(0, 100), "voice pitch"),
    VOLUME,
)
"""A voice's keys; a key not written is taken from the outer voice, then the default here."""


@dataclass(frozen=True)
class VoiceValue(Value[Voice]):
    """A voice mapping: engine, name, rate, pitch, volume."""

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> Voice | None:
        entries = reader.mapping(node, what, [key.name for key in VOICE_KEYS], depth)
        if entries is None:
            return None
        engine, name, rate, pitch, volume = (
            key.value.read(reader, entries[key.name].value, f"{what} '{key.name}'", depth + 1)
            if key.name in entries
            else None
            for key in VOICE_KEYS
        )
        return Voice(loc_of(node), engine, name, rate, pitch, volume)

    def schema(self, doc: str, default: object = None) -> Schema:
        return ref("voice")


def voice_schema() -> Schema:
    """The shared definition a voice's ``$ref`` points to."""
    return {
        "type": "object",
        "description": "a voice: " + ", ".join(key.name for key in VOICE_KEYS),
        "properties": {key.name: key.schema() for key in VOICE_KEYS},
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class VoiceChoice(Value[Voice | VoiceRef]):
    """A step's ``voice``: a name from ``voices``, or a voice of its own.

    Read with ``what`` naming the step ("step 3 (say)"), as its messages say
    "'voice' in step 3 (say)" of a name and "the voice of step 3 (say)" of a voice.
    """

    def read(
        self, reader: NodeReader, node: yaml.Node, what: str, depth: int
    ) -> Voice | VoiceRef | None:
        if isinstance(node, yaml.ScalarNode):
            name = reader.plain_string(node, f"'voice' in {what}", depth)
            return VoiceRef(name, loc_of(node)) if name else None
        return VoiceValue().read(reader, node, f"the voice of {what}", depth)

    def schema(self, doc: str, default: object = None) -> Schema:
        return {"description": doc, "anyOf": [{"type": "string"}, ref("voice")]}
