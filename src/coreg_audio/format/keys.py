"""The pieces the format is defined with: kinds of value, keys, step kinds and their rules.

A ``Value`` says how one kind of value is read from its YAML node (with the
reader's messages) and how the JSON Schema describes it. A ``Key`` is a name,
a value, a one-line doc and a default: written once, it is what the reader
reads, the schema shows, the model falls back to, and the overrides and the
command line check against. A ``Kind`` gathers a step kind's keys, shorthand
and rules; ``StepInput`` is what a step kind reads itself from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import yaml

from .model import Loc, Text
from .nodes import NAME_RE, Entry, NodeReader, range_phrase

if TYPE_CHECKING:
    from .model import Step

T = TypeVar("T")
N = TypeVar("N", Fraction, int, float)
Schema = dict[str, Any]

TEXT_TYPES = ["string", "number", "boolean"]
"""What the schema accepts as text: the reader takes any scalar as written (``No`` stays "No")."""
ONE_LINE = r"^\s*[^\n]*\s*$"


def json_value(value: object) -> object:
    """A default as JSON shows it: 5 rather than Fraction(5), -20 rather than -20.0."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | Fraction):
        number = Fraction(value)
        return number.numerator if number.denominator == 1 else float(number)
    raise TypeError(f"no JSON form for the default {value!r}")


class Value(ABC, Generic[T]):
    """One kind of value: how it is read, and how the JSON Schema describes it."""

    @abstractmethod
    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> T | None:
        """The value at ``node``; ``None`` with a problem recorded (or nothing written)."""

    @abstractmethod
    def schema(self, doc: str, default: object = None) -> Schema:
        """The schema of a value documented by ``doc``, showing ``default`` if it has a JSON form.

        A default is shown as ``json_value`` writes it; kinds of value whose
        defaults have no JSON form (a pattern, a voice) leave it out.
        """


@dataclass(frozen=True)
class Number(Value[N]):
    """A number in a range, made exact (``Fraction``), whole (``int``) or a ``float``."""

    low: Fraction | int
    high: Fraction | int
    cast: Callable[[Fraction], N]
    whole: bool = False
    low_open: bool = False
    unit: str = ""

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> N | None:
        value = reader.number(
            node,
            what,
            depth,
            self.low,
            self.high,
            whole=self.whole,
            low_open=self.low_open,
            unit=self.unit,
        )
        return None if value is None else self.cast(value)

    def schema(self, doc: str, default: object = None) -> Schema:
        description = f"{doc} (seconds)" if self.unit == "s" else doc
        schema: Schema = {"type": "integer" if self.whole else "number", "description": description}
        schema["exclusiveMinimum" if self.low_open else "minimum"] = json_value(self.low)
        schema["maximum"] = json_value(self.high)
        if default is not None:
            schema["default"] = json_value(default)
        return schema

    def allows(self, value: Fraction | int | float) -> bool:
        exact = Fraction(value)
        above_low = exact > self.low if self.low_open else exact >= self.low
        whole = not self.whole or exact.denominator == 1
        return above_low and exact <= self.high and whole

    @property
    def range_text(self) -> str:
        """'from 80 to 300', as messages say it."""
        return range_phrase(self.low, self.high, low_open=self.low_open)


def _exact(value: Fraction) -> Fraction:
    return value


def seconds(
    low: Fraction | int, high: Fraction | int, *, low_open: bool = False
) -> Number[Fraction]:
    """A time in exact seconds."""
    return Number(low, high, _exact, low_open=low_open, unit="s")


def number(
    low: Fraction | int, high: Fraction | int, *, low_open: bool = False, unit: str = ""
) -> Number[Fraction]:
    """An exact number in ``unit`` (steps a minute, minutes)."""
    return Number(low, high, _exact, low_open=low_open, unit=unit)


def whole(low: int, high: int) -> Number[int]:
    """A whole number: a count, a rate."""
    return Number(low, high, int, whole=True)


def real(low: Fraction | int, high: Fraction | int, *, unit: str = "") -> Number[float]:
    """A level, a pan or a pitch, kept as a ``float`` for the mixer."""
    return Number(low, high, float, unit=unit)


@dataclass(frozen=True)
class Plain(Value[str]):
    """Shown text (a title, a name's value), read as written; ``one_line`` refuses line breaks."""

    one_line: bool = False

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> str | None:
        word = reader.plain_string(node, what, depth)
        if word is not None and self.one_line and "\n" in word.strip():
            reader.problem(node, f"{what} must be one line")
        return word

    def schema(self, doc: str, default: object = None) -> Schema:
        schema: Schema = {"type": TEXT_TYPES, "description": doc}
        if self.one_line:
            schema["pattern"] = ONE_LINE
        return schema


@dataclass(frozen=True)
class Name(Value[str]):
    """A name another program knows (an engine's voice id)."""

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> str | None:
        return reader.plain_string(node, what, depth)

    def schema(self, doc: str, default: object = None) -> Schema:
        return {"type": "string", "description": doc}


@dataclass(frozen=True)
class Words(Value[Text]):
    """Spoken words, placeholders unfilled, with where they are written.

    ``silent_allowed``: empty or ``null`` is allowed and means "say nothing".
    """

    silent_allowed: bool = False

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> Text | None:
        return reader.text(node, what, depth, allow_empty=self.silent_allowed)

    def schema(self, doc: str, default: object = None) -> Schema:
        types = [*TEXT_TYPES, "null"] if self.silent_allowed else TEXT_TYPES
        return {"type": types, "description": doc}


@dataclass(frozen=True)
class Flag(Value[bool]):
    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> bool | None:
        return reader.boolean(node, what, depth)

    def schema(self, doc: str, default: object = None) -> Schema:
        schema: Schema = {"type": "boolean"}
        if default is not None:
            schema["default"] = json_value(default)
        schema["description"] = doc
        return schema


@dataclass(frozen=True)
class Choice(Value[T]):
    """One word of ``choices``."""

    choices: tuple[T, ...]

    def read(self, reader: NodeReader, node: yaml.Node, what: str, depth: int) -> T | None:
        word = reader.choice(node, what, depth, cast(Sequence[str], self.choices))
        return None if word is None else cast(T, word)

    def schema(self, doc: str, default: object = None) -> Schema:
        schema: Schema = {"enum": list(self.choices), "description": doc}
        if default is not None:
            schema["default"] = json_value(default)
        return schema

    def allows(self, word: str) -> bool:
        return word in cast(Sequence[str], self.choices)

    @property
    def choices_text(self) -> str:
        return ", ".join(cast(Sequence[str], self.choices))


@dataclass(frozen=True)
class Named(Value[dict[str, T]]):
    """Values under names the author chooses (``params``, ``voices``)."""

    item: Value[T]
    word: str
    """What one entry is called in messages: 'param', 'voice'."""
    item_doc: str = ""

    def read(
        self, reader: NodeReader, node: yaml.Node, what: str, depth: int
    ) -> dict[str, T] | None:
        return reader.named(
            node, self.word, depth, lambda v, name: self.item.read(reader, v, name, depth + 1)
        )

    def schema(self, doc: str, default: object = None) -> Schema:
        return {
            "type": "object",
            "propertyNames": {"pattern": NAME_RE.pattern},
            "additionalProperties": self.item.schema(self.item_doc),
            "description": doc,
        }


def ref(name: str) -> Schema:
    """A reference to one of the schema's shared definitions (pattern, voice, step)."""
    return {"$ref": f"#/$defs/{name}"}


@dataclass(frozen=True)
class Key(Generic[T]):
    """One key of the format: its name, value, one-line doc and default.

    ``default`` is what the model holds when the key is not written (or is
    wrong); ``None`` means the model holds ``None`` too. ``show_default=False``
    leaves it out of the schema where the doc already says what happens.
    ``field`` is the model's field a top-level key fills; ``called`` is how a
    step's messages name the key when not as "'key' in step 1 (kind)", e.g.
    "the strikes of {step}" ({step} is "step 1 (bell)", {path} is "1").
    """

    name: str
    value: Value[T]
    doc: str
    default: T | None = None
    field: str | None = None
    called: str = ""
    show_default: bool = True

    @property
    def fallback(self) -> T:
        """The default of a key that has one."""
        if self.default is None:
            raise ValueError(f"the key '{self.name}' has no default")
        return self.default

    def schema(self) -> Schema:
        return self.value.schema(self.doc, self.default if self.show_default else None)


@dataclass(frozen=True)
class Needs:
    """The step's shorthand value or, in its mapping, ``key``."""

    key: str


@dataclass(frozen=True)
class Has:
    """``key`` is given."""

    key: str


@dataclass(frozen=True)
class OneOf:
    """Exactly one of ``first`` (a count) and ``second`` (instead of it) is given."""

    first: str
    second: str


@dataclass(frozen=True)
class NotBoth:
    """At most one of the two keys is given."""

    first: str
    second: str


Rule = Needs | Has | OneOf | NotBoth


@dataclass(frozen=True)
class Kind:
    """A step kind's definition: its word, doc, keys, shorthand and rules.

    ``shorthand`` is the key a scalar value gives (``bell: 3``); a kind without
    one says what it takes instead in ``takes`` ("takes keys, e.g. ...").
    ``rules`` tie keys together; the reader enforces them and the schema
    states them.
    """

    name: str
    doc: str
    keys: tuple[Key[Any], ...]
    shorthand: Key[Any] | None = None
    takes: str = ""
    rules: tuple[Rule, ...] = ()

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys)


@dataclass
class StepInput:
    """One step as written, for its kind to read: its keys, its shorthand and its place."""

    reader: NodeReader
    kind: Kind
    path: str
    loc: Loc
    entries: dict[str, Entry]
    shorthand: yaml.Node | None
    depth: int

    @property
    def what(self) -> str:
        """How messages name the step: "step 2.1 (breathe)"."""
        return f"step {self.path} ({self.kind.name})"

    def given(self, name: str) -> bool:
        return name in self.entries

    def key_node(self, name: str) -> yaml.ScalarNode:
        return self.entries[name].key

    def node(self, name: str) -> yaml.Node | None:
        return self.entries[name].value if name in self.entries else None

    def main_node(self) -> yaml.Node | None:
        """The shorthand value, else the value of the shorthand's key."""
        if self.shorthand is not None:
            return self.shorthand
        assert self.kind.shorthand is not None
        return self.node(self.kind.shorthand.name)

    def called(self, key: Key[Any]) -> str:
        if key.called:
            return key.called.format(step=self.what, path=self.path)
        return f"'{key.name}' in {self.what}"

    def read(self, key: Key[T], node: yaml.Node) -> T | None:
        return key.value.read(self.reader, node, self.called(key), self.depth)

    def get(self, key: Key[T]) -> T | None:
        """The key's value; its default when it is not given or is wrong."""
        node = self.node(key.name)
        value = self.read(key, node) if node is not None else None
        return key.default if value is None else value

    def value(self, key: Key[T]) -> T:
        """As ``get``, for a key that has a default."""
        found = self.get(key)
        return key.fallback if found is None else found

    def problem(self, where: yaml.Node | Loc, message: str) -> None:
        self.reader.problem(where, message)

    def steps(self, node: yaml.Node) -> tuple[Step, ...]:
        """Steps written inside this one."""
        return self.reader.steps(node, self.path, self.depth)
