"""YAML syntax mistakes: plain words at their line, and every other part still read and checked."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from coreg_audio.errors import ScriptError
from coreg_audio.format.loader import parse_script_bytes
from coreg_audio.format.syntax import compose
from coreg_audio.practice import checked_script

SIX_MISTAKES = (
    "title: Six mistakes\n"
    "sumary: a misspelt key\n"
    "steps:\n"
    "  - say: {a}, notice your breath.\n"
    "  - say: Here: now we rest\n"
    "  - breathe:\n"
    "\t cycles: 2\n"
    "  - say: Hello {b}\n"
    "   - bell: 1\n"
    "  - pause: 3\n"
)


def problems_of(text: str) -> list[str]:
    document = parse_script_bytes(text.encode(), Path("x.yaml"), "x.yaml")
    with pytest.raises(ScriptError) as caught:
        checked_script(document, "x")
    return caught.value.lines()


def test_a_file_with_one_mistake_of_each_kind_gets_every_error_in_one_run() -> None:
    assert problems_of(SIX_MISTAKES) == [
        "x.yaml:2:1: error: unknown key 'sumary' in the script; did you mean 'summary'?",
        "x.yaml:4:10: error: words that start with '{' need quotes, or YAML reads them as "
        'something else: write say: "{a}, notice your breath."',
        "x.yaml:5:14: error: the words after 'say:' hold ': ' (a colon and a space), which "
        'YAML reads as a new key: put the words in double quotes, say: "Here: now we rest"',
        "x.yaml:7:1: error: this line is indented with a tab; YAML takes only spaces: indent "
        "it with spaces, lined up with the lines it belongs with",
        "x.yaml:8:16: error: in the text of step 4: the placeholder {b} has no value; add it "
        "under 'params:', pass --set b=..., or write {b|words} to say words when no value is "
        "given (params: none are defined)",
        "x.yaml:9:4: error: this step's '-' is at column 4, but the '-' of the steps above it "
        "are at column 3: start every '- ' of a list at the same column",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: T\nsteps:\n  - say: {a}, hello\n", "words that start with '{' need quotes"),
        ("title: T\nsteps:\n  - say: Now: rest\n", "hold ': ' (a colon and a space)"),
        ("title: T\nsteps:\n\t- pause: 1\n", "indented with a tab"),
        ("title: T\nsteps:\n  - pause: 1\n - pause: 2\n", "start every '- ' of a list"),
        ('title: "T\nsteps: [{pause: 1}]\n', 'the quote " that starts these words'),
    ],
)
def test_the_commonest_mistakes_say_what_to_write_instead(text: str, expected: str) -> None:
    composed = compose(text, "x.yaml")
    assert composed.problems, text
    message = composed.problems[0].message
    assert expected in message
    for jargon in ("<block", "expected", "scanning", "found"):
        assert jargon not in message


def test_a_valid_file_composes_as_pyyaml_does() -> None:
    composed = compose("title: T\nsteps:\n  - pause: 1\n", "x.yaml")
    assert composed.problems == () and composed.broken == frozenset()
    assert composed.root is not None and composed.root.value[0][0].value == "title"


def test_later_steps_keep_their_numbers_after_a_broken_one() -> None:
    lines = problems_of("title: T\nsteps:\n  - say: {a}, x\n  - pause: nope\n")
    assert lines[-1].startswith("x.yaml:4:")
    assert "step 2" in lines[-1]


def _too_long(*_: object) -> None:
    raise TimeoutError("compose went on for 20 s")


def test_a_mistake_that_setting_aside_cannot_mend_ends_the_reading() -> None:
    """Found by make fuzz: a flow mapping left open near the end once made compose loop forever."""
    path = Path(__file__).parent / "syntax-cases" / "flow-mapping-open-at-the-end.yaml"
    previous = signal.signal(signal.SIGALRM, _too_long)
    signal.alarm(20)
    try:
        composed = compose(path.read_text(encoding="utf-8"), path.name)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert composed.root is None
    assert [problem.line for problem in composed.problems] == [56, 57, 61]


def test_an_item_among_keys_and_a_key_among_items_are_named_for_what_they_are() -> None:
    """Found by make fuzz: a '- bell' swapped with 'ambience:' into 'voices:' once got a message
    that contradicted itself, and blamed the valid flow mapping on the line above it."""
    path = Path(__file__).parent / "syntax-cases" / "list-item-among-keys.yaml"
    composed = compose(path.read_text(encoding="utf-8"), path.name)
    assert [(problem.line, problem.column, problem.message) for problem in composed.problems] == [
        (
            11,
            3,
            "this '- ' item stands among the keys of 'voices', where no list can start: if it "
            "is a step, move it under 'steps:'; if it is a key of 'voices', remove the '- '",
        ),
        (
            29,
            1,
            "'ambience:' stands among the '- ' items of a list and ends it, so the items after "
            "it are out of place: move this line out of the list, next to the practice's other "
            "keys, before 'steps:'",
        ),
        (
            94,
            2,
            "this step's '-' is at column 2, but the '-' of the steps above it are at column 3: "
            "start every '- ' of a list at the same column",
        ),
    ]
    assert composed.root is not None, "the steps after the misplaced key are still read"


def test_an_item_among_top_level_keys_says_so() -> None:
    composed = compose("title: T\n- pause: 1\nsteps:\n  - pause: 2\n", "x.yaml")
    assert [(problem.line, problem.message) for problem in composed.problems] == [
        (
            2,
            "this '- ' item stands among the practice's top-level keys, where no list can "
            "start: if it is a step, move it under 'steps:'; if it is a top-level key, remove "
            "the '- '",
        )
    ]
