"""YAML syntax mistakes: each said in plain words at its line, and the rest read anyway.

PyYAML stops at the first syntax error, and its words ("expected <block end>,
but found ','") are the parser's, not an author's. ``compose`` finds what the
author most likely wrote wrong (words that need quotes, a tab, an item or a key
out of line, a bracket or a quote left open) and says what to write instead;
then it sets that part aside and composes the rest, again and again, so one
run reports every part that is broken and reads every part that is not.

A part set aside is the line with the mistake and the lines indented under it.
Where it was a step (``- ...``) or a key (``key: ...``) it leaves a stand-in
(``- ~``, ``key: ~``) so later steps keep their numbers and the key stays
known; ``Composed.broken`` lists where the stand-ins are, so the reader says
nothing more about them. Where setting a part aside does not help, its parent
is set aside instead; at the top of the file there is nothing more to try.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from ..errors import Problem
from .yaml_mistakes import DASH_WORD, ITEM, KEY, Diagnosis, diagnose, nearest_item

MAX_SYNTAX_PROBLEMS = 50
"""After this many, the rest of a file is too broken to be worth reading."""


@dataclass(frozen=True)
class Composed:
    """The node tree of what could be read, and a problem for each part that could not."""

    root: yaml.Node | None
    text: str
    """The text that was composed: the file with broken parts set aside (marks point into it)."""
    problems: tuple[Problem, ...] = ()
    broken: frozenset[tuple[int, int]] = frozenset()
    """The (line, column) of each stand-in for a broken part."""


@dataclass
class _Lines:
    """The file's lines, and which parts of them are set aside."""

    lines: list[str]
    hidden: dict[int, tuple[int, bool]] = field(default_factory=dict)
    """First line -> (last line, whether it leaves a stand-in)."""

    def indent(self, index: int) -> int:
        line = self.lines[index]
        return len(line) - len(line.lstrip(" \t"))

    def blank(self, index: int) -> bool:
        stripped = self.lines[index].strip()
        return not stripped or stripped.startswith("#")

    def structural(self, index: int) -> bool:
        line = self.lines[index]
        return bool(ITEM.match(line) or KEY.match(line))

    def owner(self, index: int) -> int:
        """The line that ``index`` belongs to: itself when it is a step or a key, else the
        nearest line above it that is less indented and is one."""
        current = index
        while current > 0 and not self.structural(current):
            above = [
                i
                for i in range(current - 1, -1, -1)
                if not self.blank(i) and self.indent(i) < self.indent(current)
            ]
            if not above:
                break
            current = above[0]
        return current

    def end(self, start: int) -> int:
        """The last line of ``start``'s part: the lines indented under it (for a key with no
        value on its line, also the items of a list written at its own indent)."""
        indent = self.indent(start)
        open_key = bool(KEY.match(self.lines[start])) and not ITEM.match(self.lines[start])
        open_key = open_key and self.lines[start].rstrip().endswith(":")
        last = start
        for index in range(start + 1, len(self.lines)):
            if self.blank(index):
                continue
            deeper = self.indent(index) > indent
            if deeper or (
                open_key and self.indent(index) == indent and ITEM.match(self.lines[index])
            ):
                last = index
                continue
            break
        return last

    def parent(self, start: int) -> int | None:
        """The part that holds ``start``'s part; None at the top of the file."""
        indent = self.indent(start)
        item = bool(ITEM.match(self.lines[start]))
        for index in range(start - 1, -1, -1):
            if self.blank(index):
                continue
            if self.indent(index) < indent or (
                item and self.indent(index) == indent and not ITEM.match(self.lines[index])
            ):
                return self.owner(index)
        return None

    def hide(
        self, start: int, stand_in: bool, rest_of_file: bool = False, only_line: bool = False
    ) -> None:
        last = len(self.lines) - 1 if rest_of_file else start if only_line else self.end(start)
        for first in [first for first in self.hidden if start <= first <= last]:
            del self.hidden[first]
        self.hidden[start] = (last, stand_in)

    def covering(self, index: int) -> int | None:
        """The first line of the hidden part that holds line ``index``."""
        for first, (last, _) in self.hidden.items():
            if first <= index <= last:
                return first
        return None

    def masked(self) -> tuple[str, frozenset[tuple[int, int]]]:
        lines = list(self.lines)
        stand_ins: set[tuple[int, int]] = set()
        for first, (last, stand_in) in self.hidden.items():
            replacement = self._stand_in(first) if stand_in else None
            for index in range(first, last + 1):
                lines[index] = "\n" if lines[index].endswith("\n") else ""
            if replacement is not None:
                lines[first], column = replacement
                stand_ins.add((first + 1, column))
        return "".join(lines), frozenset(stand_ins)

    def _stand_in(self, index: int) -> tuple[str, int] | None:
        line = self.lines[index]
        ending = "\n" if line.endswith("\n") else ""
        if ITEM.match(line) or DASH_WORD.match(line):
            indent = self._item_indent(index)
            return f"{indent}- ~{ending}", len(indent) + 3
        key = KEY.match(line)
        if key is not None and "\t" not in key["indent"]:
            head = f"{key['indent']}{key['key']}: "
            return f"{head}~{ending}", len(head) + 1
        if key is not None and self.indent(index) == len(key["indent"].lstrip("\t")) == 0:
            return f"{key['key']}: ~{ending}", len(key["key"]) + 3
        return None

    def _item_indent(self, index: int) -> str:
        """The indent of a stand-in step: its own, unless a tab is in it or its neighbours
        stand elsewhere; then that of the nearest step above it."""
        own = ITEM.match(self.lines[index]) or DASH_WORD.match(self.lines[index])
        assert own is not None
        for above in range(index - 1, -1, -1):
            match = ITEM.match(self.lines[above])
            if match is not None and not self.blank(above):
                if "\t" in own["indent"] or abs(len(match["indent"]) - len(own["indent"])) <= 2:
                    return match["indent"].replace("\t", " ")
                break
        return own["indent"].replace("\t", " ")


def compose(text: str, display_path: str) -> Composed:
    """Compose ``text``; every syntax mistake becomes a problem and the rest is composed.

    Raises ``yaml.YAMLError`` (and ``RecursionError``) only for what this cannot
    place on a line: the caller reports those as before. Each round must set more
    aside than the last; when one cannot, the rest of the file is left unread.
    """
    lines = _Lines(text.splitlines(keepends=True))
    problems: list[Problem] = []
    last: Diagnosis | None = None
    tried: set[str] = set()
    while True:
        masked, broken = lines.masked()
        if masked in tried:
            return Composed(None, masked, tuple(problems), broken)
        tried.add(masked)
        try:
            root = yaml.compose(masked, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            if not lines.lines or error.problem_mark is None:
                raise
            found = diagnose(error, masked.splitlines(keepends=True))
            if last is not None and (found.line, found.message) == (last.line, last.message):
                if not _widen(lines, found):
                    return Composed(None, masked, tuple(problems), broken)
                continue
            if len(problems) >= MAX_SYNTAX_PROBLEMS:
                return Composed(None, masked, tuple(problems), broken)
            problems.append(Problem(display_path, found.line, found.column, found.message))
            last = found
            start = lines.owner(found.culprit)
            lines.hide(start, found.keep_item, found.rest_of_file, found.only_line)
            step = nearest_item(lines.lines, found.culprit) if found.with_step else None
            if step is not None:
                lines.hide(step, True)
            continue
        return Composed(root, masked, tuple(problems), broken)


def _widen(lines: _Lines, found: Diagnosis) -> bool:
    """Set aside the part around the last one set aside; False when there is none."""
    start = lines.covering(found.culprit)
    if start is None:
        start = lines.owner(found.culprit)
        lines.hide(start, True)
        return True
    parent = lines.parent(start)
    if parent is None:
        return False
    lines.hide(parent, True)
    return True
