"""The one error root, problems on one line, and options named as the caller names them."""

from __future__ import annotations

import pickle

from coreg_audio.errors import OptionError, Problem, ScriptError, UsageError


def test_a_problem_is_one_line_at_its_place() -> None:
    problem = Problem("a.yaml", 3, 5, "two\nlines")
    assert str(problem) == "a.yaml:3:5: error: two\\nlines"


def test_script_errors_sort_and_drop_repeats() -> None:
    error = ScriptError([Problem("a.yaml", 4, 1, "b"), Problem("a.yaml", 2, 1, "a")] * 2)
    assert error.lines() == ["a.yaml:2:1: error: a", "a.yaml:4:1: error: b"]


def test_an_option_error_names_the_option_and_quotes_a_value() -> None:
    with_value = OptionError("--voice", "no pyttsx3 voice 'x'", "x")
    assert str(with_value) == "--voice x: no pyttsx3 voice 'x'"
    assert with_value.lines() == ["error: --voice x: no pyttsx3 voice 'x'"]
    without = OptionError("--rate", "must be from 80 to 300 words a minute, not 20")
    assert str(without) == "--rate must be from 80 to 300 words a minute, not 20"
    assert isinstance(without, UsageError) and without.exit_code == 2


def test_an_option_error_crosses_a_process_boundary_whole() -> None:
    error = OptionError("--pace", "not a pattern", "4")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.option, copy.reason, copy.value, str(copy)) == (
        "--pace",
        "not a pattern",
        "4",
        "--pace 4: not a pattern",
    )
