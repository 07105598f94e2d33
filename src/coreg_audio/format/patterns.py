"""Breathing patterns: ``4-6``, ``4-7-8``, or a mapping of the four phases.

The phases' keys and ranges are written here once; a pattern in a script,
in a step, and given for one run (``--pace``) are all read against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import yaml

from ..suggest import suggestion
from .keys import Key
from .model import PHASES, Loc, MetPace, Pattern
from .nodes import STR_TAG, NodeReader, fmt, loc_of
from .values import Number, Schema, Value, ref, seconds

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


MET = "met"
"""The word that stands for the pace met at the most recent ``tap`` step."""


@dataclass(frozen=True)
class PaceValue(Value[Pattern | MetPace]):
    """A breathe step's first pattern: a pattern, or ``met`` (the pace a ``tap`` step met)."""

    def read(
        self, reader: NodeReader, node: yaml.Node, what: str, depth: int
    ) -> Pattern | MetPace | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG and node.value == MET:
            reader.visit(node, depth)
            return MetPace(loc_of(node))
        if (
            isinstance(node, yaml.ScalarNode)
            and node.tag == STR_TAG
            and not any(ch.isdigit() for ch in node.value)
        ):
            reader.visit(node, depth)
            hint = suggestion(node.value, [MET])
            reader.problem(
                node,
                f"{what} '{node.value}' is neither a pattern nor 'met'"
                + (hint or f"; {PATTERN_SHAPE}, or 'met' for the pace met at a tap step"),
            )
            return None
        return PatternValue().read(reader, node, what, depth)

    def schema(self, doc: str, default: object = None) -> Schema:
        return {
            "anyOf": [
                ref("pattern"),
                {"const": MET, "description": "the pace met at the most recent tap step"},
            ],
            "description": doc,
        }


def scaled_pattern(pattern: Pattern, cycle_s: Fraction, loc: Loc) -> Pattern:
    """``pattern``'s phases in the same proportions, lasting ``cycle_s`` in all, each in range."""
    factor = cycle_s / pattern.cycle_s
    return clamped_pattern(
        [pattern.phase_s(phase) * factor for phase in PHASES],
        loc,
    )


def clamped_pattern(phases_s: list[Fraction], loc: Loc) -> Pattern:
    """A pattern of the four phase lengths given, each kept within its allowed range."""
    kept = []
    for key, length_s in zip(PHASE_KEYS, phases_s, strict=True):
        allowed = key.value
        assert isinstance(allowed, Number)
        kept.append(min(max(length_s, Fraction(allowed.low)), Fraction(allowed.high)))
    return Pattern(kept[0], kept[1], kept[2], kept[3], loc)
