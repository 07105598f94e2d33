"""Words spoken over a rhythm: the ``say`` list of ``breathe``, ``rock`` and ``walk``.

A ``say`` step stops the rhythm; an item of a step's ``say`` list is spoken
while the step goes on, from the start of one phase of one of its cycles (for
``walk``, from one step's beat). The step's own timing never moves for it: its
items are fitted, as its cues are, into the time before the step's next spoken
event (``Placer.cues``). This module is what the three kinds share: the items'
keys, how a list is read and described in the schema, and the checks that
need the whole script (a cycle the step does not have).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import yaml

from ..timeline.placer import Pending
from .keys import Key
from .model import Loc, Patch, Text, Voice, VoiceRef
from .nodes import NodeReader, describe, loc_of
from .placeholders import fill
from .values import Choice, Schema, Value, Words, whole
from .voices import VoiceChoice

Report = Callable[[Loc, str], None]
"""Where a check reports a problem: its place and its message."""


@dataclass(frozen=True)
class OverItem:
    """One item of a step's ``say`` list: its words start at ``phase`` of 1-based ``cycle``.

    ``phase`` is ``None`` for ``walk``, whose items start at a step's beat;
    ``number`` is the item's place in its list, for messages.
    """

    number: int
    cycle: int
    phase: str | None
    text: Text
    voice: Voice | VoiceRef | None
    loc: Loc
    cycle_loc: Loc
    phase_loc: Loc = field(compare=False)
    """Where the phase is written; the item's own place when it is not (the default)."""

    def name(self, step: str) -> str:
        """How messages name the item: "'say' item 2 of step 3 (breathe)"."""
        return f"'say' item {self.number} of {step}"


@dataclass(frozen=True)
class OverItems(Value[tuple[OverItem, ...]]):
    """A step's ``say`` list, read with ``what`` naming the step ("step 3 (breathe)").

    ``phases`` are the phases an item may start at, ``phase`` the default one;
    a kind without phases (``walk``) has no ``phase`` key. ``most`` is the
    highest cycle the step can have.
    """

    phases: tuple[str, ...]
    phase: str | None
    most: int
    counted: str
    """What the step's cycles are called in the schema's words: "cycle", "step"."""

    @property
    def keys(self) -> tuple[Key[Any], ...]:
        cycle: Key[int] = Key(
            "cycle", whole(1, self.most), f"the 1-based {self.counted} the words are spoken in"
        )
        text: Key[Text] = Key("text", Words(), "the words; {a} and {b} are filled from params")
        voice: Key[Voice | VoiceRef] = Key(
            "voice", VoiceChoice(), "a name from 'voices', or a voice; default: the script's"
        )
        if not self.phases:
            return (cycle, text, voice)
        phase: Key[str] = Key(
            "phase",
            Choice(self.phases),
            "the phase of that cycle at whose start the words begin",
            default=self.phase,
        )
        return (cycle, phase, text, voice)

    def read(
        self, reader: NodeReader, node: yaml.Node, what: str, depth: int
    ) -> tuple[OverItem, ...] | None:
        reader.visit(node, depth)
        if not isinstance(node, yaml.SequenceNode):
            reader.problem(
                node,
                f"'say' in {what} is a list of words spoken over the step, e.g. "
                f"'say: [{{cycle: 2, text: Let your shoulders soften.}}]', not {describe(node)}",
            )
            return None
        items = [
            self._item(reader, item, number, what, depth + 1)
            for number, item in enumerate(node.value, start=1)
        ]
        return tuple(item for item in items if item is not None)

    def _item(
        self, reader: NodeReader, node: yaml.Node, number: int, what: str, depth: int
    ) -> OverItem | None:
        name = f"'say' item {number} of {what}"
        if isinstance(node, yaml.ScalarNode):
            reader.problem(
                node,
                f"{name} needs its cycle and its words, e.g. "
                f"'{{cycle: 2, text: {node.value or 'Let your shoulders soften.'}}}'",
            )
            return None
        keys = {key.name: key for key in self.keys}
        entries = reader.mapping(node, name, tuple(keys), depth, required=("cycle", "text"))
        if entries is None:
            return None
        found: dict[str, Any] = {
            word: keys[word].value.read(
                reader,
                entry.value,
                name if word == "voice" else f"'{word}' in {name}",
                depth + 1,
            )
            for word, entry in entries.items()
            if word != "text"
        }
        text = (
            reader.text(entries["text"].value, f"the text of {name}", depth + 1)
            if "text" in entries
            else None
        )
        cycle = found.get("cycle")
        if cycle is None or text is None or ("phase" in entries and found["phase"] is None):
            return None
        cycle_loc = loc_of(entries["cycle"].value)
        phase_loc = loc_of(entries["phase"].value) if "phase" in entries else loc_of(node)
        return OverItem(
            number,
            cycle,
            found.get("phase", self.phase),
            text,
            found.get("voice"),
            loc_of(node),
            cycle_loc,
            phase_loc,
        )

    def schema(self, doc: str, default: object = None) -> Schema:
        keys = self.keys
        return {
            "type": "array",
            "description": doc,
            "items": {
                "type": "object",
                "description": "words spoken over the step from the start of a "
                + ("phase of a cycle" if self.phases else "step's beat"),
                "properties": {key.name: key.schema() for key in keys},
                "required": ["cycle", "text"],
                "additionalProperties": False,
            },
        }


def texts(items: tuple[OverItem, ...], path: str) -> Iterator[tuple[Text, str]]:
    """Each item's words, with how messages name them."""
    for item in items:
        yield item.text, f"the text of 'say' item {item.number} of step {path}"


def voices(items: tuple[OverItem, ...]) -> Iterator[Voice | VoiceRef]:
    for item in items:
        if item.voice is not None:
            yield item.voice


def patched(items: tuple[OverItem, ...], patch: Patch) -> tuple[OverItem, ...]:
    """The items with a run's voice over each voice of their own."""
    if patch.voice is None:
        return items
    return tuple(
        replace(item, voice=patch.voice_over(item.voice)) if isinstance(item.voice, Voice) else item
        for item in items
    )


def pending(
    items: tuple[OverItem, ...],
    step: str,
    starts: dict[tuple[int, str], Fraction],
    step_end_s: Fraction,
    params: Mapping[str, str],
    side_of: Callable[[int], str] | None = None,
) -> list[Pending]:
    """The items placed at their starts, each to be fitted before the step ends.

    ``starts`` holds the start of each (cycle, phase) the step has; an item
    whose place is not there (refused by ``check`` first) is left out.
    ``side_of`` gives a walk's side of each step.
    """
    placed: list[Pending] = []
    for item in items:
        phase = item.phase if item.phase is not None else side_of(item.cycle) if side_of else ""
        start_s = starts.get((item.cycle, phase))
        if start_s is None:
            continue
        where = f"cycle {item.cycle}, {phase}" if item.phase is not None else f"step {item.cycle}"
        placed.append(
            Pending(
                "say",
                fill(item.text.source, params),
                start_s,
                step_end_s,
                phase,
                item.cycle,
                item.text,
                voice=item.voice,
                label=f"{item.name(step)}, {where}",
            )
        )
    return placed


def check(
    items: tuple[OverItem, ...],
    step: str,
    cycles: int,
    unit: str,
    problem: Report,
    length_s: Callable[[int, str], Fraction] | None = None,
    cue: Callable[[int, str], Text | None] | None = None,
) -> None:
    """Report items at a cycle the step does not have, at a phase of length 0 in their
    cycle, starting together with another item, or starting together with a cue.

    ``unit`` is what the step counts ("cycles", "steps"); ``length_s`` gives a
    phase's length in a cycle and ``cue`` the cue spoken there, if any.
    """
    seen: dict[tuple[int, str | None], OverItem] = {}
    for item in items:
        name = item.name(step)
        if item.cycle > cycles:
            problem(
                item.cycle_loc,
                f"'cycle' {item.cycle} of {name} is past the step's {cycles} {unit}; "
                f"choose one from 1 to {cycles}",
            )
            continue
        if (
            item.phase is not None
            and length_s is not None
            and length_s(item.cycle, item.phase) == 0
        ):
            problem(
                item.phase_loc,
                f"{name} starts at the {item.phase} of cycle {item.cycle}, which has no "
                f"{item.phase} (its length is 0); choose another phase",
            )
            continue
        place = (item.cycle, item.phase)
        if place in seen:
            problem(
                item.loc,
                f"{name} starts together with item {seen[place].number}; "
                "give each its own cycle or phase",
            )
            continue
        seen[place] = item
        spoken = cue(item.cycle, item.phase) if cue is not None and item.phase else None
        if spoken is not None:
            problem(
                item.loc,
                f"{name} starts together with the cue '{spoken.source}' of cycle {item.cycle}; "
                "choose a cycle after the first 'guide' cycles, or a phase without a cue",
            )
