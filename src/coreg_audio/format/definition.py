"""The format's definition, above the steps: the top-level keys, voices, ambience, tones, patterns.

Each key is written here once, with its kind of value, range, unit, default
and doc; the reader reads these tables, the schema is projected from them,
the model's defaults come from them, and the overrides and the command line
check their values against them. The step kinds are defined in ``steps``
and ``rhythm`` the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ..speech.voice import DEFAULT_ENGINE, DEFAULT_RATE_WPM, ENGINE_NAMES
from .keys import (
    Choice,
    Key,
    Name,
    Named,
    Number,
    Plain,
    Schema,
    Value,
    json_value,
    real,
    ref,
    seconds,
    whole,
)
from .model import (
    BUILT_IN,
    PHASES,
    TONE_STYLES,
    Ambience,
    Loc,
    Pattern,
    Script,
    Step,
    Tones,
    ToneStyle,
    Voice,
    VoiceRef,
)
from .nodes import STR_TAG, NodeReader, fmt, loc_of

FORMAT_VERSION = 1
BUILT_IN_AMBIENCES: tuple[str, ...] = ("ocean", "rain", "brown-noise", "pink-noise")
"""The generated ambiences (``audio.ambience`` makes them)."""
NO_AMBIENCE = "none"


# -- patterns -----------------------------------------------------------------------------------

PHASE_KEYS: tuple[Key[Fraction], ...] = (
    Key("inhale", seconds(Fraction(1, 2), 60), "breathing in"),
    Key("hold", seconds(0, 60), "holding after the in-breath", default=Fraction(0)),
    Key("exhale", seconds(Fraction(1, 2), 60), "breathing out"),
    Key("rest", seconds(0, 60), "resting after the out-breath", default=Fraction(0)),
)
"""A pattern's phases, in ``PHASES`` order; those without a default must be given."""
PATTERN_DOC = (
    "IN-OUT, IN-HOLD-OUT or IN-HOLD-OUT-REST in seconds (4-6, 4-7-8, "
    "4-4-4-4), or a mapping {inhale: 4, exhale: 6}"
)
PATTERN_SHAPE = (
    "write a pattern as IN-OUT, IN-HOLD-OUT or IN-HOLD-OUT-REST in seconds "
    "(e.g. 4-6 or 4-7-8), or as a mapping {inhale: 4, exhale: 6}"
)
_DECIMAL = r"\s*\+?(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)\s*"
PATTERN_TEXT = f"^{_DECIMAL}(-{_DECIMAL}){{1,3}}$"
_DECIMAL_RE = re.compile(r"^[+]?(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)$")


def parse_pattern_text(text: str, loc: Loc) -> Pattern:
    """``4-6``, ``4-7-8`` or ``4-4-4-4`` as a pattern; ``ValueError`` says what is wrong."""
    parts = [part.strip() for part in text.split("-")]
    if not 2 <= len(parts) <= 4 or not all(_DECIMAL_RE.match(part) for part in parts):
        raise ValueError(f"not a pattern: {PATTERN_SHAPE}")
    numbers = [Fraction(part.replace("_", "")) for part in parts]
    if len(numbers) == 2:
        numbers = [numbers[0], Fraction(0), numbers[1], Fraction(0)]
    elif len(numbers) == 3:
        numbers.append(Fraction(0))
    for key, value in zip(PHASE_KEYS, numbers, strict=True):
        assert isinstance(key.value, Number)
        if not key.value.allows(value):
            raise ValueError(f"{key.name} must be {key.value.range_text} seconds, not {fmt(value)}")
    return Pattern(numbers[0], numbers[1], numbers[2], numbers[3], loc)


@dataclass(frozen=True)
class PatternValue(Value[Pattern]):
    """A breathing pattern: ``4-6`` or a mapping of its phases."""

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> Pattern | None:
        reader.visit(node, depth)
        if isinstance(node, yaml.ScalarNode):
            if node.tag != STR_TAG:
                reader.problem(node, f"{what} '{node.value}' is not a pattern: {PATTERN_SHAPE}")
                return None
            try:
                return parse_pattern_text(node.value, loc_of(node))
            except ValueError as error:
                reader.problem(node, f"{what} '{node.value}': {error}")
                return None
        required = [key.name for key in PHASE_KEYS if key.default is None]
        entries = reader.mapping(node, what, PHASES, depth, required=required)
        if entries is None:
            return None
        phases = [
            key.value.read(reader, entries[key.name].value, f"'{key.name}' in {what}", depth + 1)
            if key.name in entries
            else key.default
            for key in PHASE_KEYS
        ]
        inhale, hold, exhale, rest = phases
        if inhale is None or hold is None or exhale is None or rest is None:
            return None
        return Pattern(inhale, hold, exhale, rest, loc_of(node))

    def schema(self, doc: str, default: object = None) -> Schema:
        return ref("pattern")


def pattern_schema() -> Schema:
    """The shared definition a pattern's ``$ref`` points to."""
    return {
        "description": PATTERN_DOC,
        "anyOf": [
            {"type": "string", "pattern": PATTERN_TEXT},
            {
                "type": "object",
                "properties": {key.name: key.schema() for key in PHASE_KEYS},
                "required": [key.name for key in PHASE_KEYS if key.default is None],
                "additionalProperties": False,
            },
        ],
    }


# -- voices -------------------------------------------------------------------------------------

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


# -- ambience and tones -------------------------------------------------------------------------


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
    """The file an ambience names, relative to the script's folder; None for built-ins."""
    ambience = script.ambience
    if ambience is None or ambience.is_none or ambience.sound in BUILT_IN_AMBIENCES:
        return None
    return (script.folder / Path(ambience.sound).expanduser()).resolve()


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


# -- the top level ------------------------------------------------------------------------------


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
        schema["description"] = doc
        return schema


@dataclass(frozen=True)
class StepList(Value[tuple[Step, ...]]):
    """A non-empty list of steps; each step's kind reads it (``steps``, ``rhythm``)."""

    def read(
        self, reader: NodeReader, node: yaml.Node, what: str, depth: int
    ) -> tuple[Step, ...] | None:
        return reader.steps(node, "", depth)

    def schema(self, doc: str, default: object = None) -> Schema:
        return {"type": "array", "minItems": 1, "items": ref("step"), "description": doc}


EMPTY: MappingProxyType[str, Any] = MappingProxyType({})

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
    Key(
        "language",
        Language(),
        "language of the spoken text, e.g. en or en-us",
        default="en",
        field="language",
    ),
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
