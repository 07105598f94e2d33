"""The JSON Schema of the practice format, built from the reader's own key lists.

Editors that speak JSON Schema (through ``# yaml-language-server: $schema=...``)
complete keys and flag mistakes while an author types. Keys are listed in the
reader's own key tuples and enums come from ``reader``, ``model`` and
``speech.voice``, so a key the reader learns fails ``build()`` until it is
described here; the ranges are written here and checked against the reader
value by value in ``tests/test_schema.py``. ``schema.json`` beside this
file is this module's output, shipped for editors:
``python -m coreg_audio.schema > src/coreg_audio/schema.json`` rewrites it.

Only keywords that draft-07 tools read the same way are used (no
``unevaluatedProperties``, nothing beside a ``$ref``), because the most common
YAML editor extension still validates with draft-07 rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..speech.voice import DEFAULT_RATE_WPM, ENGINE_NAMES
from .model import PHASES, TONE_STYLES
from .reader import (
    BUILT_IN_AMBIENCES,
    DEFAULT_BREATH_CUES,
    DEFAULT_ROCK_CUES,
    STEP_KEYS,
    STEP_KINDS,
    TOP_LEVEL_KEYS,
    VOICE_KEYS,
)

Schema = dict[str, Any]

SCHEMA_FILE = Path(__file__).with_name("schema.json")
DRAFT = "https://json-schema.org/draft/2020-12/schema"
NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_-]*$"
LANGUAGE_PATTERN = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
_DECIMAL = r"\s*\+?(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)\s*"
PATTERN_TEXT = f"^{_DECIMAL}(-{_DECIMAL}){{1,3}}$"
ONE_LINE = r"^\s*[^\n]*\s*$"


def _in_reader_order(written: dict[str, Schema], keys: tuple[str, ...]) -> dict[str, Schema]:
    """``written`` for exactly the reader's ``keys``; a key the reader knows and this
    module does not describe is a ``KeyError``, caught by the schema test."""
    return {key: written[key] for key in keys}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _number(
    low: float,
    high: float,
    description: str,
    *,
    low_open: bool = False,
    whole: bool = False,
    default: float | None = None,
) -> Schema:
    schema: Schema = {"type": "integer" if whole else "number", "description": description}
    schema["exclusiveMinimum" if low_open else "minimum"] = low
    schema["maximum"] = high
    if default is not None:
        schema["default"] = default
    return schema


def _seconds(low: float, high: float, description: str, **kwargs: Any) -> Schema:
    return _number(low, high, f"{description} (seconds)", **kwargs)


def _text(description: str) -> Schema:
    """Spoken or shown text: the reader takes any scalar as written (``No`` stays "No")."""
    return {"type": ["string", "number", "boolean"], "description": description}


def _cue(description: str) -> Schema:
    return {"type": ["string", "number", "boolean", "null"], "description": description}


def _has(kind: str, key: str) -> Schema:
    """True when step ``kind`` gives ``key``, inside ``kind: {...}`` or beside it."""
    return {
        "anyOf": [
            {"required": [key]},
            {"required": [kind], "properties": {kind: {"type": "object", "required": [key]}}},
        ]
    }


def _count_or_minutes(kind: str, count_key: str) -> list[Schema]:
    """Exactly one of the count key and ``minutes``, wherever each is written."""
    return [
        {"anyOf": [_has(kind, count_key), _has(kind, "minutes")]},
        {"not": {"allOf": [_has(kind, count_key), _has(kind, "minutes")]}},
    ]


def _needs_value(kind: str, key: str) -> Schema:
    """The scalar shorthand (``pause: 3``), or ``key`` inside or beside the step."""
    return {
        "anyOf": [{"properties": {kind: {"not": {"type": ["object", "null"]}}}}, _has(kind, key)]
    }


def _step(
    kind: str,
    shorthand: Schema | None,
    keys: dict[str, Schema],
    description: str,
    rules: list[Schema] | None = None,
) -> Schema:
    """One step kind: ``kind: SHORTHAND`` or ``kind: {KEYS}``, its keys also allowed beside it.

    ``kind:`` with nothing after it is allowed too, for keys written beside it.
    """
    keys = _in_reader_order(keys, STEP_KEYS[kind])
    inner = {"type": "object", "properties": keys, "additionalProperties": False}
    value = [{"type": "null"}, *([shorthand] if shorthand else []), inner]
    schema: Schema = {
        "type": "object",
        "description": description,
        "required": [kind],
        "properties": {kind: {"anyOf": value}, **keys},
        "additionalProperties": False,
    }
    if rules:
        schema["allOf"] = rules
    return schema


def _pattern() -> Schema:
    phases = {
        "inhale": _seconds(0.5, 60, "breathing in"),
        "hold": _seconds(0, 60, "holding after the in-breath", default=0),
        "exhale": _seconds(0.5, 60, "breathing out"),
        "rest": _seconds(0, 60, "resting after the out-breath", default=0),
    }
    return {
        "description": "IN-OUT, IN-HOLD-OUT or IN-HOLD-OUT-REST in seconds (4-6, 4-7-8, "
        "4-4-4-4), or a mapping {inhale: 4, exhale: 6}",
        "anyOf": [
            {"type": "string", "pattern": PATTERN_TEXT},
            {
                "type": "object",
                "properties": _in_reader_order(phases, PHASES),
                "required": ["inhale", "exhale"],
                "additionalProperties": False,
            },
        ],
    }


def _voice() -> Schema:
    keys: dict[str, Schema] = {
        "engine": {
            "enum": list(ENGINE_NAMES),
            "description": "the speech engine",
            "default": ENGINE_NAMES[0],
        },
        "name": {
            "type": "string",
            "description": "the engine's voice id, as 'coreg-audio voices' lists them; "
            "ID+VARIANT picks an espeak-ng variant",
        },
        "rate": _number(80, 300, "words a minute", whole=True, default=DEFAULT_RATE_WPM),
        "pitch": _number(0, 100, "voice pitch", whole=True),
        "volume": _number(0, 1, "loudness of this voice in the mix, 1 is full"),
    }
    return {
        "type": "object",
        "description": "a voice: engine, name, rate, pitch, volume",
        "properties": _in_reader_order(keys, VOICE_KEYS),
        "additionalProperties": False,
    }


def _ambience() -> Schema:
    sound: Schema = {
        "description": "a built-in sound, 'none', or an audio file beside the script",
        "anyOf": [{"enum": [*BUILT_IN_AMBIENCES, "none"]}, {"type": "string"}],
    }
    return {
        "description": "a sound under the whole track",
        "anyOf": [
            sound,
            {
                "type": "object",
                "required": ["sound"],
                "additionalProperties": False,
                "properties": {
                    "sound": sound,
                    "level": _number(-60, 0, "dB relative to speech", default=-20),
                    "duck": _number(0, 40, "dB taken off while speech plays", default=6),
                    "fade": _seconds(0, 600, "fade in and out; default: lead and tail"),
                },
            },
        ],
    }


def _tones() -> Schema:
    style: Schema = {
        "enum": list(TONE_STYLES),
        "description": "glide: a soft tone through each phase; chime: a chime "
        "at each phase; none: silence",
    }
    return {
        "description": "the breath tone style",
        "anyOf": [
            style,
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "style": style,
                    "level": _number(-60, 12, "dB relative to speech", default=-12),
                    "pitch": _number(40, 2000, "Hz of the tone's centre", default=196),
                },
            },
        ],
    }


def _cues(words: dict[str, str], keys: tuple[str, ...], description: str) -> Schema:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "properties": {
            key: _cue(
                f"said at the start of each {key}"
                + (f" (default: {words[key]})" if key in words else "")
            )
            for key in keys
        },
    }


def _steps_list() -> Schema:
    return {
        "type": "array",
        "minItems": 1,
        "items": _ref("step"),
        "description": "what happens, in order",
    }


def _step_kinds() -> dict[str, Schema]:
    after = _seconds(0, 3600, "quiet after the words; default: the script's gap")
    say_voice: Schema = {
        "description": "a name from 'voices', or a voice",
        "anyOf": [{"type": "string"}, _ref("voice")],
    }
    cycles = _number(1, 1000, "number of cycles", whole=True)
    minutes = _number(0, 240, "instead of a count: about this many minutes", low_open=True)
    guide_breathe = _number(0, 1000, "speak cues only in the first N cycles (0: none)", whole=True)
    pan = "how far left and right the beat moves, 0 to 1"
    kinds = {
        "say": _step(
            "say",
            _text("the words to speak; {a} and {b} are filled from params"),
            {"text": _text("the words to speak"), "after": after, "voice": say_voice},
            "speak some words, then stay quiet for 'after' seconds",
            [_needs_value("say", "text")],
        ),
        "pause": _step(
            "pause",
            _seconds(0, 3600, "seconds of quiet", low_open=True),
            {"seconds": _seconds(0, 3600, "seconds of quiet", low_open=True)},
            "quiet for some seconds",
            [_needs_value("pause", "seconds")],
        ),
        "section": _step(
            "section",
            _text("the chapter's title"),
            {"title": _text("the chapter's title")},
            "start a chapter; takes no time",
            [_needs_value("section", "title")],
        ),
        "bell": _step(
            "bell",
            _number(1, 20, "number of strikes", whole=True),
            {
                "strikes": _number(1, 20, "number of strikes", whole=True, default=1),
                "every": _seconds(0, 600, "between strikes", low_open=True, default=5),
                "ring": _seconds(0.5, 60, "how long the last strike rings", default=5),
            },
            "a struck bowl; lasts (strikes - 1) x every + ring",
        ),
        "breathe": _step(
            "breathe",
            None,
            {
                "cycles": cycles,
                "minutes": minutes,
                "pattern": _ref("pattern"),
                "to": _ref("pattern"),
                "cues": _cues(
                    DEFAULT_BREATH_CUES,
                    PHASES,
                    "the word at the start of each phase; '' or null is silent",
                ),
                "count": {
                    "type": "boolean",
                    "default": False,
                    "description": "also speak 2, 3, ... on each whole second",
                },
                "guide": guide_breathe,
                "tone": {"enum": list(TONE_STYLES), "description": "this step's tone style"},
            },
            "breathe in a pattern for some cycles; 'to' slows or speeds it cycle by cycle",
            [
                *_count_or_minutes("breathe", "cycles"),
                {"not": {"allOf": [_has("breathe", "to"), _has("breathe", "minutes")]}},
            ],
        ),
        "rock": _step(
            "rock",
            None,
            {
                "period": _seconds(1, 30, "for one full sway, left then right", default=4),
                "cycles": cycles,
                "minutes": minutes,
                "cues": _cues(
                    DEFAULT_ROCK_CUES, ("left", "right"), "the word at the start of each half sway"
                ),
                "guide": _number(
                    0, 1000, "speak cues only in the first N sways (0: none)", whole=True, default=2
                ),
                "pan": _number(0, 1, pan, default=0.6),
            },
            "sway or rock together: a beat to the left, then to the right",
            _count_or_minutes("rock", "cycles"),
        ),
        "walk": _step(
            "walk",
            None,
            {
                "pace": _number(30, 180, "steps a minute", default=90),
                "steps": _number(1, 50_000, "number of steps", whole=True),
                "minutes": minutes,
                "accent": _number(
                    1, 64, "every N-th step has a stronger beat", whole=True, default=4
                ),
                "pan": _number(0, 1, pan, default=0.4),
            },
            "walk in step: one beat a step, alternating left and right",
            _count_or_minutes("walk", "steps"),
        ),
        "repeat": _step(
            "repeat",
            None,
            {"times": _number(1, 1000, "how many times", whole=True), "steps": _steps_list()},
            "play some steps several times",
            [_has("repeat", "times"), _has("repeat", "steps")],
        ),
    }
    return _in_reader_order(kinds, STEP_KINDS)


def build() -> Schema:
    """The schema document, as ``schema.json`` holds it."""
    kinds = _step_kinds()
    top: dict[str, Schema] = {
        "format": {"const": 1, "description": "format version; only 1 exists", "default": 1},
        "title": _text("shown in 'list' and written as the track title"),
        "summary": {**_text("one line, written into the track's comment"), "pattern": ONE_LINE},
        "author": _text("written as the track's artist"),
        "language": {
            "type": "string",
            "pattern": LANGUAGE_PATTERN,
            "default": "en",
            "description": "language of the spoken text, e.g. en or en-us",
        },
        "params": {
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": _text("the default value of a {name} placeholder"),
            "description": "values for {name} placeholders, e.g. a: Sam",
        },
        "voice": _ref("voice"),
        "voices": {
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": _ref("voice"),
            "description": "named voices that a say step can pick",
        },
        "ambience": _ambience(),
        "tones": _tones(),
        "pattern": _ref("pattern"),
        "lead": _seconds(0, 600, "before the first step", default=1),
        "tail": _seconds(0, 600, "after the last step", default=3),
        "gap": _seconds(0, 600, "quiet after each say unless it sets 'after'", default=1),
        "steps": _steps_list(),
    }
    return {
        "$schema": DRAFT,
        "title": "coreg-audio practice script, format 1",
        "description": "A guided co-regulation practice: see docs/writing-practices.md.",
        "type": "object",
        "required": ["title", "steps"],
        "properties": _in_reader_order(top, TOP_LEVEL_KEYS),
        "additionalProperties": False,
        "$defs": {
            "pattern": _pattern(),
            "voice": _voice(),
            "step": {
                "description": "one of: " + ", ".join(STEP_KINDS),
                "oneOf": [_ref(f"step-{kind}") for kind in STEP_KINDS],
            },
            **{f"step-{kind}": schema for kind, schema in kinds.items()},
        },
    }


def render() -> str:
    """``build()`` as the text of ``schema.json``."""
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
