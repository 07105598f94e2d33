"""What the format is defined with: keys, step kinds and the rules between their keys.

A ``Key`` is a name, a kind of value (``values``), a one-line doc and a
default: written once, it is what the reader reads, the schema shows, the
model falls back to, and the overrides and the command line check against.
A ``Kind`` gathers a step kind's keys, shorthand and rules; ``StepInput`` is
what a step kind reads itself from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import yaml

from .model import Loc
from .nodes import Entry, NodeReader
from .values import Schema, Value

if TYPE_CHECKING:
    from .model import Step

T = TypeVar("T")


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
    """One step as written, for its kind to read: its keys, its shorthand and its place.

    ``language`` is the script's, for the words a step says by default.
    """

    reader: NodeReader
    kind: Kind
    path: str
    loc: Loc
    entries: dict[str, Entry]
    shorthand: yaml.Node | None
    depth: int
    language: str = "en"

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

    def exactly_one(self, first: Key[Any], second: Key[Any]) -> bool:
        """Whether exactly one of the keys is given (``OneOf``); a problem where not."""
        if self.given(first.name) and self.given(second.name):
            self.problem(
                self.key_node(second.name),
                f"{self.what} gives both '{first.name}' and '{second.name}'; keep one",
            )
            return False
        if not self.given(first.name) and not self.given(second.name):
            self.problem(self.loc, f"{self.what} needs '{first.name}' (or '{second.name}')")
            return False
        return True
