"""The JSON Schema stays in step with the reader: same scripts accepted, same ranges."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from coreg_audio.errors import ScriptError
from coreg_audio.format import schema as schema_module
from coreg_audio.format.loader import parse_script_bytes
from coreg_audio.format.reader import read_script
from coreg_audio.format.steps import STEP_KINDS
from coreg_audio.format.toplevel import TOP_LEVEL_KEYS
from coreg_audio.format.voices import VOICE_KEYS

from .conftest import CONFORMANCE, REPO, SHARED_CONFORMANCE
from .test_reader import ERROR_CASES

SCHEMA = json.loads(schema_module.SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
NOT_VISIBLE_AS_JSON = {"duplicate key": "YAML loaders keep the last of two equal keys"}


def schema_accepts(text: str) -> bool:
    return VALIDATOR.is_valid(yaml.safe_load(text))


def reader_accepts(text: str) -> bool:
    try:
        read_script(parse_script_bytes(text.encode(), Path("t.yaml"), "t.yaml"), "t")
    except ScriptError:
        return False
    return True


def test_the_shipped_file_is_the_generated_schema() -> None:
    """Regenerate with: python -m coreg_audio.format.schema > src/coreg_audio/format/schema.json"""
    assert schema_module.SCHEMA_FILE.read_text(encoding="utf-8") == schema_module.render()


def test_it_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_it_names_exactly_the_readers_keys() -> None:
    assert tuple(SCHEMA["properties"]) == TOP_LEVEL_KEYS
    assert tuple(SCHEMA["$defs"]["voice"]["properties"]) == tuple(k.name for k in VOICE_KEYS)
    for kind, step_class in STEP_KINDS.items():
        keys = step_class.KIND.key_names
        step = SCHEMA["$defs"][f"step-{kind}"]
        assert set(step["properties"]) == {kind, *keys}
        inner = next(
            option for option in step["properties"][kind]["anyOf"] if option.get("type") == "object"
        )
        assert tuple(inner["properties"]) == keys
        assert step["additionalProperties"] is False and inner["additionalProperties"] is False


def scripts_that_validate() -> list[Path]:
    found = [
        *sorted((REPO / "scripts").glob("*.yaml")),
        *sorted(CONFORMANCE.glob("*.yaml")),
        REPO / "src" / "coreg_audio" / "format" / "template.yaml",
    ]
    if SHARED_CONFORMANCE.is_dir():
        found += sorted(SHARED_CONFORMANCE.glob("*.yaml"))
    return found


@pytest.mark.parametrize("path", scripts_that_validate(), ids=lambda path: path.name)
def test_every_shipped_script_passes(path: Path) -> None:
    errors = [error.message for error in VALIDATOR.iter_errors(yaml.safe_load(path.read_text()))]
    assert not errors


VALID = {
    "shorthands and long forms": """
        title: T
        voices: {soft: {rate: 120}}
        steps:
          - say: Hello
          - say: {text: Hello, after: 2, voice: soft}
          - say: Hi
            after: 3
          - say:
            text: Beside
          - say: {text: Hi, voice: {rate: 100, engine: espeak, name: en-us+f3}}
          - say: No
          - pause: 2.5
          - pause: {seconds: 2}
          - pause:
            seconds: 2
          - section: One
          - section: {title: Two}
          - bell: 2
          - bell: {strikes: 3, every: 2, ring: 4}
          - bell:
          - bell:
            ring: 2
    """,
    "movement and repeat": """
        title: T
        steps:
          - rock: {cycles: 3}
          - rock: {minutes: 1, period: 8, cues: {left: One, right: ~}, guide: 0, pan: 1}
          - rock:
            cycles: 2
          - walk: {steps: 8}
          - walk: {minutes: 2, pace: 60, accent: 1, pan: 0}
          - repeat: {times: 2, steps: [{pause: 1}, {repeat: {times: 3, steps: [bell: 1]}}]}
          - repeat:
            times: 2
            steps: [{pause: 1}]
    """,
    "breathing": """
        title: T
        pattern: {inhale: 4, hold: 0, exhale: 8}
        tones: {style: chime, level: -6, pitch: 220}
        steps:
          - breathe: {cycles: 3, count: yes, guide: 0, tone: chime,
                      cues: {inhale: "", exhale: ~, rest: Rest}}
          - breathe: {minutes: 2}
          - breathe: {cycles: 4, pattern: 3.5 - 5, to: 4-7-8-2}
          - breathe:
            cycles: 2
            pattern: 4-4-4-4
    """,
    "top level": """
        format: 1
        title: 2024
        summary: One line.
        author: Someone
        language: en-us
        params: {a: Sam, partner_2: 3}
        voice: {rate: 300, pitch: 0, volume: 1}
        ambience: {sound: waves.ogg, level: -60, duck: 0, fade: 2}
        tones: none
        pattern: 4-7-8
        lead: 0
        tail: 600
        gap: 0.5
        steps: [{pause: 1}]
    """,
    "merge keys": """
        title: T
        voices:
          base: &base {rate: 120, pitch: 40}
          slow:
            <<: *base
            rate: 100
        steps:
          - &calm {say: Calm}
          - *calm
    """,
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_forms_pass_the_reader_and_the_schema(name: str) -> None:
    text = "\n".join(line[8:] for line in VALID[name].strip("\n").splitlines())
    assert reader_accepts(text)
    assert not [e.message for e in VALIDATOR.iter_errors(yaml.safe_load(text))]


@pytest.mark.parametrize(
    ("name", "text"),
    [(case[0], case[1]) for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_the_readers_structural_errors_are_rejected(name: str, text: str) -> None:
    assert not reader_accepts(text)
    if name in NOT_VISIBLE_AS_JSON:
        assert schema_accepts(text), "the schema catches it after all; drop the exception"
        return
    assert not schema_accepts(text)


@pytest.mark.parametrize(
    "text",
    [
        "title: T\nsteps:\n  - say: Hi\n    walk: {steps: 2}\n",
        "title: T\nsteps:\n  - pause:\n",
        "title: T\nsteps:\n  - section:\n",
        "title: T\nsteps:\n  - repeat: {times: 2}\n",
        "title: T\nsteps:\n  - repeat:\n    steps: [{pause: 1}]\n",
        "title: T\nsteps:\n  - rock: {cycles: 2, minutes: 1}\n",
        "title: T\nsteps:\n  - rock:\n    period: 4\n",
        "title: T\nsteps:\n  - walk: {pace: 90}\n",
        "title: T\nsteps:\n  - breathe: 4\n",
        "title: T\nsteps:\n  - breathe:\n    cycles: 2\n    minutes: 1\n",
        "title: T\nsteps:\n  - breathe: {cycles: 2}\n    to: 4-8\n    minutes: 1\n",
        "title: T\nsteps:\n  - breathe: {cycles: 1, cues: {inhail: In}}\n",
        "title: T\npattern: 4\nsteps: [{pause: 1}]\n",
        "title: T\npattern: 4-x\nsteps: [{pause: 1}]\n",
        "title: T\nvoices: {'my voice': {rate: 100}}\nsteps: [{pause: 1}]\n",
        "title: T\nambience: {level: -20}\nsteps: [{pause: 1}]\n",
        "title: T\ntones: {style: bells}\nsteps: [{pause: 1}]\n",
    ],
)
def test_more_structural_mistakes_are_rejected_by_both(text: str) -> None:
    assert not reader_accepts(text)
    assert not schema_accepts(text)


# -- ranges: every bound in the schema is the reader's bound --------------------------------

BASE: dict[str, Any] = {"title": "T", "steps": [{"pause": 1}]}
COMPANIONS: dict[str, dict[str, Any]] = {
    "say": {"text": "Hi"},
    "pause": {"seconds": 1},
    "section": {"title": "S"},
    "bell": {},
    "breathe": {"cycles": 1},
    "rock": {"cycles": 1},
    "walk": {"steps": 1},
    "repeat": {"times": 1, "steps": [{"pause": 1}]},
}
COUNT_KEYS = {"breathe": "cycles", "rock": "cycles", "walk": "steps"}
Build = Callable[[Any], dict[str, Any]]


def _step_keys(kind: str, key: str, value: Any) -> dict[str, Any]:
    keys = {**COMPANIONS[kind], key: value}
    if key == "minutes":
        keys.pop(COUNT_KEYS[kind])
    return keys


def ranged_fields() -> Iterator[tuple[str, dict[str, Any], Build]]:
    """Every schema node with a bound, and how to write a script that puts a value there."""
    top = SCHEMA["properties"]
    for key in ("lead", "tail", "gap"):
        yield f"top {key}", top[key], lambda v, key=key: {**BASE, key: v}
    pattern = SCHEMA["$defs"]["pattern"]["anyOf"][1]["properties"]
    for phase, node in pattern.items():
        yield (
            f"pattern {phase}",
            node,
            lambda v, phase=phase: {**BASE, "pattern": {"inhale": 4, "exhale": 6, phase: v}},
        )
    for key, node in SCHEMA["$defs"]["voice"]["properties"].items():
        if "maximum" in node:
            yield f"voice {key}", node, lambda v, key=key: {**BASE, "voice": {key: v}}
    for key, node in top["ambience"]["anyOf"][1]["properties"].items():
        if "maximum" in node:
            yield (
                f"ambience {key}",
                node,
                lambda v, key=key: {**BASE, "ambience": {"sound": "rain", key: v}},
            )
    for key, node in top["tones"]["anyOf"][1]["properties"].items():
        if "maximum" in node:
            yield f"tones {key}", node, lambda v, key=key: {**BASE, "tones": {key: v}}
    for kind in STEP_KINDS:
        step = SCHEMA["$defs"][f"step-{kind}"]
        options = step["properties"][kind]["anyOf"]
        inner = next(option for option in options if option.get("type") == "object")
        for option in options:
            if "maximum" in option:
                yield (
                    f"{kind} shorthand",
                    option,
                    lambda v, kind=kind: {**BASE, "steps": [{kind: v}]},
                )
        for key in STEP_KINDS[kind].KIND.key_names:
            if "maximum" not in step["properties"][key]:
                continue
            yield (
                f"{kind} {key} beside",
                step["properties"][key],
                lambda v, kind=kind, key=key: {
                    **BASE,
                    "steps": [{kind: None, **_step_keys(kind, key, v)}],
                },
            )
            yield (
                f"{kind} {key} inside",
                inner["properties"][key],
                lambda v, kind=kind, key=key: {**BASE, "steps": [{kind: _step_keys(kind, key, v)}]},
            )


def bounded_nodes(node: Any) -> Iterator[int]:
    if isinstance(node, dict):
        if "maximum" in node:
            yield id(node)
        for value in node.values():
            yield from bounded_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from bounded_nodes(value)


def test_the_range_table_covers_every_bound_in_the_schema() -> None:
    covered = {id(node) for _, node, _ in ranged_fields()}
    assert covered == set(bounded_nodes(SCHEMA))


def edge_values(node: dict[str, Any]) -> list[tuple[Any, bool]]:
    """Values on and just past each bound, with whether they are inside."""
    whole = node["type"] == "integer"
    step = 1 if whole else Fraction(1, 1000)
    values: list[tuple[Any, bool]] = [(node["maximum"], True), (node["maximum"] + step, False)]
    if "minimum" in node:
        values += [(node["minimum"], True), (node["minimum"] - step, False)]
    else:
        values += [(node["exclusiveMinimum"], False), (node["exclusiveMinimum"] + step, True)]
    if whole:
        values.append((Fraction(node["minimum"]) + Fraction(1, 2), False))
    return [(int(v) if Fraction(v).denominator == 1 else float(v), inside) for v, inside in values]


CASES = [(name, node, build) for name, node, build in ranged_fields()]


@pytest.mark.parametrize(("name", "node", "build"), CASES, ids=[case[0] for case in CASES])
def test_reader_and_schema_agree_at_every_bound(
    name: str, node: dict[str, Any], build: Build
) -> None:
    for value, inside in edge_values(node):
        text = yaml.safe_dump(build(value), sort_keys=False).replace(": null\n", ":\n")
        assert schema_accepts(text) == inside, (value, text)
        assert reader_accepts(text) == inside, (value, text)
