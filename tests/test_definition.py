"""The format's definition: each key and step kind written once, and the rest following it.

Every test here walks the definition itself (``toplevel``, ``patterns``,
``voices``, ``sounds`` and the step kinds), so a key or kind added to it is
checked at once: its range is the reader's and the schema's, its default is
the model's, its rules are the reader's.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from coreg_audio.cli import cli
from coreg_audio.errors import ScriptError
from coreg_audio.format import schema as schema_module
from coreg_audio.format.keys import Has, Key, Kind, Needs, NotBoth, OneOf
from coreg_audio.format.loader import parse_script_bytes
from coreg_audio.format.model import BUILT_IN, Loc, Script, Step
from coreg_audio.format.over import OverItems
from coreg_audio.format.patterns import PHASE_KEYS, PaceValue, PatternValue
from coreg_audio.format.reader import read_script
from coreg_audio.format.sounds import (
    AMBIENCE_KEYS,
    TONE_CHOICES,
    TONES_KEYS,
    AmbienceValue,
    Sound,
    TonesValue,
)
from coreg_audio.format.steps import STEP_KINDS
from coreg_audio.format.toplevel import REQUIRED, TOP_LEVEL
from coreg_audio.format.values import (
    Choice,
    CueWords,
    Flag,
    Name,
    Named,
    Number,
    Plain,
    StepList,
    Words,
    json_value,
)
from coreg_audio.format.voices import ENGINES, VOICE_KEYS, VoiceChoice, VoiceValue
from coreg_audio.speech.choice import concrete
from coreg_audio.speech.voice import VoiceSettings
from coreg_audio.timeline.compile import voice_settings

from .conftest import REPO
from .test_schema import VALIDATOR

BASE: dict[str, Any] = {"title": "T", "steps": [{"pause": 1}]}
Build = Callable[[Any], dict[str, Any]]
KINDS: list[Kind] = [step.KIND for step in STEP_KINDS.values()]


def dump(document: dict[str, Any]) -> str:
    """One line of flow YAML, so a value left out moves nothing else; ``None`` is written empty."""
    return yaml.safe_dump(document, default_flow_style=True, sort_keys=False, width=10**6).replace(
        ": null", ": "
    )


def read(document: dict[str, Any]) -> Script:
    text = dump(document)
    return read_script(parse_script_bytes(text.encode(), Path("t.yaml"), "t.yaml"), "t")


def reader_accepts(document: dict[str, Any]) -> bool:
    try:
        read(document)
    except ScriptError:
        return False
    return True


def schema_accepts(document: dict[str, Any]) -> bool:
    return bool(VALIDATOR.is_valid(yaml.safe_load(dump(document))))


def sample(key: Key[Any]) -> Any:
    """A value the reader accepts for ``key``: its default where it has a plain one."""
    value, default = key.value, key.default
    if isinstance(default, str) and default:
        return default
    if isinstance(default, bool | int | float | Fraction):
        return json_value(default)
    if isinstance(value, Named):
        return {"a": sample(Key("a", value.item, ""))}
    if isinstance(value, VoiceValue):
        return {"rate": 100}
    if isinstance(value, AmbienceValue | Sound):
        return "rain"
    if isinstance(value, TonesValue):
        return "chime"
    if isinstance(value, Number):
        return json_value(value.high)
    if isinstance(value, Words | Plain | Name | VoiceChoice):
        return "Hi"
    if isinstance(value, Choice):
        return value.choices[0]
    if isinstance(value, Flag):
        return True
    if isinstance(value, PatternValue | PaceValue):
        return "4-6"
    if isinstance(value, CueWords):
        return {value.parts[0]: "Now"}
    if isinstance(value, StepList):
        return [{"pause": 1}]
    if isinstance(value, OverItems):
        return [{"cycle": 1, "text": "Hi"}]
    raise AssertionError(f"no sample of {value!r}")


def key_of(kind: Kind, name: str) -> Key[Any]:
    return next(key for key in kind.keys if key.name == name)


def companions(kind: Kind, but: str) -> dict[str, Any]:
    """The keys the kind's rules need beside ``but``, each with a sample value."""
    given: dict[str, Any] = {}
    for rule in kind.rules:
        if isinstance(rule, Needs | Has) and rule.key != but:
            given[rule.key] = sample(key_of(kind, rule.key))
        elif isinstance(rule, OneOf) and but not in (rule.first, rule.second):
            given[rule.first] = sample(key_of(kind, rule.first))
    return given


MISSING = object()
"""Build with this to leave the key out."""


def put(mapping: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """``mapping`` with ``name`` set to ``value``, or without it for ``MISSING``."""
    kept = {key: item for key, item in mapping.items() if key != name}
    return kept if value is MISSING else {**kept, name: value}


def top(name: str) -> Build:
    def build(value: Any) -> dict[str, Any]:
        return put(BASE, name, value)

    return build


def inside(part: str, around: dict[str, Any], name: str) -> Build:
    """The key ``name`` in the top-level mapping ``part``, beside the keys ``around``."""

    def build(value: Any) -> dict[str, Any]:
        return {**BASE, part: put(around, name, value)}

    return build


def step(kind: Kind, name: str, *, beside: bool) -> Build:
    """The key ``name`` of a ``kind`` step, in its mapping or beside its word."""

    def build(value: Any) -> dict[str, Any]:
        keys = put(companions(kind, name), name, value)
        written = {kind.name: None, **keys} if beside else {kind.name: keys}
        return {**BASE, "steps": [written]}

    return build


def over_item(kind: Kind, say: Key[Any], name: str, *, beside: bool) -> Build:
    """The key ``name`` of an item of a ``kind`` step's ``say`` list."""

    def build(value: Any) -> dict[str, Any]:
        item = put({"cycle": 1, "text": "Hi"}, name, value)
        return step(kind, say.name, beside=beside)([item])

    return build


def shorthand(kind: Kind) -> Build:
    def build(value: Any) -> dict[str, Any]:
        return {**BASE, "steps": [{kind.name: value}]}

    return build


def places() -> Iterator[tuple[str, Key[Any], Build]]:
    """Every key of the definition, and how to write a script that gives it a value."""
    for key in TOP_LEVEL:
        yield f"top {key.name}", key, top(key.name)
    for key in PHASE_KEYS:
        yield f"pattern {key.name}", key, inside("pattern", {"inhale": 4, "exhale": 6}, key.name)
    for key in VOICE_KEYS:
        yield f"voice {key.name}", key, inside("voice", {}, key.name)
    for key in AMBIENCE_KEYS:
        yield f"ambience {key.name}", key, inside("ambience", {"sound": "rain"}, key.name)
    for key in TONES_KEYS:
        yield f"tones {key.name}", key, inside("tones", {}, key.name)
    for kind in KINDS:
        if kind.shorthand is not None:
            plain = dataclasses.replace(kind.shorthand, default=None)
            yield f"{kind.name} shorthand", plain, shorthand(kind)
        for key in kind.keys:
            yield f"{kind.name} {key.name} inside", key, step(kind, key.name, beside=False)
            yield f"{kind.name} {key.name} beside", key, step(kind, key.name, beside=True)
            if isinstance(key.value, OverItems):
                for item_key in key.value.keys:
                    for beside in (False, True):
                        where = "beside" if beside else "inside"
                        yield (
                            f"{kind.name} say item {item_key.name} {where}",
                            item_key,
                            over_item(kind, key, item_key.name, beside=beside),
                        )


PLACES = list(places())
RANGED = [(label, key, build) for label, key, build in PLACES if isinstance(key.value, Number)]


def edge_values(value: Number[Any]) -> list[tuple[Any, bool]]:
    """Values on and just past each bound, with whether the key takes them."""
    step = 1 if value.whole else Fraction(1, 1000)
    low, high = Fraction(value.low), Fraction(value.high)
    edges = [(high, True), (high + step, False), (low, not value.low_open)]
    edges.append((low + step, True) if value.low_open else (low - step, False))
    if value.whole:
        edges.append((low + Fraction(1, 2), False))
    return [(json_value(edge), inside) for edge, inside in edges]


@pytest.mark.parametrize(("label", "key", "build"), RANGED, ids=[row[0] for row in RANGED])
def test_every_range_is_the_readers_and_the_schemas(
    label: str, key: Key[Any], build: Build
) -> None:
    assert isinstance(key.value, Number)
    for value, inside in edge_values(key.value):
        document = build(value)
        assert reader_accepts(document) == inside, (label, value)
        assert schema_accepts(document) == inside, (label, value)


@pytest.mark.parametrize(("label", "key", "build"), PLACES, ids=[row[0] for row in PLACES])
def test_every_key_takes_a_sample_value_in_both(label: str, key: Key[Any], build: Build) -> None:
    document = build(sample(key))
    assert reader_accepts(document), label
    assert schema_accepts(document), label


def test_every_range_is_covered() -> None:
    """Ranged values of the definition, wherever they are, and the schema's bounds agree."""

    def bounded(node: Any) -> int:
        if isinstance(node, dict):
            return ("maximum" in node) + sum(bounded(value) for value in node.values())
        if isinstance(node, list):
            return sum(bounded(value) for value in node)
        return 0

    assert len(RANGED) > 40
    # A step's key is in the schema twice, inside the step and beside it, as in RANGED.
    assert bounded(schema_module.build()) == len(RANGED)


PLAIN_VALUES = (Number, Flag, Choice, Plain, Name, Words)
DEFAULTED = [
    (label, key, build)
    for label, key, build in PLACES
    if key.default is not None
    and isinstance(key.value, PLAIN_VALUES)
    and not label.startswith("voice")
    and key.name not in REQUIRED
]
"""Keys whose default is a value an author could write (a voice's are the compiler's, below)."""


@pytest.mark.parametrize(("label", "key", "build"), DEFAULTED, ids=[row[0] for row in DEFAULTED])
def test_leaving_a_key_out_is_writing_its_default(label: str, key: Key[Any], build: Build) -> None:
    assert read(build(sample(key))) == read(build(MISSING)), label


def test_top_level_defaults_are_the_models() -> None:
    script = read(BASE)
    for key in TOP_LEVEL:
        if key.field is not None and key.name not in REQUIRED:
            assert getattr(script, key.field) == key.default, key.name


def test_voice_defaults_are_what_the_compiler_speaks_with() -> None:
    settings, volume = voice_settings(read(BASE), None)
    defaults = {key.name: key.default for key in VOICE_KEYS}
    engine, rate_wpm = defaults["engine"], defaults["rate"]
    assert isinstance(engine, str) and isinstance(rate_wpm, int)
    written = VoiceSettings(engine=engine, rate_wpm=rate_wpm)
    assert settings == concrete(written), "the default engine, auto, made an engine"
    assert volume == defaults["volume"]
    assert settings.pitch is None


def test_every_script_field_is_one_top_level_keys() -> None:
    fields = {field.name for field in dataclasses.fields(Script)}
    filled = [key.field for key in TOP_LEVEL if key.field is not None]
    assert len(filled) == len(set(filled))
    assert set(filled) <= fields
    assert fields - set(filled) == {
        "name",
        "path",
        "display_path",
        "steps_loc",
        "language_loc",
        "met",
    }


def test_each_step_kind_is_whole() -> None:
    assert len({kind.name for kind in KINDS}) == len(KINDS)
    for name, step_class in STEP_KINDS.items():
        kind = step_class.KIND
        assert kind.name == name and kind.doc
        assert len(set(kind.key_names)) == len(kind.key_names), name
        assert all(key.doc for key in kind.keys)
        if kind.shorthand is None:
            assert kind.takes.startswith("takes "), name
        else:
            assert kind.shorthand.name in kind.key_names and not kind.takes, name
        for rule in kind.rules:
            named = [rule.key] if isinstance(rule, Needs | Has) else [rule.first, rule.second]
            assert set(named) <= set(kind.key_names), (name, rule)
            assert isinstance(rule, Needs | Has | OneOf | NotBoth)
        assert dataclasses.is_dataclass(step_class) and issubclass(step_class, Step)
        assert step_class.__dataclass_params__.frozen  # type: ignore[attr-defined]


STEP_CLASSES = {step.__name__ for step in STEP_KINDS.values()} | {"Step"}
DEFINITION = {
    "format/steps.py",
    "format/breathe.py",
    "format/movement.py",
    "format/tap.py",
    "format/model.py",
}


def test_only_the_definition_dispatches_on_step_classes() -> None:
    source = REPO / "src" / "coreg_audio"
    found = []
    for path in sorted(source.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "isinstance"
                and len(node.args) == 2
            ):
                continue
            names = {name.id for name in ast.walk(node.args[1]) if isinstance(name, ast.Name)}
            if names & STEP_CLASSES and str(path.relative_to(source)) not in DEFINITION:
                found.append(f"{path.relative_to(source)}:{node.lineno}")
    assert not found, f"dispatch through Step's methods instead: {found}"


def test_the_command_lines_choices_are_the_definitions() -> None:
    options = {
        param.name: param
        for command in (cli.commands["show"], cli.commands["voices"])
        for param in command.params
    }
    engine, tones = options["engine"].type, options["tones"].type
    assert isinstance(engine, click.Choice) and isinstance(tones, click.Choice)
    assert tuple(engine.choices) == ENGINES.choices
    assert tuple(tones.choices) == TONE_CHOICES.choices


def test_a_value_given_for_the_run_is_not_a_default() -> None:
    given = Loc.given("--pace")
    assert given != BUILT_IN and given.is_given and not given.in_file
    assert not BUILT_IN.is_given and not BUILT_IN.in_file
    assert Loc(3, 5).in_file and not Loc(3, 5).is_given
