"""Read a script file into a YAML node tree that keeps every line and column.

Only composition happens here (no construction), so nothing in the file can
run code or allocate by alias expansion; the reader walks the nodes with a
budget instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import Problem, ScriptError, UsageError
from . import syntax

MAX_SCRIPT_BYTES = 1_000_000


@dataclass(frozen=True)
class Document:
    """A parsed script: where it came from, its text, and its root mapping node.

    ``problems`` are the syntax mistakes found (the parts they broke are set
    aside, ``syntax``); ``broken`` is where the stand-in of each such part is,
    so nothing more is said about it.
    """

    path: Path
    display_path: str
    text: str
    root: yaml.MappingNode
    problems: tuple[Problem, ...] = ()
    broken: frozenset[tuple[int, int]] = frozenset()


def read_script_file(path: Path, display_path: str | None = None) -> Document:
    shown = display_path if display_path is not None else str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no script at {shown}") from None
    except IsADirectoryError:
        raise UsageError(f"{shown} is a folder, not a script file") from None
    except OSError as error:
        raise UsageError(f"cannot read {shown}: {error.strerror or error}") from None
    return parse_script_bytes(data, path, shown)


def parse_script_bytes(data: bytes, path: Path, display_path: str) -> Document:
    def fail(line: int, column: int, message: str) -> ScriptError:
        return ScriptError([Problem(display_path, line, column, message)])

    if len(data) > MAX_SCRIPT_BYTES:
        raise fail(
            1,
            1,
            f"the file is {len(data):,} bytes; a practice script is at most "
            f"{MAX_SCRIPT_BYTES:,} bytes",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise fail(
            line,
            column,
            f"the file is not UTF-8 text (byte 0x{data[error.start]:02x}); save it as UTF-8",
        ) from None
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        raise fail(
            line,
            offset - text.rfind("\n", 0, offset),
            "the file holds a NUL character; it is not a text file",
        )
    try:
        composed = syntax.compose(text, display_path)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise fail(line, column, f"this is not valid YAML: {_yaml_reason(error)}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - text.rfind("\n", 0, error.position)
        raise fail(
            line,
            column,
            f"the file holds a control character "
            f"(#x{error.character:04x}) that YAML does not allow",
        ) from None
    except yaml.YAMLError as error:
        raise fail(1, 1, "this is not valid YAML: " + " ".join(str(error).split())) from None
    except RecursionError:
        raise fail(1, 1, "the YAML is nested too deeply to be a practice script") from None
    root = composed.root
    if root is None and composed.problems:
        raise ScriptError(composed.problems)
    if root is None:
        raise fail(1, 1, "the file is empty; a practice needs at least 'title:' and 'steps:'")
    if not isinstance(root, yaml.MappingNode) and composed.problems:
        raise ScriptError(composed.problems)
    if not isinstance(root, yaml.MappingNode):
        mark = root.start_mark
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        raise fail(
            mark.line + 1,
            mark.column + 1,
            f"a practice script is a mapping of keys ('title:', 'steps:', …), not {kind}",
        )
    return Document(
        path=path,
        display_path=display_path,
        text=composed.text,
        root=root,
        problems=composed.problems,
        broken=composed.broken,
    )


def _yaml_reason(error: yaml.MarkedYAMLError) -> str:
    reason = error.problem or error.context or "syntax error"
    if error.context and error.problem and error.context != error.problem:
        reason = f"{error.problem} ({error.context})"
    return " ".join(reason.split())
