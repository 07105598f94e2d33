"""Kinds of value: how each is read from its YAML node, and how the JSON Schema describes it.

A ``Value`` reads one value with the reader's messages (a number in a range,
a text, a choice of words, a mapping of names) and projects itself into the
schema; the definition's keys (``keys.Key``) are each a name, a ``Value``, a
doc and a default.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import yaml

from .languages import WORD_PARTS, WORDED, default_word_phrase, words_for
from .model import BUILT_IN, Step, Text
from .nodes import CONTROL_CHARACTERS, NAME_RE, NodeReader, range_phrase

if TYPE_CHECKING:
    from .keys import StepInput

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
        return {"type": types, "pattern": f"^[^{CONTROL_CHARACTERS}]*$", "description": doc}


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
class CueWords(Value[dict[str, Text | None]]):
    """The word said at the start of each phase or side; ``""`` or ``null`` is silent.

    Read with ``what`` naming the step, as its messages say "'cues' in step 2
    (breathe)" and "the inhale cue of step 2 (breathe)". A part not given takes
    the default word of the script's language (``languages``); in a language
    without default words, the ``needed`` parts must be given.
    """

    parts: tuple[str, ...]
    needed: tuple[str, ...]
    """The parts a step that speaks must give where its language has no words (not hold)."""

    def read(
        self, reader: NodeReader, node: yaml.Node, what: str, depth: int
    ) -> dict[str, Text | None] | None:
        cues = reader.mapping(node, f"'cues' in {what}", self.parts, depth)
        if cues is None:
            return None
        return {
            part: reader.text(cue.value, f"the {part} cue of {what}", depth + 1, allow_empty=True)
            for part, cue in cues.items()
        }

    def schema(self, doc: str, default: object = None) -> Schema:
        said = Words(silent_allowed=True)
        return {
            "type": "object",
            "description": doc,
            "additionalProperties": False,
            "properties": {
                part: said.schema(
                    f"said at the start of each {part}"
                    + (
                        f"; default: the word in the script's language, {default_word_phrase(part)}"
                        if part in WORD_PARTS
                        else ""
                    )
                )
                for part in self.parts
            },
        }

    def with_defaults(
        self, given: Mapping[str, Text | None], language: str
    ) -> dict[str, Text | None]:
        """The given words over the default ones of ``language``; none in a language without."""
        words = words_for(language)
        said = {part: words.word(part) for part in self.parts} if words is not None else {}
        defaults = {part: Text(word, BUILT_IN) for part, word in said.items() if word is not None}
        return {part: given.get(part, defaults.get(part)) for part in self.parts}

    def of_step(
        self, given: Mapping[str, Text | None], step: StepInput, *, speaks: bool
    ) -> dict[str, Text | None]:
        """``with_defaults`` in the script's language, for a step that ``speaks`` its cues or not.

        In a language without default words, each ``needed`` part the step
        leaves out is silent, and a problem when the step speaks its cues.
        """
        missing = [part for part in self.needed if part not in given]
        if speaks and missing and words_for(step.language) is None:
            example = ", ".join(f"{part}: ..." for part in self.needed)
            step.problem(
                step.key_node("cues") if step.given("cues") else step.loc,
                f"{step.what} speaks cue words, but coreg-audio has no default words in "
                f"language '{step.language}' (only in {', '.join(WORDED)}); give the step "
                f"its own {' and '.join(missing)} cue{'s' if len(missing) > 1 else ''}, "
                f"e.g. 'cues: {{{example}}}', or 'guide: 0' for none",
            )
        return self.with_defaults(given, step.language)


@dataclass(frozen=True)
class StepList(Value[tuple[Step, ...]]):
    """A non-empty list of steps; the reader finds each one's kind (``steps.STEP_KINDS``)."""

    def read(
        self, reader: NodeReader, node: yaml.Node, what: str, depth: int
    ) -> tuple[Step, ...] | None:
        return reader.steps(node, "", depth)

    def schema(self, doc: str, default: object = None) -> Schema:
        return {"type": "array", "minItems": 1, "items": ref("step"), "description": doc}
