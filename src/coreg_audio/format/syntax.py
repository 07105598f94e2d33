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

import re
from dataclasses import dataclass, field

import yaml

from ..errors import Problem

MAX_SYNTAX_PROBLEMS = 50
"""After this many, the rest of a file is too broken to be worth reading."""

_ITEM = re.compile(r"^(?P<indent>[ \t]*)-(?:[ \t]+|$)")
_KEY = re.compile(r"^(?P<indent>[ \t]*)(?:-[ \t]+)*(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]|$)")
_VALUE = re.compile(r"^[ \t]*(?:-[ \t]+)*(?:[^\s:#'\"{\[][^:#]*?|\"[^\"]*\"|'[^']*')[ \t]*:[ \t]+")
_DASH_WORD = re.compile(r"^(?P<indent>[ \t]*)-(?P<word>[A-Za-z_][\w-]*)[ \t]*:")
_STARTS_TEXT = "{[*&!@`%|>"
"""Characters that make YAML read a value as something other than words."""


@dataclass(frozen=True)
class Composed:
    """The node tree of what could be read, and a problem for each part that could not."""

    root: yaml.Node | None
    text: str
    """The text that was composed: the file with broken parts set aside (marks point into it)."""
    problems: tuple[Problem, ...] = ()
    broken: frozenset[tuple[int, int]] = frozenset()
    """The (line, column) of each stand-in for a broken part."""


@dataclass(frozen=True)
class _Diagnosis:
    """What went wrong: where to say it, what to say, and which line to set aside."""

    line: int
    column: int
    message: str
    culprit: int
    """0-based: the line whose part is set aside."""
    keep_item: bool = True
    """Whether a set-aside step leaves a stand-in (a line out of line leaves nothing)."""
    rest_of_file: bool = False
    with_step: bool = False
    """Whether the step above the line is set aside too: what is left of it is not what the
    author wrote, and checks of it would blame the author for the line set aside."""


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
        return bool(_ITEM.match(line) or _KEY.match(line))

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
        open_key = bool(_KEY.match(self.lines[start])) and not _ITEM.match(self.lines[start])
        open_key = open_key and self.lines[start].rstrip().endswith(":")
        last = start
        for index in range(start + 1, len(self.lines)):
            if self.blank(index):
                continue
            deeper = self.indent(index) > indent
            if deeper or (
                open_key and self.indent(index) == indent and _ITEM.match(self.lines[index])
            ):
                last = index
                continue
            break
        return last

    def parent(self, start: int) -> int | None:
        """The part that holds ``start``'s part; None at the top of the file."""
        indent = self.indent(start)
        item = bool(_ITEM.match(self.lines[start]))
        for index in range(start - 1, -1, -1):
            if self.blank(index):
                continue
            if self.indent(index) < indent or (
                item and self.indent(index) == indent and not _ITEM.match(self.lines[index])
            ):
                return self.owner(index)
        return None

    def hide(self, start: int, stand_in: bool, rest_of_file: bool = False) -> None:
        last = len(self.lines) - 1 if rest_of_file else self.end(start)
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
        if _ITEM.match(line) or _DASH_WORD.match(line):
            indent = self._item_indent(index)
            return f"{indent}- ~{ending}", len(indent) + 3
        key = _KEY.match(line)
        if key is not None and "\t" not in key["indent"]:
            head = f"{key['indent']}{key['key']}: "
            return f"{head}~{ending}", len(head) + 1
        if key is not None and self.indent(index) == len(key["indent"].lstrip("\t")) == 0:
            return f"{key['key']}: ~{ending}", len(key["key"]) + 3
        return None

    def _item_indent(self, index: int) -> str:
        """The indent of a stand-in step: its own, unless a tab is in it or its neighbours
        stand elsewhere; then that of the nearest step above it."""
        own = _ITEM.match(self.lines[index]) or _DASH_WORD.match(self.lines[index])
        assert own is not None
        for above in range(index - 1, -1, -1):
            match = _ITEM.match(self.lines[above])
            if match is not None and not self.blank(above):
                if "\t" in own["indent"] or abs(len(match["indent"]) - len(own["indent"])) <= 2:
                    return match["indent"].replace("\t", " ")
                break
        return own["indent"].replace("\t", " ")


def compose(text: str, display_path: str) -> Composed:
    """Compose ``text``; every syntax mistake becomes a problem and the rest is composed.

    Raises ``yaml.YAMLError`` (and ``RecursionError``) only for what this cannot
    place on a line: the caller reports those as before.
    """
    lines = _Lines(text.splitlines(keepends=True))
    problems: list[Problem] = []
    last: _Diagnosis | None = None
    while True:
        masked, broken = lines.masked()
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
            lines.hide(start, found.keep_item, found.rest_of_file)
            step = _nearest_item(lines.lines, found.culprit) if found.with_step else None
            if step is not None:
                lines.hide(step, True)
            continue
        return Composed(root, masked, tuple(problems), broken)


def _widen(lines: _Lines, found: _Diagnosis) -> bool:
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


# --- what the author wrote wrong ----------------------------------------------------------------


def diagnose(error: yaml.MarkedYAMLError, lines: list[str]) -> _Diagnosis:
    """The likeliest mistake behind ``error``, in plain words, with what to write instead."""
    problem = error.problem_mark
    assert problem is not None
    context = error.context_mark
    at_line = min(problem.line, max(len(lines) - 1, 0))
    reason = error.problem or ""
    for check in (_tab, _open_quote, _second_document, _alias, _open_bracket, _dash_without_space):
        found = check(error, lines)
        if found is not None:
            return found
    if "mapping values are not allowed" in reason:
        return _colon(problem.line, problem.column, lines)
    if "expected <block end>" in reason or "expected a comment or a line break" in reason:
        start = context.line if context is not None else at_line
        found = _words_that_need_quotes(start, lines) or _words_that_need_quotes(at_line, lines)
        if found is not None:
            return found
        return _out_of_line(problem.line, problem.column, lines, context)
    column = problem.column + 1 if problem.line < len(lines) else 1
    return _Diagnosis(
        at_line + 1, column, f"this is not valid YAML: {_yaml_reason(error)}", at_line
    )


def _yaml_reason(error: yaml.MarkedYAMLError) -> str:
    reason = error.problem or error.context or "syntax error"
    if error.context and error.problem and error.context != error.problem:
        reason = f"{error.problem} ({error.context})"
    return " ".join(reason.split())


def _tab(error: yaml.MarkedYAMLError, lines: list[str]) -> _Diagnosis | None:
    mark = error.problem_mark
    if mark is None or "'\\t'" not in (error.problem or ""):
        return None
    line = lines[mark.line] if mark.line < len(lines) else ""
    if line[: mark.column].strip(" \t"):
        message = (
            "a tab here; YAML takes only spaces between a key and its value: "
            "replace the tab with a space"
        )
    else:
        message = (
            "this line is indented with a tab; YAML takes only spaces: "
            "indent it with spaces, lined up with the lines it belongs with"
        )
    indented = not _ITEM.match(line) and line[:1] == "\t"
    return _Diagnosis(
        mark.line + 1, mark.column + 1, message, mark.line, keep_item=True, with_step=indented
    )


def _dash_without_space(error: yaml.MarkedYAMLError, lines: list[str]) -> _Diagnosis | None:
    mark = error.problem_mark
    assert mark is not None
    first = error.context_mark.line if error.context_mark is not None else mark.line
    for index in range(min(first, mark.line), min(mark.line, len(lines) - 1) + 1):
        match = _DASH_WORD.match(lines[index])
        if match is not None:
            column = len(match["indent"]) + 1
            written = lines[index].strip()
            return _Diagnosis(
                index + 1,
                column,
                f"a step needs a space after its '-': write '- {written[1:]}'",
                index,
            )
    return None


def _second_document(error: yaml.MarkedYAMLError, lines: list[str]) -> _Diagnosis | None:
    mark = error.problem_mark
    if mark is None or "another document" not in (error.problem or ""):
        return None
    return _Diagnosis(
        mark.line + 1,
        mark.column + 1,
        "'---' starts a second practice in the same file; one file holds one practice: "
        "remove this line (and what follows it, or move that to a file of its own)",
        mark.line,
        keep_item=False,
        rest_of_file=True,
    )


def _alias(error: yaml.MarkedYAMLError, lines: list[str]) -> _Diagnosis | None:
    mark = error.problem_mark
    reason = error.problem or ""
    if mark is None:
        return None
    if "undefined alias" in reason:
        name = reason.split("'")[1] if "'" in reason else ""
        return _Diagnosis(
            mark.line + 1,
            mark.column + 1,
            f"'*{name}' repeats a part marked '&{name}', and there is none above: if these "
            "are words, put them in double quotes",
            mark.line,
        )
    if "while scanning an alias" in (error.context or "") or "while scanning an anchor" in (
        error.context or ""
    ):
        start = error.context_mark.line if error.context_mark is not None else mark.line
        return _words_that_need_quotes(start, lines) or _Diagnosis(
            mark.line + 1,
            mark.column + 1,
            "words that start with '*' or '&' need quotes: put them in double quotes",
            mark.line,
        )
    return None


def _open_quote(error: yaml.MarkedYAMLError, lines: list[str]) -> _Diagnosis | None:
    context = error.context_mark
    if context is None or "while scanning a quoted scalar" not in (error.context or ""):
        return None
    quote = lines[context.line][context.column] if context.line < len(lines) else '"'
    return _Diagnosis(
        context.line + 1,
        context.column + 1,
        f"the quote {quote} that starts these words is never closed: end the words with "
        f"{quote} on the same line",
        context.line,
    )


def _open_bracket(error: yaml.MarkedYAMLError, lines: list[str]) -> _Diagnosis | None:
    """A '{' or '[' opened and not closed on its line, as the error's context or above it."""
    if "flow" not in (error.context or "") and "stream end" not in (error.problem or ""):
        return None
    mark = error.problem_mark
    assert mark is not None
    for index in range(min(mark.line, len(lines) - 1), -1, -1):
        value = _value_of(lines[index])
        if value is None or not value[1] or value[1][0] not in "{[":
            continue
        words = value[1]
        if _balanced(words):
            continue
        opening = words[0]
        closing = "}" if opening == "{" else "]"
        what = "keys in braces" if opening == "{" else "a list in brackets"
        return _Diagnosis(
            index + 1,
            value[0] + 1,
            f"the '{opening}' here opens {what} that is never closed: end it with "
            f"'{closing}' on the same line; if these are words, put them in double quotes",
            index,
        )
    return None


def _balanced(words: str) -> bool:
    depth = 0
    quote = ""
    for char in words:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return depth <= 0


def _value_of(line: str) -> tuple[int, str] | None:
    """Where the value written on ``line`` starts (0-based) and the value, without a comment."""
    match = _VALUE.match(line)
    if match is None:
        item = _ITEM.match(line)
        if item is None:
            return None
        start = item.end()
    else:
        start = match.end()
    words = line[start:].rstrip("\r\n")
    comment = re.search(r"[ \t]#", words)
    if comment is not None and words[:1] not in "'\"{[":
        words = words[: comment.start()]
    return start, words.rstrip()


def _quoted(words: str) -> str:
    """``words`` as YAML reads them back exactly: in double quotes, or single if they hold some
    (an apostrophe inside single quotes is written twice)."""
    if '"' not in words and "\\" not in words:
        return f'"{words}"'
    return "'" + words.replace("'", "''") + "'"


def _key_and(line: str, words: str) -> str:
    key = _KEY.match(line)
    return f"{key['key']}: {words}" if key is not None else f"- {words}"


def _words_that_need_quotes(index: int, lines: list[str]) -> _Diagnosis | None:
    """Words on line ``index`` that YAML cannot read as words: they start with '{', '[', a
    quote that closes early, or another character that means something to YAML."""
    if index >= len(lines):
        return None
    value = _value_of(lines[index])
    if value is None or not value[1]:
        return None
    start, words = value
    first = words[0]
    fixed = _key_and(lines[index], _quoted(words))
    if first in _STARTS_TEXT:
        return _Diagnosis(
            index + 1,
            start + 1,
            f"words that start with '{first}' need quotes, or YAML reads them as something "
            f"else: write {fixed}",
            index,
        )
    if first in "'\"":
        inner = words[1:-1] if len(words) > 1 and words.endswith(first) else words
        return _Diagnosis(
            index + 1,
            start + 1,
            "these words start with a quote mark, and YAML ends them at the next one: "
            f"write {_key_and(lines[index], _quoted(inner))}",
            index,
        )
    return None


def _colon(line: int, column: int, lines: list[str]) -> _Diagnosis:
    """'key: value' where no key can be: a colon and a space in words, or a line out of line."""
    text = lines[line] if line < len(lines) else ""
    key = _KEY.match(text)
    before_colon = text[:column]
    own_key = key is not None and before_colon.strip(" \t-") == key["key"]
    if own_key and line > 0:
        above = _previous(lines, line)
        if above is not None and _value_of(lines[above]) is not None:
            return _misplaced_key(line, lines, above)
    value = _value_of(text)
    if value is not None and value[0] <= column:
        fixed = _key_and(text, _quoted(value[1]))
        where = f"after '{key['key']}:'" if key is not None else "here"
        return _Diagnosis(
            line + 1,
            column + 1,
            f"the words {where} hold ': ' (a colon and a space), which YAML reads as a new "
            f"key: put the words in double quotes, {fixed}",
            line,
        )
    return _Diagnosis(
        line + 1,
        column + 1,
        "a colon and a space here make YAML read a key where none can be: put the words "
        "around it in double quotes, or line this line up with the keys it belongs with",
        line,
    )


def _previous(lines: list[str], index: int) -> int | None:
    for above in range(index - 1, -1, -1):
        stripped = lines[above].strip()
        if stripped and not stripped.startswith("#"):
            return above
    return None


def _misplaced_key(line: int, lines: list[str], above: int) -> _Diagnosis:
    """A key indented under a line that already has its value."""
    key = _KEY.match(lines[line])
    assert key is not None
    sibling = _KEY.match(lines[above])
    indent = len(key["indent"])
    if sibling is not None:
        column = lines[above].index(sibling["key"]) + 1
        advice = (
            f"line '{key['key']}:' up under '{sibling['key']}' (column {column}) to belong with it"
        )
    else:
        advice = f"line '{key['key']}:' up with the keys it belongs with"
    return _Diagnosis(
        line + 1,
        indent + 1,
        f"'{key['key']}:' is indented further than the line above, so YAML reads it as more "
        f"of that line's words: {advice}",
        line,
        keep_item=False,
    )


def _out_of_line(line: int, column: int, lines: list[str], context: yaml.Mark | None) -> _Diagnosis:
    """An item or a key that does not line up with its neighbours."""
    if line >= len(lines):
        return _Diagnosis(
            len(lines),
            1,
            "the file ends in the middle of something: check its last lines",
            len(lines) - 1,
        )
    text = lines[line]
    item = _ITEM.match(text)
    key = _KEY.match(text)
    here = column + 1
    if item is not None:
        siblings = [
            len(match["indent"]) + 1
            for above in range(line - 1, -1, -1)
            if (match := _ITEM.match(lines[above])) is not None
        ]
        target = siblings[0] if siblings else (context.column + 1 if context else 1)
        return _Diagnosis(
            line + 1,
            len(item["indent"]) + 1,
            f"this step's '-' is at column {len(item['indent']) + 1}, but the '-' of the "
            f"steps above it are at column {target}: start every '- ' of a list at the same "
            "column",
            line,
        )
    if key is not None:
        written = text.strip()
        dash = _nearest_item(lines, line)
        if dash is not None and len(_item_indent_of(lines[dash])) == len(key["indent"]):
            owner = _KEY.match(lines[dash])
            under = (
                f" (or indent it under '{owner['key']}', column "
                f"{lines[dash].index(owner['key']) + 1}, to belong to the step above)"
                if owner is not None
                else ""
            )
            return _Diagnosis(
                line + 1,
                here,
                f"'{written}' stands where the steps' '- ' are, without one: write "
                f"'- {written}' to make it a step of its own{under}",
                line,
                keep_item=False,
            )
        above = _previous(lines, line)
        sibling = _KEY.match(lines[above]) if above is not None else None
        if sibling is not None and above is not None:
            column_above = lines[above].index(sibling["key"]) + 1
            return _Diagnosis(
                line + 1,
                here,
                f"'{key['key']}:' is at column {len(key['indent']) + 1}, but "
                f"'{sibling['key']}' above it is at column {column_above}: line the keys of "
                "one step (or one part) up at the same column",
                line,
                keep_item=False,
            )
    return _Diagnosis(
        line + 1,
        here,
        "this line is not lined up with the lines around it: indent it like the lines it "
        "belongs with (a step's keys line up under its first key; its '- ' lines up with "
        "the other steps')",
        line,
        keep_item=False,
    )


def _item_indent_of(line: str) -> str:
    match = _ITEM.match(line)
    return match["indent"] if match is not None else ""


def _nearest_item(lines: list[str], index: int) -> int | None:
    for above in range(index - 1, -1, -1):
        if _ITEM.match(lines[above]):
            return above
    return None
