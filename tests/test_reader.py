"""The reader: every key, shorthand, default and range, and every error with its place."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coreg_audio.errors import CoregError, ScriptError
from coreg_audio.format.breathe import Breathe
from coreg_audio.format.loader import parse_script_bytes
from coreg_audio.format.model import Pattern, Text, Voice, VoiceRef
from coreg_audio.format.movement import Rock, Walk
from coreg_audio.format.patterns import parse_pattern_text
from coreg_audio.format.reader import read_script
from coreg_audio.format.steps import Bell, Pause, Repeat, Say, Section
from coreg_audio.practice import checked_script

from .conftest import CONFORMANCE, REPO, script_from


def problems_of(text: str) -> list[str]:
    with pytest.raises(ScriptError) as caught:
        script_from(text)
    return caught.value.lines()


def only_problem(text: str) -> str:
    lines = problems_of(text)
    assert len(lines) == 1, lines
    return lines[0]


MINIMAL = """
title: T
steps:
  - pause: 1
"""


def test_minimal_script_takes_every_default() -> None:
    script = script_from(MINIMAL)
    assert script.title == "T"
    assert script.author == "coreg-audio"
    assert script.language == "en"
    assert script.summary is None
    assert script.params == {}
    assert script.ambience is None
    assert script.tones.style == "glide"
    assert script.tones.level_db == -12.0
    assert script.tones.pitch_hz == 196.0
    assert (
        script.pattern.inhale_s,
        script.pattern.hold_s,
        script.pattern.exhale_s,
        script.pattern.rest_s,
    ) == (Fraction(4), Fraction(0), Fraction(6), Fraction(0))
    assert (script.lead_s, script.tail_s, script.gap_s) == (Fraction(1), Fraction(3), Fraction(1))
    assert script.steps == (Pause("1", script.steps[0].loc, Fraction(1)),)


def test_the_spec_example_reads_whole() -> None:
    script = script_from("""
        format: 1
        title: Breath Synchronization
        summary: Sit facing each other and let your breathing find one shared pace.
        author: coreg-audio
        params:
          a: the first partner
          b: the second partner
        voice: {engine: pyttsx3, rate: 140}
        ambience: {sound: ocean, level: -20}
        pattern: 4-6                 # inhale 4 s, exhale 6 s
        steps:
          - section: Arriving
          - say: Sit facing each other, or side by side, wherever feels right for you both.
          - pause: 3
          - say: "{a}, notice your own breath first. {b}, notice yours."
          - section: Breathing together
          - breathe: {cycles: 6, count: true, guide: 2}
          - breathe: {cycles: 10, pattern: 3-3, to: 4-6,
                      cues: {inhale: Together in, exhale: and out}}
          - bell: 3
    """)
    assert script.params == {"a": "the first partner", "b": "the second partner"}
    assert script.voice.engine == "pyttsx3" and script.voice.rate_wpm == 140
    assert script.ambience is not None and script.ambience.sound == "ocean"
    assert script.ambience.level_db == -20
    kinds = [type(step).__name__ for step in script.steps]
    assert kinds == ["Section", "Say", "Pause", "Say", "Section", "Breathe", "Breathe", "Bell"]
    ramp = script.steps[6]
    assert isinstance(ramp, Breathe)
    assert isinstance(ramp.pattern, Pattern) and ramp.pattern.inhale_s == 3
    assert ramp.to is not None and ramp.to.exhale_s == 6
    assert ramp.cues.inhale is not None and ramp.cues.inhale.source == "Together in"
    assert ramp.cues.hold is not None and ramp.cues.hold.source == "Hold"
    bell = script.steps[7]
    assert isinstance(bell, Bell) and bell.strikes == 3 and bell.duration_s == 15


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4-6", (4, 0, 6, 0)),
        ("4-7-8", (4, 7, 8, 0)),
        ("4-4-4-4", (4, 4, 4, 4)),
        ("0.7071-0.9137", (Fraction("0.7071"), 0, Fraction("0.9137"), 0)),
        ("3.5 - 5", (Fraction(7, 2), 0, 5, 0)),
    ],
)
def test_pattern_strings(text: str, expected: tuple[Fraction, ...]) -> None:
    pattern = parse_pattern_text(text, script_from(MINIMAL).steps_loc)
    assert (pattern.inhale_s, pattern.hold_s, pattern.exhale_s, pattern.rest_s) == expected


@pytest.mark.parametrize("text", ["4", "4-", "a-b", "4-6-7-8-9", "0.2-4", "4-61", "-4-6", ""])
def test_bad_pattern_strings(text: str) -> None:
    with pytest.raises(ValueError):
        parse_pattern_text(text, script_from(MINIMAL).steps_loc)


def test_pattern_as_mapping_defaults_hold_and_rest() -> None:
    script = script_from("""
        title: T
        pattern: {inhale: 4, exhale: 8}
        steps: [{pause: 1}]
    """)
    assert script.pattern == Pattern(
        Fraction(4), Fraction(0), Fraction(8), Fraction(0), script.pattern.loc
    )


def test_shorthands_and_long_forms_agree() -> None:
    script = script_from("""
        title: T
        voices:
          soft: {rate: 120}
        steps:
          - say: Hello
          - say: {text: Hello, after: 2, voice: soft}
          - say: Hi
            after: 3
          - say: {text: Hi, voice: {rate: 100}}
          - pause: 2.5
          - pause: {seconds: 2}
          - section: One
          - section: {title: Two}
          - bell: 2
          - bell: {strikes: 3, every: 2, ring: 4}
          - bell:
    """)
    steps = script.steps
    assert isinstance(steps[0], Say) and steps[0].after_s is None and steps[0].voice is None
    assert isinstance(steps[1], Say) and steps[1].after_s == 2
    assert isinstance(steps[1].voice, VoiceRef) and steps[1].voice.name == "soft"
    assert isinstance(steps[2], Say) and steps[2].after_s == 3
    assert isinstance(steps[3], Say) and isinstance(steps[3].voice, Voice)
    assert steps[3].voice.rate_wpm == 100
    assert isinstance(steps[4], Pause) and steps[4].seconds == Fraction(5, 2)
    assert isinstance(steps[5], Pause) and steps[5].seconds == 2
    assert isinstance(steps[6], Section) and steps[6].title == "One"
    assert isinstance(steps[7], Section) and steps[7].title == "Two"
    assert isinstance(steps[8], Bell) and steps[8].strikes == 2
    assert isinstance(steps[9], Bell) and steps[9].duration_s == 8
    assert isinstance(steps[10], Bell) and steps[10].strikes == 1 and steps[10].duration_s == 5


def test_movement_and_repeat_defaults() -> None:
    script = script_from("""
        title: T
        steps:
          - rock: {cycles: 3}
          - rock: {minutes: 1, period: 8}
          - walk: {steps: 8}
          - walk: {minutes: 2, pace: 60}
          - repeat: {times: 2, steps: [{pause: 1}, {repeat: {times: 3, steps: [bell: 1]}}]}
    """)
    rock, rock_minutes, walk, walk_minutes, repeat = script.steps
    assert isinstance(rock, Rock) and rock.period_s == 4 and rock.guide == 2 and rock.pan == 0.6
    assert rock.left is not None and rock.left.source == "Left"
    assert isinstance(rock_minutes, Rock) and rock_minutes.cycles == 8
    assert isinstance(walk, Walk) and walk.pace_spm == 90 and walk.accent == 4
    assert walk.pan == 0.4
    assert isinstance(walk_minutes, Walk) and walk_minutes.steps == 120
    assert isinstance(repeat, Repeat) and repeat.times == 2
    inner = repeat.steps[1]
    assert isinstance(inner, Repeat) and inner.path == "5.2"
    assert inner.steps[0].path == "5.2.1"


def test_breathe_keys() -> None:
    script = script_from("""
        title: T
        steps:
          - breathe: {cycles: 3, count: yes, guide: 0, tone: chime,
                      cues: {inhale: "", exhale: ~, rest: Rest}}
          - breathe: {minutes: 2}
    """)
    first, second = script.steps
    assert isinstance(first, Breathe) and first.count and first.guide == 0
    assert first.tone == "chime"
    assert first.cues.inhale is None and first.cues.exhale is None
    assert first.cues.hold is not None and first.cues.rest is not None
    assert isinstance(second, Breathe) and second.cycles is None
    assert second.cycle_count(script.pattern, script.met_pattern) == 12


def test_text_keeps_what_the_author_wrote() -> None:
    script = script_from(
        """
        title: T
        steps:
          - say: No
          - say: 0010
          - say: 1.50
        breathe_typo_free: true
    """.replace("        breathe_typo_free: true\n", "")
    )
    assert [step.text.source for step in script.steps if isinstance(step, Say)] == [
        "No",
        "0010",
        "1.50",
    ]


def test_numbers_read_as_decimals() -> None:
    script = script_from("""
        title: T
        steps:
          - pause: 010
          - pause: 1e1
          - pause: 1_0
          - pause: 0x0A
    """)
    assert [step.seconds for step in script.steps if isinstance(step, Pause)] == [10] * 4


def test_merge_keys_and_anchors() -> None:
    script = script_from("""
        title: T
        voices:
          base: &base {rate: 120, pitch: 40}
          slow:
            <<: *base
            rate: 100
        steps:
          - &calm {say: Calm}
          - *calm
    """)
    assert script.voices["slow"].rate_wpm == 100 and script.voices["slow"].pitch == 40
    assert len(script.steps) == 2


def test_text_location_points_inside_quotes() -> None:
    script = script_from('title: T\nsteps:\n  - say: "Hello {a}"\n')
    step = script.steps[0]
    assert isinstance(step, Say)
    assert step.text == Text("Hello {a}", step.text.loc, verbatim=True)
    assert (step.text.loc.line, step.text.loc.column) == (3, 11)


# -- errors: each at its line and column, all reported at once ------------------------

ERROR_CASES = [
    (
        "unknown top key",
        "title: T\nstpes: []\n",
        [
            "test.yaml:1:1: error: the script needs 'steps'",
            "test.yaml:2:1: error: unknown key 'stpes' in the script; did you mean 'steps'?",
        ],
    ),
    ("missing title", "steps: [{pause: 1}]\n", ["test.yaml:1:1: error: the script needs 'title'"]),
    (
        "format",
        "format: 2\ntitle: T\nsteps: [{pause: 1}]\n",
        ["test.yaml:1:9: error: this script is format 2; coreg-audio reads format 1"],
    ),
    (
        "inhail",
        "title: T\npattern: {inhail: 4, exhale: 6}\nsteps: [{pause: 1}]\n",
        [
            "test.yaml:2:10: error: 'pattern' needs 'inhale'",
            "test.yaml:2:11: error: unknown key 'inhail' in 'pattern'; did you mean 'inhale'?",
        ],
    ),
    (
        "range cycles",
        "title: T\nsteps:\n  - breathe: {cycles: 0}\n",
        ["test.yaml:3:23: error: 'cycles' in step 1 (breathe) must be from 1 to 1000, not 0"],
    ),
    (
        "whole",
        "title: T\nsteps:\n  - bell: 2.5\n",
        [
            "test.yaml:3:11: error: the strikes of step 1 (bell) must be a whole number from 1 to "
            "20, not 2.5"
        ],
    ),
    (
        "pause zero",
        "title: T\nsteps:\n  - pause: 0\n",
        [
            "test.yaml:3:12: error: the pause of step 1 must be more than 0 and at most 3600 "
            "seconds, not 0"
        ],
    ),
    (
        "rate",
        "title: T\nvoice: {rate: 20}\nsteps: [{pause: 1}]\n",
        ["test.yaml:2:15: error: 'voice' 'rate' must be from 80 to 300, not 20"],
    ),
    (
        "engine",
        "title: T\nvoice: {engine: espek}\nsteps: [{pause: 1}]\n",
        [
            "test.yaml:2:17: error: 'voice' 'engine' must be one of auto, piper, pyttsx3, espeak, "
            "not 'espek'; did you mean 'espeak'?"
        ],
    ),
    (
        "step kind",
        "title: T\nsteps:\n  - sya: hello\n",
        ["test.yaml:3:5: error: step 1 has no step kind: unknown key 'sya'; did you mean 'say'?"],
    ),
    (
        "two kinds",
        "title: T\nsteps:\n  - say: hi\n    pause: 2\n",
        [
            "test.yaml:4:5: error: step 1 has both 'say' and 'pause'; put each in its own step "
            "(a new '- ' line)"
        ],
    ),
    (
        "empty steps",
        "title: T\nsteps: []\n",
        ["test.yaml:2:8: error: 'steps' is empty; add at least one step"],
    ),
    (
        "steps not list",
        "title: T\nsteps: hello\n",
        [
            "test.yaml:2:8: error: 'steps' must be a list of steps (lines starting with '- '), "
            "not 'hello'"
        ],
    ),
    (
        "both cycles and minutes",
        "title: T\nsteps:\n  - breathe: {cycles: 2, minutes: 1}\n",
        ["test.yaml:3:26: error: step 1 (breathe) gives both 'cycles' and 'minutes'; keep one"],
    ),
    (
        "neither",
        "title: T\nsteps:\n  - breathe: {count: true}\n",
        ["test.yaml:3:5: error: step 1 (breathe) needs 'cycles' (or 'minutes')"],
    ),
    (
        "to with minutes",
        "title: T\nsteps:\n  - breathe: {minutes: 2, to: 4-8}\n",
        [
            "test.yaml:3:27: error: step 1 (breathe) cannot use 'to' with 'minutes'; give 'cycles' "
            "so the change has a known number of steps"
        ],
    ),
    (
        "duplicate key",
        "title: T\ntitle: U\nsteps: [{pause: 1}]\n",
        ["test.yaml:2:1: error: 'title' is given twice in the script (first at line 1)"],
    ),
    (
        "count not bool",
        "title: T\nsteps:\n  - breathe: {cycles: 1, count: 4}\n",
        ["test.yaml:3:33: error: 'count' in step 1 (breathe) must be true or false, not '4'"],
    ),
    (
        "tone style",
        "title: T\ntones: glid\nsteps: [{pause: 1}]\n",
        [
            "test.yaml:2:8: error: 'tones' must be one of glide, chime, none, not 'glid'; "
            "did you mean 'glide'?"
        ],
    ),
    (
        "pan",
        "title: T\nsteps:\n  - walk: {steps: 4, pan: 2}\n",
        ["test.yaml:3:27: error: 'pan' in step 1 (walk) must be from 0 to 1, not 2"],
    ),
    (
        "pace",
        "title: T\nsteps:\n  - walk: {steps: 4, pace: 200}\n",
        [
            "test.yaml:3:28: error: 'pace' in step 1 (walk) must be from 30 to 180 steps a minute, "
            "not 200"
        ],
    ),
    (
        "period",
        "title: T\nsteps:\n  - rock: {cycles: 4, period: 0.5}\n",
        ["test.yaml:3:31: error: 'period' in step 1 (rock) must be from 1 to 30 seconds, not 0.5"],
    ),
    (
        "repeat times",
        "title: T\nsteps:\n  - repeat: {times: 1001, steps: [{pause: 1}]}\n",
        ["test.yaml:3:21: error: 'times' in step 1 (repeat) must be from 1 to 1000, not 1001"],
    ),
    (
        "nested path",
        "title: T\nsteps:\n  - repeat:\n      times: 2\n      steps:\n"
        "        - pause: 1\n        - bel: 1\n",
        [
            "test.yaml:7:11: error: step 1.2 has no step kind: unknown key 'bel'; "
            "did you mean 'bell'?"
        ],
    ),
    (
        "inf",
        "title: T\nsteps:\n  - pause: .inf\n",
        ["test.yaml:3:12: error: the pause of step 1 must be a number (seconds), not '.inf'"],
    ),
    (
        "huge",
        "title: T\nsteps:\n  - pause: 1e999999999999\n",
        [
            "test.yaml:3:12: error: the pause of step 1 must be more than 0 and at most 3600 "
            "seconds, not 1e999999999999"
        ],
    ),
    (
        "bare step word",
        "title: T\nsteps:\n  - bell\n",
        ["test.yaml:3:5: error: step 1 'bell' needs a value: write 'bell: ...'"],
    ),
    (
        "say without text",
        "title: T\nsteps:\n  - say:\n",
        ["test.yaml:3:5: error: step 1 (say) needs some text: 'say: Hello'"],
    ),
    (
        "control character by escape",
        'title: T\nsteps:\n  - say: "Hello \\0name"\n',
        [
            "test.yaml:3:10: error: the text of step 1 (say) holds a control character (#x0000), "
            "which cannot be spoken or shown; remove it (an escape such as \\0 in quotes makes one)"
        ],
    ),
    (
        "sibling unknown",
        "title: T\nsteps:\n  - say: Hi\n    aftr: 2\n",
        ["test.yaml:4:5: error: unknown key 'aftr' in step 1 (say); did you mean 'after'?"],
    ),
    (
        "language",
        "title: T\nlanguage: english please\nsteps: [{pause: 1}]\n",
        [
            "test.yaml:2:11: error: 'language' must be a language code such as en, de or en-us, "
            "not 'english please'"
        ],
    ),
    (
        "summary lines",
        "title: T\nsummary: |\n  one\n  two\nsteps: [{pause: 1}]\n",
        ["test.yaml:2:10: error: 'summary' must be one line"],
    ),
    (
        "ambience level",
        "title: T\nambience: {sound: rain, level: 5}\nsteps: [{pause: 1}]\n",
        ["test.yaml:2:32: error: ambience 'level' must be from -60 to 0 dB, not 5"],
    ),
    (
        "param name",
        "title: T\nparams: {'a b': x}\nsteps: [{pause: 1}]\n",
        [
            "test.yaml:2:10: error: a param name is a word of letters, digits, '_' or '-' "
            "(e.g. a, partner_1)"
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "expected"), ERROR_CASES, ids=[case[0] for case in ERROR_CASES]
)
def test_errors_point_at_line_and_column(name: str, text: str, expected: list[str]) -> None:
    with pytest.raises(ScriptError) as caught:
        read_script(parse_script_bytes(text.encode(), Path("test.yaml"), "test.yaml"), "test")
    assert caught.value.lines() == sorted(expected)


def test_every_problem_is_reported_at_once() -> None:
    lines = problems_of("""
        title: T
        lead: -1
        voice: {rate: 1000, pitch: 200}
        steps:
          - pause: -3
          - breathe: {cycles: 2000, pattern: 4-99}
          - walk: {steps: 0}
    """)
    assert len(lines) == 7, lines
    assert [line.split(":")[1] for line in lines] == ["2", "3", "3", "5", "6", "6", "7"]


# -- fuzzing: only the project's own error type may come out ------------------------------

SEED_SCRIPTS = sorted(CONFORMANCE.glob("*.yaml")) + sorted((REPO / "scripts").glob("*.yaml"))


def _read(data: bytes) -> None:
    try:
        checked_script(parse_script_bytes(data, Path("f.yaml"), "f.yaml"), "f")
    except ScriptError as error:
        assert error.problems, "a ScriptError must carry its problems"
        for problem in error.problems:
            assert problem.line >= 1 and problem.column >= 1
            assert "\n" not in problem.message
    except CoregError:
        pass


yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "title",
                    "steps",
                    "say",
                    "pause",
                    "breathe",
                    "cycles",
                    "pattern",
                    "to",
                    "cues",
                    "count",
                    "guide",
                    "repeat",
                    "times",
                    "rock",
                    "walk",
                    "bell",
                    "voice",
                    "params",
                    "ambience",
                    "tones",
                    "section",
                    "inhale",
                    "text",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_values)
def test_fuzz_generated_documents(value: object) -> None:
    _read(yaml.safe_dump(value, allow_unicode=True).encode())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SEED_SCRIPTS), st.data())
def test_fuzz_mutated_scripts(path: Path, data: st.DataObject) -> None:
    original = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        if not original:
            break
        position = data.draw(st.integers(0, len(original) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "duplicate"]))
        if action == "flip":
            original[position] = data.draw(st.sampled_from(list(b"-:{}[]'\"&*!|>#%@ \n\t0a9")))
        elif action == "delete":
            del original[position : position + data.draw(st.integers(1, 12))]
        elif action == "insert":
            original[position:position] = data.draw(st.binary(max_size=6))
        else:
            original[position:position] = original[position : position + 40]
    _read(bytes(original))
