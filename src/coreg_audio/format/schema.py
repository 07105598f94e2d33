"""The JSON Schema of the practice format, projected from the format's definition.

Editors that speak JSON Schema (through ``# yaml-language-server: $schema=...``)
complete keys and flag mistakes while an author types. Every key, range,
default and doc here comes from the definition (``toplevel`` and the parts
it uses, the kinds of ``steps.STEP_KINDS`` for the steps), so the schema cannot
drift from the reader; ``tests/test_schema.py`` checks the two against each
other value by value. ``schema.json`` beside this file is this module's
output, shipped for editors:
``python -m coreg_audio.format.schema > src/coreg_audio/format/schema.json`` rewrites it.

Only keywords that draft-07 tools read the same way are used (no
``unevaluatedProperties``, nothing beside a ``$ref``), because the most common
YAML editor extension still validates with draft-07 rules.
"""

from __future__ import annotations

import json
from pathlib import Path

from .keys import Has, Kind, Needs, NotBoth, OneOf, Rule
from .patterns import pattern_schema
from .steps import STEP_KINDS
from .toplevel import REQUIRED, TOP_LEVEL
from .values import Schema, ref
from .voices import voice_schema

SCHEMA_FILE = Path(__file__).with_name("schema.json")
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _has(kind: str, key: str) -> Schema:
    """True when step ``kind`` gives ``key``, inside ``kind: {...}`` or beside it."""
    return {
        "anyOf": [
            {"required": [key]},
            {"required": [kind], "properties": {kind: {"type": "object", "required": [key]}}},
        ]
    }


def _rule(kind: str, rule: Rule) -> list[Schema]:
    """What ``rule`` of step ``kind`` says, as schema conditions."""
    if isinstance(rule, Needs):
        scalar = {"properties": {kind: {"not": {"type": ["object", "null"]}}}}
        return [{"anyOf": [scalar, _has(kind, rule.key)]}]
    if isinstance(rule, Has):
        return [_has(kind, rule.key)]
    both = {"not": {"allOf": [_has(kind, rule.first), _has(kind, rule.second)]}}
    if isinstance(rule, OneOf):
        return [{"anyOf": [_has(kind, rule.first), _has(kind, rule.second)]}, both]
    assert isinstance(rule, NotBoth)
    return [both]


def step_schema(kind: Kind) -> Schema:
    """One step kind: ``kind: SHORTHAND`` or ``kind: {KEYS}``, its keys also allowed beside it.

    ``kind:`` with nothing after it is allowed too, for keys written beside it.
    """
    keys = {key.name: key.schema() for key in kind.keys}
    inner = {"type": "object", "properties": keys, "additionalProperties": False}
    shorthand = kind.shorthand
    value = [
        {"type": "null"},
        *([shorthand.value.schema(shorthand.doc)] if shorthand else []),
        inner,
    ]
    schema: Schema = {
        "type": "object",
        "description": kind.doc,
        "required": [kind.name],
        "properties": {kind.name: {"anyOf": value}, **keys},
        "additionalProperties": False,
    }
    rules = [condition for rule in kind.rules for condition in _rule(kind.name, rule)]
    if rules:
        schema["allOf"] = rules
    return schema


def build() -> Schema:
    """The schema document, as ``schema.json`` holds it."""
    kinds = [step.KIND for step in STEP_KINDS.values()]
    return {
        "$schema": DRAFT,
        "title": "coreg-audio practice script, format 1",
        "description": "A guided co-regulation practice: see docs/writing-practices.md.",
        "type": "object",
        "required": list(REQUIRED),
        "properties": {key.name: key.schema() for key in TOP_LEVEL},
        "additionalProperties": False,
        "$defs": {
            "pattern": pattern_schema(),
            "voice": voice_schema(),
            "step": {
                "description": "one of: " + ", ".join(kind.name for kind in kinds),
                "oneOf": [ref(f"step-{kind.name}") for kind in kinds],
            },
            **{f"step-{kind.name}": step_schema(kind) for kind in kinds},
        },
    }


def render() -> str:
    """``build()`` as the text of ``schema.json``."""
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
