"""The JSON Schema stays in step with the reader: same scripts accepted, same ranges."""

from __future__ import annotations

import json
from pathlib import Path

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
    return bool(VALIDATOR.is_valid(yaml.safe_load(text)))


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
        *[
            path
            for path in sorted((REPO / "tests" / "speaking-over").glob("*.yaml"))
            if not path.name.startswith("errors-")
        ],
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
    "words over breath and movement": """
        title: T
        voices: {soft: {rate: 110}}
        steps:
          - breathe:
              cycles: 8
              guide: 0
              say:
                - {cycle: 3, text: "If your breath has drifted, that is all right."}
                - {cycle: 6, phase: inhale, text: Find the tone again., voice: soft}
          - breathe: {cycles: 2}
            say:
              - cycle: 2
                phase: hold
                text: Stay.
                voice: {rate: 100}
          - rock: {cycles: 4, guide: 1, say: [{cycle: 3, phase: right, text: Back}]}
          - walk: {steps: 40, say: [{cycle: 12, text: Slower., voice: soft}]}
          - walk: {steps: 4, say: []}
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
        "title: T\nsteps:\n  - breathe: {cycles: 2, say: Hello}\n",
        "title: T\nsteps:\n  - breathe: {cycles: 2}\n    say: Hello\n",
        "title: T\nsteps:\n  - breathe: {cycles: 2, say: [Hello]}\n",
        "title: T\nsteps:\n  - breathe: {cycles: 2, say: [{text: Hello}]}\n",
        "title: T\nsteps:\n  - breathe: {cycles: 2, say: [{cycle: 1}]}\n",
        "title: T\nsteps:\n  - breathe: {cycles: 2, say: [{cycle: 1, text: Hi, phase: left}]}\n",
        "title: T\nsteps:\n  - rock: {cycles: 2, say: [{cycle: 1, text: Hi, phase: exhale}]}\n",
        "title: T\nsteps:\n  - walk: {steps: 2, say: [{cycle: 1, text: Hi, phase: left}]}\n",
        "title: T\nsteps:\n  - walk: {steps: 2, say: [{cycle: 0, text: Hi}]}\n",
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


# Every bound, default and rule is checked against the reader from the definition itself,
# for every key wherever it is written, in tests/test_definition.py.
