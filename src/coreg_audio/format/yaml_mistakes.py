"""What an author most likely wrote wrong where PyYAML stopped, said in plain words.

Each check looks at the lines around PyYAML's mark for one kind of mistake (a
tab, a quote or bracket left open, words that need quotes, a key or an item out
of line) and names the line to set aside; ``syntax.compose`` does the setting
aside and reads on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

ITEM = re.compile(r"^(?P<indent>[ \t]*)-(?:[ \t]+|$)")
KEY = re.compile(r"^(?P<indent>[ \t]*)(?:-[ \t]+)*(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]|$)")
_VALUE = re.compile(r"^[ \t]*(?:-[ \t]+)*(?:[^\s:#'\"{\[][^:#]*?|\"[^\"]*\"|'[^']*')[ \t]*:[ \t]+")
DASH_WORD = re.compile(r"^(?P<indent>[ \t]*)-(?P<word>[A-Za-z_][\w-]*)[ \t]*:")
_STARTS_TEXT = "{[*&!@`%|>"
"""Characters that make YAML read a value as something other than words."""


@dataclass(frozen=True)
class Diagnosis:
    """What went wrong: where to say it, what to say, and which line to set aside."""

    line: int
    column: int
    message: str
    culprit: int
    """0-based: the line whose part is set aside."""
    keep_item: bool = True
    """Whether a set-aside step leaves a stand-in (a line out of line leaves nothing)."""
    rest_of_file: bool = False
    only_line: bool = False
    """Whether the line alone is set aside, not the lines indented under it."""
    with_step: bool = False
    """Whether the step above the line is set aside too: what is left of it is not what the
    author wrote, and checks of it would blame the author for the line set aside."""


def diagnose(error: yaml.MarkedYAMLError, lines: list[str]) -> Diagnosis:
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
        suspects = [index for index in (start, at_line) if not _reads_alone(index, lines)]
        found = next(
            filter(None, (_words_that_need_quotes(index, lines) for index in suspects)), None
        )
        if found is not None:
            return found
        return _out_of_line(problem.line, problem.column, lines, context)
    column = problem.column + 1 if problem.line < len(lines) else 1
    return Diagnosis(at_line + 1, column, f"this is not valid YAML: {_yaml_reason(error)}", at_line)


def _yaml_reason(error: yaml.MarkedYAMLError) -> str:
    reason = error.problem or error.context or "syntax error"
    if error.context and error.problem and error.context != error.problem:
        reason = f"{error.problem} ({error.context})"
    return " ".join(reason.split())


def _tab(error: yaml.MarkedYAMLError, lines: list[str]) -> Diagnosis | None:
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
    indented = not ITEM.match(line) and line[:1] == "\t"
    return Diagnosis(
        mark.line + 1, mark.column + 1, message, mark.line, keep_item=True, with_step=indented
    )


def _dash_without_space(error: yaml.MarkedYAMLError, lines: list[str]) -> Diagnosis | None:
    mark = error.problem_mark
    assert mark is not None
    first = error.context_mark.line if error.context_mark is not None else mark.line
    for index in range(min(first, mark.line), min(mark.line, len(lines) - 1) + 1):
        match = DASH_WORD.match(lines[index])
        if match is not None:
            column = len(match["indent"]) + 1
            written = lines[index].strip()
            return Diagnosis(
                index + 1,
                column,
                f"a step needs a space after its '-': write '- {written[1:]}'",
                index,
            )
    return None


def _second_document(error: yaml.MarkedYAMLError, lines: list[str]) -> Diagnosis | None:
    mark = error.problem_mark
    if mark is None or "another document" not in (error.problem or ""):
        return None
    return Diagnosis(
        mark.line + 1,
        mark.column + 1,
        "'---' starts a second practice in the same file; one file holds one practice: "
        "remove this line (and what follows it, or move that to a file of its own)",
        mark.line,
        keep_item=False,
        rest_of_file=True,
    )


def _alias(error: yaml.MarkedYAMLError, lines: list[str]) -> Diagnosis | None:
    mark = error.problem_mark
    reason = error.problem or ""
    if mark is None:
        return None
    if "undefined alias" in reason:
        name = reason.split("'")[1] if "'" in reason else ""
        return Diagnosis(
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
        return _words_that_need_quotes(start, lines) or Diagnosis(
            mark.line + 1,
            mark.column + 1,
            "words that start with '*' or '&' need quotes: put them in double quotes",
            mark.line,
        )
    return None


def _open_quote(error: yaml.MarkedYAMLError, lines: list[str]) -> Diagnosis | None:
    context = error.context_mark
    if context is None or "while scanning a quoted scalar" not in (error.context or ""):
        return None
    quote = lines[context.line][context.column] if context.line < len(lines) else '"'
    return Diagnosis(
        context.line + 1,
        context.column + 1,
        f"the quote {quote} that starts these words is never closed: end the words with "
        f"{quote} on the same line",
        context.line,
    )


def _open_bracket(error: yaml.MarkedYAMLError, lines: list[str]) -> Diagnosis | None:
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
        return Diagnosis(
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
        item = ITEM.match(line)
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
    key = KEY.match(line)
    return f"{key['key']}: {words}" if key is not None else f"- {words}"


def _words_that_need_quotes(index: int, lines: list[str]) -> Diagnosis | None:
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
        return Diagnosis(
            index + 1,
            start + 1,
            f"words that start with '{first}' need quotes, or YAML reads them as something "
            f"else: write {fixed}",
            index,
        )
    if first in "'\"":
        inner = words[1:-1] if len(words) > 1 and words.endswith(first) else words
        return Diagnosis(
            index + 1,
            start + 1,
            "these words start with a quote mark, and YAML ends them at the next one: "
            f"write {_key_and(lines[index], _quoted(inner))}",
            index,
        )
    return None


def _colon(line: int, column: int, lines: list[str]) -> Diagnosis:
    """'key: value' where no key can be: a colon and a space in words, or a line out of line."""
    text = lines[line] if line < len(lines) else ""
    key = KEY.match(text)
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
        return Diagnosis(
            line + 1,
            column + 1,
            f"the words {where} hold ': ' (a colon and a space), which YAML reads as a new "
            f"key: put the words in double quotes, {fixed}",
            line,
        )
    return Diagnosis(
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


def _misplaced_key(line: int, lines: list[str], above: int) -> Diagnosis:
    """A key indented under a line that already has its value."""
    key = KEY.match(lines[line])
    assert key is not None
    sibling = KEY.match(lines[above])
    indent = len(key["indent"])
    if sibling is not None:
        column = lines[above].index(sibling["key"]) + 1
        advice = (
            f"line '{key['key']}:' up under '{sibling['key']}' (column {column}) to belong with it"
        )
    else:
        advice = f"line '{key['key']}:' up with the keys it belongs with"
    return Diagnosis(
        line + 1,
        indent + 1,
        f"'{key['key']}:' is indented further than the line above, so YAML reads it as more "
        f"of that line's words: {advice}",
        line,
        keep_item=False,
    )


def _out_of_line(line: int, column: int, lines: list[str], context: yaml.Mark | None) -> Diagnosis:
    """An item or a key that does not line up with its neighbours."""
    if line >= len(lines):
        return Diagnosis(
            len(lines),
            1,
            "the file ends in the middle of something: check its last lines",
            len(lines) - 1,
        )
    text = lines[line]
    item = ITEM.match(text)
    key = KEY.match(text)
    here = column + 1
    if item is not None:
        siblings = [
            len(match["indent"]) + 1
            for above in range(line - 1, -1, -1)
            if (match := ITEM.match(lines[above])) is not None
        ]
        target = siblings[0] if siblings else (context.column + 1 if context else 1)
        if target == len(item["indent"]) + 1:
            return _item_at_the_column_of_its_list(line, lines)
        return Diagnosis(
            line + 1,
            len(item["indent"]) + 1,
            f"this step's '-' is at column {len(item['indent']) + 1}, but the '-' of the "
            f"steps above it are at column {target}: start every '- ' of a list at the same "
            "column",
            line,
        )
    if key is not None:
        written = text.strip()
        dash = nearest_item(lines, line)
        if dash is not None and len(_item_indent_of(lines[dash])) == len(key["indent"]):
            owner = KEY.match(lines[dash])
            under = (
                f" (or indent it under '{owner['key']}', column "
                f"{lines[dash].index(owner['key']) + 1}, to belong to the step above)"
                if owner is not None
                else ""
            )
            return Diagnosis(
                line + 1,
                here,
                f"'{written}' stands where the steps' '- ' are, without one: write "
                f"'- {written}' to make it a step of its own{under}",
                line,
                keep_item=False,
            )
        above = _previous(lines, line)
        sibling = KEY.match(lines[above]) if above is not None else None
        if sibling is not None and above is not None:
            column_above = lines[above].index(sibling["key"]) + 1
            return Diagnosis(
                line + 1,
                here,
                f"'{key['key']}:' is at column {len(key['indent']) + 1}, but "
                f"'{sibling['key']}' above it is at column {column_above}: line the keys of "
                "one step (or one part) up at the same column",
                line,
                keep_item=False,
            )
    return Diagnosis(
        line + 1,
        here,
        "this line is not lined up with the lines around it: indent it like the lines it "
        "belongs with (a step's keys line up under its first key; its '- ' lines up with "
        "the other steps')",
        line,
        keep_item=False,
    )


def _item_at_the_column_of_its_list(line: int, lines: list[str]) -> Diagnosis:
    """A '- ' item at the column of the items above it, yet out of place: it stands among a
    mapping's keys, or a key with its value on its line has ended the list above it."""
    item = ITEM.match(lines[line])
    assert item is not None
    indent = len(item["indent"])
    above = [
        index
        for index in range(line - 1, -1, -1)
        if not _blank(lines[index]) and _indent(lines[index]) <= indent
    ]
    before = above[0] if above else None
    key = KEY.match(lines[before]) if before is not None else None
    if before is not None and key is not None and not ITEM.match(lines[before]):
        if _indent(lines[before]) == indent:
            owner = next(
                (
                    match["key"]
                    for index in above
                    if _indent(lines[index]) < indent and (match := KEY.match(lines[index]))
                ),
                None,
            )
            where = f"the keys of '{owner}'" if owner else "the practice's top-level keys"
            whose = f"a key of '{owner}'" if owner else "a top-level key"
            return Diagnosis(
                line + 1,
                indent + 1,
                f"this '- ' item stands among {where}, where no list can start: if it is a "
                f"step, move it under 'steps:'; if it is {whose}, remove the '- '",
                line,
                keep_item=False,
            )
        value = _value_of(lines[before])
        if value is not None and value[1]:
            place = (
                "next to the practice's other keys, before 'steps:'"
                if _indent(lines[before]) == 0
                else "next to the keys it belongs with"
            )
            return Diagnosis(
                before + 1,
                _indent(lines[before]) + 1,
                f"'{key['key']}:' stands among the '- ' items of a list and ends it, so the "
                f"items after it are out of place: move this line out of the list, {place}",
                before,
                keep_item=False,
                only_line=True,
            )
    return Diagnosis(
        line + 1,
        indent + 1,
        "this '- ' item is not where a list can go on: line it up under the list it belongs "
        "to, or remove the '- '",
        line,
        keep_item=False,
    )


def _blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _reads_alone(index: int, lines: list[str]) -> bool:
    """Whether line ``index`` is valid YAML on its own (as a key or an item), so that a
    mistake reported with it as context lies elsewhere."""
    if index >= len(lines) or not lines[index].strip():
        return False
    text = lines[index].lstrip(" \t")
    while (item := ITEM.match(text)) is not None:
        text = text[item.end() :]
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    return True


def _item_indent_of(line: str) -> str:
    match = ITEM.match(line)
    return match["indent"] if match is not None else ""


def nearest_item(lines: list[str], index: int) -> int | None:
    for above in range(index - 1, -1, -1):
        if ITEM.match(lines[above]):
            return above
    return None
