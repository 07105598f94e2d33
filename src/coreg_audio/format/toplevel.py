"""The script's top-level keys: the top of the format's definition.

Each key is written once, with its kind of value, range, unit, default and
doc; the reader reads them in this order, the schema lists them, and the
``Script`` record takes each one's value (or default) in the field it names.
The parts have their own modules (``patterns``, ``voices``, ``sounds``) and
the step kinds theirs (``steps``, ``breathe``, ``movement``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import yaml

from .keys import Key
from .languages import WORDED
from .model import BUILT_IN, Pattern, Tones, Voice
from .nodes import NodeReader
from .patterns import PatternValue
from .sounds import TONE_LEVEL, TONE_PITCH, TONE_STYLE, AmbienceValue, TonesValue
from .values import Named, Plain, Schema, StepList, Value, json_value, seconds, whole
from .voices import VoiceValue

FORMAT_VERSION = 1


@dataclass(frozen=True)
class FormatVersion(Value[int]):
    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> int | None:
        value = whole(1, 1000).read(reader, node, what, depth)
        if value is not None and value != FORMAT_VERSION:
            reader.problem(
                node, f"this script is format {value}; coreg-audio reads format {FORMAT_VERSION}"
            )
        return value

    def schema(self, doc: str, default: object = None) -> Schema:
        return {"const": FORMAT_VERSION, "description": doc, "default": json_value(default)}


LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class Language(Value[str]):
    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> str | None:
        word = reader.plain_string(node, what, depth)
        if word is not None and not LANGUAGE_RE.match(word):
            reader.problem(
                node, f"{what} must be a language code such as en, de or en-us, not '{word}'"
            )
            return None
        return word

    def schema(self, doc: str, default: object = None) -> Schema:
        schema: Schema = {"type": "string", "pattern": LANGUAGE_RE.pattern}
        if default is not None:
            schema["default"] = json_value(default)
        schema["examples"] = list(WORDED)
        schema["description"] = doc
        return schema


EMPTY: MappingProxyType[str, Any] = MappingProxyType({})
LANGUAGE: Key[str] = Key(
    "language",
    Language(),
    "language of the spoken text, e.g. en, de or pt-br; it chooses the default cue words "
    f"(there are words for {', '.join(WORDED)}) and the voice",
    default="en",
    field="language",
)

TOP_LEVEL: tuple[Key[Any], ...] = (
    Key("format", FormatVersion(), "format version; only 1 exists", default=FORMAT_VERSION),
    Key(
        "title",
        Plain(),
        "shown in 'list' and written as the track title",
        default="",
        field="title",
    ),
    Key(
        "summary",
        Plain(one_line=True),
        "one line, written into the track's comment",
        field="summary",
    ),
    Key("author", Plain(), "written as the track's artist", default="coreg-audio", field="author"),
    LANGUAGE,
    Key(
        "params",
        Named(Plain(), "param", "the default value of a {name} placeholder"),
        "values for {name} placeholders, e.g. a: Sam",
        default=EMPTY,
        field="params",
    ),
    Key(
        "voice",
        VoiceValue(),
        "the voice of every spoken item",
        default=Voice(BUILT_IN),
        field="voice",
    ),
    Key(
        "voices",
        Named(VoiceValue(), "voice"),
        "named voices that a say step can pick",
        default=EMPTY,
        field="voices",
    ),
    Key("ambience", AmbienceValue(), "a sound under the whole track", field="ambience"),
    Key(
        "tones",
        TonesValue(),
        "the breath tone style",
        default=Tones(TONE_STYLE.fallback, BUILT_IN, TONE_LEVEL.fallback, TONE_PITCH.fallback),
        field="tones",
    ),
    Key(
        "pattern",
        PatternValue(),
        "the pattern of a breathe step that gives none",
        default=Pattern(Fraction(4), Fraction(0), Fraction(6), Fraction(0), BUILT_IN),
        field="pattern",
    ),
    Key(
        "meet",
        PatternValue(),
        "the pace assumed for 'pattern: met' where nobody taps; default: 'pattern'",
        field="meet",
    ),
    Key("lead", seconds(0, 600), "before the first step", default=Fraction(1), field="lead_s"),
    Key("tail", seconds(0, 600), "after the last step", default=Fraction(3), field="tail_s"),
    Key(
        "gap",
        seconds(0, 600),
        "quiet after each say unless it sets 'after'",
        default=Fraction(1),
        field="gap_s",
    ),
    Key("steps", StepList(), "what happens, in order", default=(), field="steps"),
)
"""The script's keys, in the order the reader reads them and the schema lists them."""
REQUIRED = ("title", "steps")
TOP_LEVEL_KEYS = tuple(key.name for key in TOP_LEVEL)
