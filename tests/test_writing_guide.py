"""docs/writing-practices.md cannot drift from the code.

Its worked examples are run, and must print exactly what the guide shows. Every
message it quotes must be one the code can produce, and every message the code
gives an author (found in the source by reading its calls) must be quoted.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from coreg_audio.practice import check_script

from .conftest import REPO

GUIDE = REPO / "docs" / "writing-practices.md"
SOURCE = REPO / "src" / "coreg_audio"
AUTHOR_MODULES = (
    "format/loader",
    "format/syntax",
    "format/yaml_mistakes",
    "format/nodes",
    "format/values",
    "format/keys",
    "format/toplevel",
    "format/patterns",
    "format/voices",
    "format/sounds",
    "format/steps",
    "format/breathe",
    "format/movement",
    "format/over",
    "format/reader",
    "format/validate",
    "timeline/compile",
    "format/placeholders",
    "library",
    "speech/engine",
)
"""Where the messages an author meets while writing come from; each must be in the guide."""
OTHER_MODULES = (
    "output/formats",
    "atomic",
    "speech/espeak_engine",
    "speech/pyttsx3_engine",
    "speech/piper_engine",
)
"""Messages the guide may quote from making a track."""
MESSAGE_CALLS = {
    "problem",
    "Problem",
    "fail",
    "PlaceholderProblem",
    "at",
    "UsageError",
    "MissingComponent",
    "VoiceNotFound",
    "TooLarge",
    "Diagnosis",
}
MESSAGE_ARGUMENT = {"Diagnosis": 2}
"""Calls whose message is not their last positional argument."""
MESSAGE_FUNCTIONS = {"_not_found"}
"""Functions that return a message for a call above to raise."""
TAIL = r"(?: \(.*\))?"
"""A message kept in a variable may get a note in brackets added where it is reported."""
COMMAND = "$ coreg-audio validate practice.yaml"


def errors_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return text[text.index("## Error messages, and what to do") :]


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    return [
        (match[1], match[2])
        for match in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    ]


def worked_examples() -> list[tuple[str, list[str]]]:
    """(script, printed lines) for each validate run the guide shows, anywhere in it."""
    examples: list[tuple[str, list[str]]] = []
    script = None
    for language, body in fenced_blocks(GUIDE.read_text(encoding="utf-8")):
        if language == "yaml":
            script = body
        elif language == "text" and body.startswith(COMMAND):
            assert script is not None, "a validate run needs the script before it"
            examples.append((script, body.splitlines()[1:]))
            script = None
    return examples


def quoted_messages() -> list[str]:
    """The first quoted span of each bullet under "Every message"."""
    section = errors_section()
    listed = section[section.index("### Every message") :]
    return re.findall(r"^- `([^`]+)`", listed, re.MULTILINE)


def shown_messages() -> list[str]:
    return [line.split(": error: ", 1)[1] for _, lines in worked_examples() for line in lines]


def _pattern(node: ast.expr) -> str:
    """A regular expression for the messages an expression can build."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            _pattern(part) if isinstance(part, ast.Constant) else ".*" for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _pattern(node.left) + _pattern(node.right)
    if isinstance(node, ast.IfExp):
        return f"(?:{_pattern(node.body)}|{_pattern(node.orelse)})"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "replace"
    ):
        return _pattern(node.func.value).replace(r"\ ", r"\ *")
    return ".*"


def message_templates(module: str) -> Iterator[tuple[str, int, str]]:
    """(module, line, regex) for each message built in ``module``'s source."""
    tree = ast.parse((SOURCE / f"{module}.py").read_text(encoding="utf-8"))
    returned = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef) and function.name in MESSAGE_FUNCTIONS
        for node in ast.walk(function)
        if isinstance(node, ast.Return)
    }
    for node in ast.walk(tree):
        found: ast.expr | None = None
        tail = ""
        if isinstance(node, ast.Call) and node.args:
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else node.func.id
                if isinstance(node.func, ast.Name)
                else ""
            )
            if name in MESSAGE_CALLS:
                found = node.args[MESSAGE_ARGUMENT.get(name, -1)]
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "message" for target in node.targets
        ):
            found, tail = node.value, TAIL
        elif isinstance(node, ast.Return) and id(node) in returned:
            found = node.value
        if found is None:
            continue
        regex = _pattern(found)
        if regex.replace(".*", "").replace("(?:|)", ""):
            assert isinstance(node, ast.stmt | ast.expr)
            yield module, node.lineno, regex + tail


def all_templates(modules: tuple[str, ...]) -> list[tuple[str, int, str]]:
    return [template for module in modules for template in message_templates(module)]


def gives(regex: str, message: str) -> bool:
    """Whether ``message`` is the template's, alone or after a "where: " lead-in."""
    return re.fullmatch(f"(?:.*?: )?{regex}", message, re.DOTALL) is not None


@pytest.mark.parametrize("index", range(len(worked_examples())))
def test_each_worked_example_prints_what_the_guide_shows(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, expected = worked_examples()[index]
    (tmp_path / "practice.yaml").write_text(script, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def timings_apart(lines: list[str]) -> list[str]:
        """Clip lengths depend on the speech engine's build; the words must not."""
        return [re.sub(r"\d+\.\d\d s", "N s", line) for line in lines]

    assert timings_apart(check_script("practice.yaml")) == timings_apart(expected)


def test_there_are_worked_examples_and_a_full_list() -> None:
    assert len(worked_examples()) >= 6
    assert len(quoted_messages()) >= 60


def test_every_quoted_message_is_one_the_code_gives() -> None:
    templates = all_templates(AUTHOR_MODULES + OTHER_MODULES)
    unknown = [
        message
        for message in quoted_messages() + shown_messages()
        if not any(gives(regex, message) for _, _, regex in templates)
    ]
    assert not unknown, f"the guide quotes messages the code never gives: {unknown}"


def test_every_message_an_author_can_meet_is_in_the_guide() -> None:
    quoted = quoted_messages() + shown_messages()
    missing = [
        f"{module}.py:{line}: {regex}"
        for module, line, regex in all_templates(AUTHOR_MODULES)
        if not any(gives(regex, message) for message in quoted)
    ]
    assert not missing, "quote these in docs/writing-practices.md:\n" + "\n".join(missing)


def test_the_template_finder_sees_the_messages() -> None:
    """The source reading itself: known messages are found, so the checks above can fail."""
    templates = [regex for _, _, regex in all_templates(AUTHOR_MODULES)]
    assert len(templates) >= 60
    assert any(gives(regex, "'summary' must be one line") for regex in templates)
    assert not any(gives(regex, "the moon is made of cheese") for regex in templates)
