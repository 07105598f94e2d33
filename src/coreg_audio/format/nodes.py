"""Read YAML nodes as values, collecting every problem at its line and column.

``NodeReader`` knows nothing of the format's keys: it reads a mapping, a
text, a number in a range, a choice, and records a problem where a value is
wrong instead of stopping, so one run reports them all. It walks the nodes
with a budget, because composing (``loader``) expands no aliases: a script of
a billion values by aliases is refused here, in time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, TypeVar

import yaml

from ..errors import Problem
from ..suggest import suggestion
from .loader import Document
from .model import Loc, Text

if TYPE_CHECKING:
    from .model import Step

T = TypeVar("T")

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"

MAX_NODES = 100_000
MAX_DEPTH = 40

CONTROL_CHARACTERS = r"\x00-\x08\x0b-\x1f\x7f"
"""Characters no engine speaks and no page shows (a tab and a line break are kept)."""
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_NUMBER_RE = re.compile(r"^[-+]?(?P<int>\d*)(\.(?P<frac>\d*))?([eE](?P<exp>[-+]?\d+))?$")


class TooLarge(Exception):
    """The node walk ran out of budget: an alias bomb or a runaway nesting."""


@dataclass
class Entry:
    """One key of a mapping as written: the key's node and its value's."""

    key: yaml.ScalarNode
    value: yaml.Node


def loc_of(node: yaml.Node) -> Loc:
    return Loc(node.start_mark.line + 1, node.start_mark.column + 1)


class NodeReader:
    """Problems of one document, and the reads that find them."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[Problem] = []
        self.faults = 0
        """Every problem found, told or not: one at a broken part is already told by its
        syntax problem, but what leans on that part must not be trusted either."""
        self._visited = 0

    def problem(self, where: yaml.Node | Loc, message: str) -> None:
        loc = where if isinstance(where, Loc) else loc_of(where)
        self.faults += 1
        if (loc.line, loc.column) in self.document.broken:
            return
        self.problems.append(Problem(self.document.display_path, loc.line, loc.column, message))

    def visit(self, node: yaml.Node, depth: int) -> None:
        self._visited += 1
        if self._visited > MAX_NODES:
            raise TooLarge(
                f"the script is too large: more than {MAX_NODES:,} values once its "
                "aliases (*name) are expanded"
            )
        if depth > MAX_DEPTH:
            raise TooLarge(f"the script is nested more than {MAX_DEPTH} levels deep")

    def steps(self, node: yaml.Node, parent: str, depth: int) -> tuple[Step, ...]:
        """A list of steps; the document reader (``reader``) knows how."""
        raise NotImplementedError

    # -- mappings --------------------------------------------------------

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        allowed: Sequence[str],
        depth: int,
        required: Sequence[str] = (),
    ) -> dict[str, Entry] | None:
        self.visit(node, depth)
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping of keys, not {describe(node)}")
            return None
        entries: dict[str, Entry] = {}
        for key, value in self.pairs(node, depth):
            self.visit(key, depth + 1)
            if not isinstance(key, yaml.ScalarNode) or key.tag == NULL_TAG:
                self.problem(key, f"a key in {what} must be a word, not {describe(key)}")
                continue
            word = key.value
            if word in entries:
                first = loc_of(entries[word].key)
                self.problem(key, f"'{word}' is given twice in {what} (first at line {first.line})")
                continue
            if word not in allowed:
                hint = suggestion(word, allowed)
                self.problem(
                    key,
                    f"unknown key '{word}' in {what}{hint}"
                    + ("" if hint else f" (allowed: {', '.join(allowed)})"),
                )
                continue
            entries[word] = Entry(key, value)
        for word in required:
            if word not in entries:
                self.problem(node, f"{what} needs '{word}'")
        return entries

    def pairs(self, node: yaml.MappingNode, depth: int) -> list[tuple[yaml.Node, yaml.Node]]:
        """Key-value pairs with YAML merge keys (``<<: *base``) applied, own keys first."""
        own: list[tuple[yaml.Node, yaml.Node]] = []
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag == MERGE_TAG:
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    self.visit(source, depth + 1)
                    if isinstance(source, yaml.MappingNode):
                        merged.extend(self.pairs(source, depth + 1))
                    else:
                        self.problem(source, f"'<<' merges a mapping, not {describe(source)}")
            else:
                own.append((key, value))
        names = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        return own + [
            (k, v) for k, v in merged if not (isinstance(k, yaml.ScalarNode) and k.value in names)
        ]

    def named(
        self, node: yaml.Node, what: str, depth: int, read: Callable[[yaml.Node, str], T | None]
    ) -> dict[str, T] | None:
        """A mapping from author-chosen names (params, voices) to values read by ``read``."""
        self.visit(node, depth)
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"'{what}s' must be a mapping of names, not {describe(node)}")
            return None
        found: dict[str, T] = {}
        for key, value in self.pairs(node, depth):
            self.visit(key, depth + 1)
            if not isinstance(key, yaml.ScalarNode) or not NAME_RE.match(key.value):
                self.problem(
                    key,
                    f"a {what} name is a word of letters, digits, '_' or '-' (e.g. a, partner_1)",
                )
                continue
            if key.value in found:
                self.problem(key, f"{what} '{key.value}' is given twice")
                continue
            item = read(value, f"{what} '{key.value}'")
            if item is not None:
                found[key.value] = item
        return found

    # -- single values ---------------------------------------------------

    def scalar(self, node: yaml.Node, what: str, depth: int) -> yaml.ScalarNode | None:
        self.visit(node, depth)
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, f"{what} must be a single value, not {describe(node)}")
            return None
        return node

    def text(
        self, node: yaml.Node, what: str, depth: int, *, allow_empty: bool = False
    ) -> Text | None:
        """Spoken or shown text; any scalar is read as written (``No`` stays "No")."""
        scalar = self.scalar(node, what, depth)
        if scalar is None:
            return None
        if scalar.tag == NULL_TAG and scalar.style is None:
            if not allow_empty:
                self.problem(scalar, f"{what} needs some text")
            return None
        if scalar.tag not in (STR_TAG, INT_TAG, FLOAT_TAG, BOOL_TAG, NULL_TAG):
            self.problem(scalar, f"{what} has an unsupported tag '{scalar.tag}'")
            return None
        if not scalar.value.strip():
            if not allow_empty:
                self.problem(scalar, f"{what} needs some text")
            return None
        control = _CONTROL.search(scalar.value)
        if control is not None:
            self.problem(
                scalar,
                f"{what} holds a control character (#x{ord(control.group()):04x}), which "
                "cannot be spoken or shown; remove it (an escape such as \\0 in quotes makes one)",
            )
            return None
        return self._text_at(scalar)

    def _text_at(self, scalar: yaml.ScalarNode) -> Text:
        start, end = scalar.start_mark, scalar.end_mark
        source = self.document.text
        quote = 1 if scalar.style in ("'", '"') else 0
        verbatim = (
            scalar.style in (None, "'", '"')
            and start.line == end.line
            and source[start.index + quote : end.index - quote] == scalar.value
        )
        loc = Loc(start.line + 1, start.column + 1 + quote) if verbatim else loc_of(scalar)
        return Text(scalar.value, loc, verbatim)

    def plain_string(self, node: yaml.Node, what: str, depth: int) -> str | None:
        text = self.text(node, what, depth)
        return text.source if text is not None else None

    def number(
        self,
        node: yaml.Node,
        what: str,
        depth: int,
        low: Fraction | int,
        high: Fraction | int,
        *,
        whole: bool = False,
        low_open: bool = False,
        unit: str = "",
    ) -> Fraction | None:
        scalar = self.scalar(node, what, depth)
        if scalar is None:
            return None
        kind = "a whole number" if whole else "a number"
        value = number_value(scalar)
        if value is None:
            unit_note = f" ({unit_phrase(unit).strip()})" if unit else ""
            self.problem(scalar, f"{what} must be {kind}{unit_note}, not {describe(scalar)}")
            return None
        range_text = range_phrase(low, high, low_open=low_open)
        if whole and value.denominator != 1:
            self.problem(scalar, f"{what} must be a whole number {range_text}, not {scalar.value}")
            return None
        below = value <= low if low_open else value < low
        if below or value > high:
            self.problem(
                scalar, f"{what} must be {range_text}{unit_phrase(unit)}, not {scalar.value}"
            )
            return None
        return value

    def boolean(self, node: yaml.Node, what: str, depth: int) -> bool | None:
        scalar = self.scalar(node, what, depth)
        if scalar is None:
            return None
        if scalar.tag != BOOL_TAG:
            self.problem(scalar, f"{what} must be true or false, not {describe(scalar)}")
            return None
        return bool(yaml.SafeLoader.bool_values[scalar.value.lower()])

    def choice(self, node: yaml.Node, what: str, depth: int, choices: Sequence[str]) -> str | None:
        word = self.plain_string(node, what, depth)
        if word is None:
            return None
        if word not in choices:
            hint = suggestion(word, choices)
            self.problem(node, f"{what} must be one of {', '.join(choices)}, not '{word}'{hint}")
            return None
        return word


def number_value(scalar: yaml.ScalarNode) -> Fraction | None:
    """The exact value of a numeric scalar, or None when it is not a finite number.

    Plain decimals are read as decimals whatever YAML 1.1 says (``010`` is ten,
    not eight; ``1e3`` is a thousand, not text); other YAML numbers (hex,
    sexagesimal) go through PyYAML's constructor.
    """
    text = scalar.value.strip().replace("_", "")
    plain = scalar.style is None
    if (plain or scalar.tag in (INT_TAG, FLOAT_TAG)) and (match := _NUMBER_RE.match(text)):
        digits = len(match.group("int") or "") + len(match.group("frac") or "")
        if digits == 0:
            return None
        exponent = int(match.group("exp") or 0) if len(match.group("exp") or "") < 8 else 10**6
        if digits > 40 or exponent > 40:
            return Fraction(-(10**42) if text.startswith("-") else 10**42)
        if exponent < -40:
            return Fraction(0)
        return Fraction(text)
    loader = yaml.SafeLoader("")
    try:
        if scalar.tag == INT_TAG:
            return Fraction(loader.construct_yaml_int(scalar))
        if scalar.tag == FLOAT_TAG:
            value = loader.construct_yaml_float(scalar)
            if value != value or value in (float("inf"), float("-inf")):
                return None
            return Fraction(value)
    except (ValueError, TypeError, OverflowError):
        return None
    return None


def describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.ScalarNode):
        if node.tag == NULL_TAG:
            return "nothing"
        value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        return f"'{value}'"
    return "this"


def fmt(value: Fraction | int | float) -> str:
    """A bound as messages write it: 20, 0.5."""
    number = Fraction(value)
    if number.denominator == 1:
        return str(number.numerator)
    return f"{float(number):g}"


def range_phrase(low: Fraction | int, high: Fraction | int, *, low_open: bool = False) -> str:
    """'from 1 to 20', or 'more than 0 and at most 3600' when ``low`` itself is out."""
    if low_open:
        return f"more than {fmt(low)} and at most {fmt(high)}"
    return f"from {fmt(low)} to {fmt(high)}"


def unit_phrase(unit: str) -> str:
    return f" {unit}" if unit and unit != "s" else (" seconds" if unit == "s" else "")
