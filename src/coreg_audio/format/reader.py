"""Turn a script's YAML nodes into the model by walking the format's definition.

The top-level keys come from ``toplevel.TOP_LEVEL`` and each step's keys
from its kind (``steps.STEP_KINDS``); each value is checked for type and range
where it is read, so a problem points at the key or value the author has to
change. Reading goes on after a problem so that one run reports them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..errors import Problem, ScriptError
from ..suggest import close_matches, suggestion
from .keys import Key, Kind, StepInput
from .loader import Document
from .model import Script, Step
from .nodes import NULL_TAG, Entry, NodeReader, TooLarge, describe, loc_of
from .steps import STEP_KINDS
from .toplevel import LANGUAGE, REQUIRED, TOP_LEVEL, TOP_LEVEL_KEYS


@dataclass(frozen=True)
class Reading:
    """A document read as far as it could be: the model, its problems, and what to doubt.

    With problems, ``script`` (when there is one) leaves out or defaults what was
    wrong, so later stages can still look for their own problems in the rest.
    ``doubtful`` names the top-level keys whose values had problems (or were set
    aside as broken YAML), and those a wrong top-level key may have been meant
    as: checks that lean on those would report mistakes the author did not make.
    """

    script: Script | None
    problems: tuple[Problem, ...]
    doubtful: frozenset[str]


def read_partial(document: Document, name: str) -> Reading:
    """Read ``document``, collecting every problem instead of stopping at the first."""
    reader = _DocumentReader(document)
    try:
        script = reader.script(name)
    except TooLarge as error:
        reader.problems.append(Problem(document.display_path, 1, 1, str(error)))
        script = None
    return Reading(script, (*document.problems, *reader.problems), frozenset(reader.doubtful))


def read_script(document: Document, name: str) -> Script:
    """The model of ``document``; raises ``ScriptError`` with every problem found."""
    reading = read_partial(document, name)
    if reading.problems or reading.script is None:
        raise ScriptError(reading.problems)
    return reading.script


class _DocumentReader(NodeReader):
    def __init__(self, document: Document) -> None:
        super().__init__(document)
        self.doubtful: set[str] = set()
        self.language: str = LANGUAGE.fallback

    def top(self, entries: dict[str, Entry], key: Key[Any]) -> Any:
        """A top-level value, or its default; a key whose value had problems becomes doubtful."""
        if key.name not in entries:
            return key.default
        before = self.faults
        value = key.value.read(self, entries[key.name].value, f"'{key.name}'", 1)
        if self.faults > before:
            self.doubtful.add(key.name)
        return key.default if value is None else value

    def meant(self, root: yaml.MappingNode, entries: dict[str, Entry]) -> set[str]:
        """The keys a wrong top-level key may have been meant as: what it nearly spells, or
        itself when given twice. Checks that lean on those keys would blame the author for
        what the misspelling left out; every other check still runs."""
        meant: set[str] = set()
        for key, _ in self.pairs(root, 0):
            if not isinstance(key, yaml.ScalarNode):
                continue
            if key.value in entries and entries[key.value].key is not key:
                meant.add(key.value)
            elif key.value not in TOP_LEVEL_KEYS:
                meant.update(close_matches(key.value, TOP_LEVEL_KEYS))
        return meant

    def script(self, name: str) -> Script | None:
        root = self.document.root
        entries = self.mapping(root, "the script", TOP_LEVEL_KEYS, 0, required=REQUIRED)
        if entries is None:
            return None
        self.doubtful.update(self.meant(root, entries))
        fields: dict[str, Any] = {}
        for key in TOP_LEVEL:
            value = self.top(entries, key)
            if key.field is not None:
                fields[key.field] = value
            if key is LANGUAGE:
                self.language = value  # read before the steps, which speak in it
        return Script(
            name=name,
            path=self.document.path,
            display_path=self.document.display_path,
            steps_loc=loc_of(entries["steps"].key) if "steps" in entries else loc_of(root),
            language_loc=(
                loc_of(entries["language"].value) if "language" in entries else loc_of(root)
            ),
            **fields,
        )

    def steps(self, node: yaml.Node, parent: str, depth: int) -> tuple[Step, ...]:
        self.visit(node, depth)
        where = "'steps'" if not parent else f"the 'steps' of step {parent}"
        if not isinstance(node, yaml.SequenceNode):
            self.problem(
                node,
                f"{where} must be a list of steps (lines starting with '- '), not {describe(node)}",
            )
            return ()
        if not node.value:
            self.problem(node, f"{where} is empty; add at least one step")
            return ()
        steps: list[Step] = []
        for index, item in enumerate(node.value, start=1):
            path = f"{parent}.{index}" if parent else str(index)
            step = self.step(item, path, depth + 1)
            if step is not None:
                steps.append(step)
        return tuple(steps)

    def step(self, node: yaml.Node, path: str, depth: int) -> Step | None:
        """One step: find its kind's word, gather its keys, and let its kind read it."""
        self.visit(node, depth)
        if isinstance(node, yaml.ScalarNode) and node.value in STEP_KINDS:
            self.problem(
                node, f"step {path} '{node.value}' needs a value: write '{node.value}: ...'"
            )
            return None
        if not isinstance(node, yaml.MappingNode):
            self.problem(
                node,
                f"step {path} must be a mapping such as 'say: Hello' or "
                f"'pause: 3', not {describe(node)}",
            )
            return None
        pairs = self.pairs(node, depth)
        kinds = _step_words(pairs)
        if len(kinds) > 1:
            self.problem(
                kinds[1],
                f"step {path} has both '{kinds[0].value}' and "
                f"'{kinds[1].value}'; put each in its own step (a new '- ' line)",
            )
            return None
        if not kinds:
            first = pairs[0][0] if pairs else node
            word = first.value if isinstance(first, yaml.ScalarNode) else ""
            hint = suggestion(str(word), STEP_KINDS)
            self.problem(
                first,
                f"step {path} has no step kind"
                + (f": unknown key '{word}'{hint}" if word else "")
                + ("" if hint else f" (a step is one of {', '.join(STEP_KINDS)})"),
            )
            return None
        kind_key = kinds[0]
        step_class = STEP_KINDS[kind_key.value]
        kind = step_class.KIND
        value = next(v for k, v in pairs if k is kind_key)
        siblings = [(k, v) for k, v in pairs if k is not kind_key]
        entries, shorthand = self.step_entries(kind, value, siblings, path, depth)
        if entries is None:
            return None
        if shorthand is not None and kind.shorthand is None:
            self.problem(shorthand, f"step {path} ({kind.name}) {kind.takes}")
            return None
        given = StepInput(
            self, kind, path, loc_of(kind_key), entries, shorthand, depth + 1, self.language
        )
        return step_class.read(given)

    def step_entries(
        self,
        kind: Kind,
        value: yaml.Node,
        siblings: list[tuple[yaml.Node, yaml.Node]],
        path: str,
        depth: int,
    ) -> tuple[dict[str, Entry] | None, yaml.Node | None]:
        """The step's own keys, from ``kind: {…}`` and from keys beside ``kind:``.

        Keys beside the step key (``- say: Hello`` then ``after: 2``) are accepted
        as a convenience; a key given in both places is an error.
        """
        what = f"step {path} ({kind.name})"
        allowed = kind.key_names
        entries: dict[str, Entry] = {}
        shorthand: yaml.Node | None = None
        ok = True
        if isinstance(value, yaml.MappingNode):
            inner = self.mapping(value, what, allowed, depth + 1)
            if inner is None:
                return None, None
            entries.update(inner)
        elif not (isinstance(value, yaml.ScalarNode) and value.tag == NULL_TAG and not value.value):
            shorthand = value
        for key, val in siblings:
            self.visit(key, depth + 1)
            if not isinstance(key, yaml.ScalarNode):
                self.problem(key, f"a key in {what} must be a word, not {describe(key)}")
                ok = False
                continue
            word = key.value
            if word not in allowed:
                hint = suggestion(word, (*allowed, *STEP_KINDS))
                self.problem(
                    key,
                    f"unknown key '{word}' in {what}{hint}"
                    + ("" if hint else f" (allowed: {', '.join(allowed)})"),
                )
                ok = False
                continue
            if word in entries:
                self.problem(key, f"'{word}' is given twice in {what}")
                ok = False
                continue
            entries[word] = Entry(key, val)
        return (entries if ok else None), shorthand


def _step_words(pairs: list[tuple[yaml.Node, yaml.Node]]) -> list[yaml.ScalarNode]:
    """The keys of a step that name step kinds, less those that are another one's list.

    ``say`` beside ``breathe:`` is the breathe step's list of words when its
    value is a list (a ``say`` step never is), not a second step.
    """
    words = [k for k, _ in pairs if isinstance(k, yaml.ScalarNode) and k.value in STEP_KINDS]
    lists = {k.value for k, v in pairs if k in words and isinstance(v, yaml.SequenceNode)}
    owners = [
        word
        for word in words
        if all(
            other is word
            or (other.value in lists and other.value in STEP_KINDS[word.value].KIND.key_names)
            for other in words
        )
    ]
    return owners if len(words) > 1 and len(owners) == 1 else words
