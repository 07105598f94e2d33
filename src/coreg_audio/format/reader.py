"""Turn a script's YAML nodes into the model, collecting every problem on the way.

Each key is checked for type and range where it is read, so a problem points
at the key or value the author has to change. Reading goes on after a problem
so that one run reports them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

import yaml

from ..errors import Problem, ScriptError
from ..speech.voice import ENGINE_NAMES
from ..suggest import suggestion
from ..units import round_half_up
from .loader import Document
from .model import (
    PHASES,
    TONE_STYLES,
    Ambience,
    Bell,
    BreathCues,
    Breathe,
    Loc,
    Pattern,
    Pause,
    Repeat,
    Rock,
    Say,
    Script,
    Section,
    Step,
    Text,
    Tones,
    ToneStyle,
    Voice,
    VoiceRef,
    Walk,
)

T = TypeVar("T")

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"

MAX_NODES = 100_000
MAX_DEPTH = 40

TOP_LEVEL_KEYS = (
    "format",
    "title",
    "summary",
    "author",
    "language",
    "params",
    "voice",
    "voices",
    "ambience",
    "tones",
    "pattern",
    "lead",
    "tail",
    "gap",
    "steps",
)
STEP_KINDS = ("say", "pause", "section", "bell", "breathe", "rock", "walk", "repeat")
STEP_KEYS: dict[str, tuple[str, ...]] = {
    "say": ("text", "after", "voice"),
    "pause": ("seconds",),
    "section": ("title",),
    "bell": ("strikes", "every", "ring"),
    "breathe": ("cycles", "minutes", "pattern", "to", "cues", "count", "guide", "tone"),
    "rock": ("period", "cycles", "minutes", "cues", "guide", "pan"),
    "walk": ("pace", "steps", "minutes", "accent", "pan"),
    "repeat": ("times", "steps"),
}
VOICE_KEYS = ("engine", "name", "rate", "pitch", "volume")
BUILT_IN_AMBIENCES = ("ocean", "rain", "brown-noise", "pink-noise")
DEFAULT_BREATH_CUES = {"inhale": "In", "hold": "Hold", "exhale": "Out"}
DEFAULT_ROCK_CUES = {"left": "Left", "right": "Right"}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_DECIMAL_RE = re.compile(r"^[+]?(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)$")
_NUMBER_RE = re.compile(r"^[-+]?(?P<int>\d*)(\.(?P<frac>\d*))?([eE](?P<exp>[-+]?\d+))?$")


class _TooLarge(Exception):
    """The node walk ran out of budget: an alias bomb or a runaway nesting."""


@dataclass(frozen=True)
class Reading:
    """A document read as far as it could be: the model, its problems, and what to doubt.

    With problems, ``script`` (when there is one) leaves out or defaults what was
    wrong, so later stages can still look for their own problems in the rest.
    ``doubtful`` names the top-level keys whose values had problems (all of them
    when a top-level key itself was wrong): checks that lean on those would
    report mistakes the author did not make.
    """

    script: Script | None
    problems: tuple[Problem, ...]
    doubtful: frozenset[str]


def read_partial(document: Document, name: str) -> Reading:
    """Read ``document``, collecting every problem instead of stopping at the first."""
    reader = _Reader(document)
    try:
        script = reader.script(name)
    except _TooLarge as error:
        reader.problems.append(Problem(document.display_path, 1, 1, str(error)))
        script = None
    return Reading(script, tuple(reader.problems), frozenset(reader.doubtful))


def read_script(document: Document, name: str) -> Script:
    """The model of ``document``; raises ``ScriptError`` with every problem found."""
    reading = read_partial(document, name)
    if reading.problems or reading.script is None:
        raise ScriptError(reading.problems)
    return reading.script


PATTERN_SHAPE = (
    "write a pattern as IN-OUT, IN-HOLD-OUT or IN-HOLD-OUT-REST in seconds "
    "(e.g. 4-6 or 4-7-8), or as a mapping {inhale: 4, exhale: 6}"
)


def parse_pattern_text(text: str, loc: Loc) -> Pattern:
    """``4-6``, ``4-7-8`` or ``4-4-4-4`` as a pattern; ``ValueError`` says what is wrong."""
    parts = [part.strip() for part in text.split("-")]
    if not 2 <= len(parts) <= 4 or not all(_DECIMAL_RE.match(part) for part in parts):
        raise ValueError(f"not a pattern: {PATTERN_SHAPE}")
    numbers = [Fraction(part.replace("_", "")) for part in parts]
    if len(numbers) == 2:
        numbers = [numbers[0], Fraction(0), numbers[1], Fraction(0)]
    elif len(numbers) == 3:
        numbers.append(Fraction(0))
    for phase, value in zip(PHASES, numbers, strict=True):
        low = Fraction(1, 2) if phase in ("inhale", "exhale") else Fraction(0)
        if not low <= value <= 60:
            raise ValueError(f"{phase} must be from {_fmt(low)} to 60 seconds, not {_fmt(value)}")
    return Pattern(numbers[0], numbers[1], numbers[2], numbers[3], loc)


def loc_of(node: yaml.Node) -> Loc:
    return Loc(node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass
class _Entry:
    key: yaml.ScalarNode
    value: yaml.Node


class _Reader:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[Problem] = []
        self.doubtful: set[str] = set()
        self._visited = 0

    # -- plumbing --------------------------------------------------------

    def problem(self, where: yaml.Node | Loc, message: str) -> None:
        loc = where if isinstance(where, Loc) else loc_of(where)
        self.problems.append(Problem(self.document.display_path, loc.line, loc.column, message))

    def visit(self, node: yaml.Node, depth: int) -> None:
        self._visited += 1
        if self._visited > MAX_NODES:
            raise _TooLarge(
                f"the script is too large: more than {MAX_NODES:,} values once its "
                "aliases (*name) are expanded"
            )
        if depth > MAX_DEPTH:
            raise _TooLarge(f"the script is nested more than {MAX_DEPTH} levels deep")

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        allowed: Sequence[str],
        depth: int,
        required: Sequence[str] = (),
    ) -> dict[str, _Entry] | None:
        self.visit(node, depth)
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping of keys, not {_describe(node)}")
            return None
        entries: dict[str, _Entry] = {}
        for key, value in self._pairs(node, depth):
            self.visit(key, depth + 1)
            if not isinstance(key, yaml.ScalarNode) or key.tag == NULL_TAG:
                self.problem(key, f"a key in {what} must be a word, not {_describe(key)}")
                continue
            word = key.value
            if word in entries:
                first = loc_of(entries[word].key)
                self.problem(key, f"'{word}' is given twice in {what} (first at line {first.line})")
                continue
            if word not in allowed:
                self.problem(
                    key,
                    f"unknown key '{word}' in {what}{suggestion(word, allowed)}"
                    + ("" if suggestion(word, allowed) else f" (allowed: {', '.join(allowed)})"),
                )
                continue
            entries[word] = _Entry(key, value)
        for word in required:
            if word not in entries:
                self.problem(node, f"{what} needs '{word}'")
        return entries

    def _pairs(self, node: yaml.MappingNode, depth: int) -> list[tuple[yaml.Node, yaml.Node]]:
        """Key-value pairs with YAML merge keys (``<<: *base``) applied, own keys first."""
        own: list[tuple[yaml.Node, yaml.Node]] = []
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag == MERGE_TAG:
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    self.visit(source, depth + 1)
                    if isinstance(source, yaml.MappingNode):
                        merged.extend(self._pairs(source, depth + 1))
                    else:
                        self.problem(source, f"'<<' merges a mapping, not {_describe(source)}")
            else:
                own.append((key, value))
        names = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        return own + [
            (k, v) for k, v in merged if not (isinstance(k, yaml.ScalarNode) and k.value in names)
        ]

    def scalar(self, node: yaml.Node, what: str, depth: int) -> yaml.ScalarNode | None:
        self.visit(node, depth)
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, f"{what} must be a single value, not {_describe(node)}")
            return None
        return node

    # -- values ----------------------------------------------------------

    def text(
        self, node: yaml.Node, what: str, depth: int, *, allow_empty: bool = False
    ) -> Text | None:
        """Spoken or shown text; any scalar is read as written (``No`` stays "No")."""
        scalar = self.scalar(node, what, depth)
        if scalar is None:
            return None
        if scalar.tag == NULL_TAG and scalar.style is None:
            if not allow_empty:
                self.problem(scalar, f"{what} needs some text")
            return None
        if scalar.tag not in (STR_TAG, INT_TAG, FLOAT_TAG, BOOL_TAG, NULL_TAG):
            self.problem(scalar, f"{what} has an unsupported tag '{scalar.tag}'")
            return None
        value = scalar.value
        if not value.strip():
            if not allow_empty:
                self.problem(scalar, f"{what} needs some text")
            return None
        return self._text_at(scalar)

    def _text_at(self, scalar: yaml.ScalarNode) -> Text:
        start, end = scalar.start_mark, scalar.end_mark
        source = self.document.text
        quote = 1 if scalar.style in ("'", '"') else 0
        verbatim = (
            scalar.style in (None, "'", '"')
            and start.line == end.line
            and source[start.index + quote : end.index - quote] == scalar.value
        )
        loc = Loc(start.line + 1, start.column + 1 + quote) if verbatim else loc_of(scalar)
        return Text(scalar.value, loc, verbatim)

    def plain_string(self, node: yaml.Node, what: str, depth: int) -> str | None:
        text = self.text(node, what, depth)
        return text.source if text is not None else None

    def number(
        self,
        node: yaml.Node,
        what: str,
        depth: int,
        low: Fraction | int,
        high: Fraction | int,
        *,
        whole: bool = False,
        low_open: bool = False,
        unit: str = "",
    ) -> Fraction | None:
        scalar = self.scalar(node, what, depth)
        if scalar is None:
            return None
        kind = "a whole number" if whole else "a number"
        value = _number_value(scalar)
        if value is None:
            unit_note = f" ({_unit_phrase(unit).strip()})" if unit else ""
            self.problem(scalar, f"{what} must be {kind}{unit_note}, not {_describe(scalar)}")
            return None
        range_text = (
            f"more than {_fmt(low)} and at most {_fmt(high)}"
            if low_open
            else f"from {_fmt(low)} to {_fmt(high)}"
        )
        if whole and value.denominator != 1:
            self.problem(scalar, f"{what} must be a whole number {range_text}, not {scalar.value}")
            return None
        below = value <= low if low_open else value < low
        if below or value > high:
            self.problem(
                scalar, f"{what} must be {range_text}{_unit_phrase(unit)}, not {scalar.value}"
            )
            return None
        return value

    def integer(self, node: yaml.Node, what: str, depth: int, low: int, high: int) -> int | None:
        value = self.number(node, what, depth, low, high, whole=True)
        return int(value) if value is not None else None

    def level(self, node: yaml.Node, what: str, depth: int, low: int, high: int) -> float | None:
        value = self.number(node, what, depth, low, high, unit="dB")
        return float(value) if value is not None else None

    def boolean(self, node: yaml.Node, what: str, depth: int) -> bool | None:
        scalar = self.scalar(node, what, depth)
        if scalar is None:
            return None
        if scalar.tag != BOOL_TAG:
            self.problem(scalar, f"{what} must be true or false, not {_describe(scalar)}")
            return None
        return bool(yaml.SafeLoader.bool_values[scalar.value.lower()])

    def choice(self, node: yaml.Node, what: str, depth: int, choices: Sequence[str]) -> str | None:
        word = self.plain_string(node, what, depth)
        if word is None:
            return None
        if word not in choices:
            hint = suggestion(word, choices)
            self.problem(node, f"{what} must be one of {', '.join(choices)}, not '{word}'{hint}")
            return None
        return word

    def get(
        self,
        entries: dict[str, _Entry] | None,
        key: str,
        read: Callable[[yaml.Node], T | None],
        default: T,
    ) -> T:
        if entries is None or key not in entries:
            return default
        value = read(entries[key].value)
        return default if value is None else value

    # -- top level -------------------------------------------------------

    def top(
        self,
        entries: dict[str, _Entry],
        key: str,
        read: Callable[[yaml.Node], T | None],
        default: T,
    ) -> T:
        """A top-level value, as ``get``; a key whose value had problems becomes doubtful."""
        before = len(self.problems)
        value = self.get(entries, key, read, default)
        if len(self.problems) > before:
            self.doubtful.add(key)
        return value

    def script(self, name: str) -> Script | None:
        root = self.document.root
        entries = self.mapping(root, "the script", TOP_LEVEL_KEYS, 0, required=("title", "steps"))
        if entries is None:
            return None
        if self.problems:
            self.doubtful.update(TOP_LEVEL_KEYS)
        d = 1
        fmt = self.top(entries, "format", lambda n: self.integer(n, "'format'", d, 1, 1000), 1)
        if fmt != 1:
            self.problem(
                entries["format"].value, f"this script is format {fmt}; coreg-audio reads format 1"
            )
        title = self.top(entries, "title", lambda n: self.plain_string(n, "'title'", d), "")
        summary = self.top(entries, "summary", lambda n: self.plain_string(n, "'summary'", d), None)
        if summary is not None and "\n" in summary.strip():
            self.problem(entries["summary"].value, "'summary' must be one line")
        author = self.top(
            entries, "author", lambda n: self.plain_string(n, "'author'", d), "coreg-audio"
        )
        language = self.top(entries, "language", lambda n: self.language(n, d), "en")
        params: dict[str, str] = self.top(
            entries,
            "params",
            lambda n: self.named(n, "param", d, lambda v, what: self.plain_string(v, what, d + 1)),
            {},
        )
        voice = self.top(
            entries, "voice", lambda n: self.voice(n, "'voice'", d), Voice(loc=loc_of(root))
        )
        voices: dict[str, Voice] = self.top(
            entries,
            "voices",
            lambda n: self.named(n, "voice", d, lambda v, what: self.voice(v, what, d + 1)),
            {},
        )
        ambience = self.top(entries, "ambience", lambda n: self.ambience(n, d), None)
        tones = self.top(
            entries, "tones", lambda n: self.tones(n, d), Tones(style="glide", loc=loc_of(root))
        )
        pattern = self.top(
            entries,
            "pattern",
            lambda n: self.pattern(n, "'pattern'", d),
            Pattern(Fraction(4), Fraction(0), Fraction(6), Fraction(0), loc_of(root)),
        )
        lead = self.top(
            entries, "lead", lambda n: self.number(n, "'lead'", d, 0, 600, unit="s"), Fraction(1)
        )
        tail = self.top(
            entries, "tail", lambda n: self.number(n, "'tail'", d, 0, 600, unit="s"), Fraction(3)
        )
        gap = self.top(
            entries, "gap", lambda n: self.number(n, "'gap'", d, 0, 600, unit="s"), Fraction(1)
        )
        steps: tuple[Step, ...] = ()
        steps_loc = loc_of(root)
        if "steps" in entries:
            steps_loc = loc_of(entries["steps"].key)
            steps = self.top(entries, "steps", lambda n: self.steps(n, "", d), ())
        return Script(
            name=name,
            path=self.document.path,
            display_path=self.document.display_path,
            title=title,
            steps=steps,
            steps_loc=steps_loc,
            summary=summary,
            author=author,
            language=language,
            language_loc=loc_of(entries["language"].value)
            if "language" in entries
            else loc_of(root),
            params=params,
            voice=voice,
            voices=voices,
            ambience=ambience,
            tones=tones,
            pattern=pattern,
            lead_s=lead,
            tail_s=tail,
            gap_s=gap,
        )

    def language(self, node: yaml.Node, depth: int) -> str | None:
        word = self.plain_string(node, "'language'", depth)
        if word is not None and not _LANGUAGE_RE.match(word):
            self.problem(
                node, f"'language' must be a language code such as en, de or en-us, not '{word}'"
            )
            return None
        return word

    def named(
        self, node: yaml.Node, what: str, depth: int, read: Callable[[yaml.Node, str], T | None]
    ) -> dict[str, T] | None:
        """A mapping from author-chosen names (params, voices) to values read by ``read``."""
        self.visit(node, depth)
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"'{what}s' must be a mapping of names, not {_describe(node)}")
            return None
        found: dict[str, T] = {}
        for key, value in self._pairs(node, depth):
            self.visit(key, depth + 1)
            if not isinstance(key, yaml.ScalarNode) or not _NAME_RE.match(key.value):
                self.problem(
                    key,
                    f"a {what} name is a word of letters, digits, '_' or '-' (e.g. a, partner_1)",
                )
                continue
            if key.value in found:
                self.problem(key, f"{what} '{key.value}' is given twice")
                continue
            item = read(value, f"{what} '{key.value}'")
            if item is not None:
                found[key.value] = item
        return found

    def voice(self, node: yaml.Node, what: str, depth: int) -> Voice | None:
        entries = self.mapping(node, what, VOICE_KEYS, depth)
        if entries is None:
            return None
        d = depth + 1
        return Voice(
            loc=loc_of(node),
            engine=self.get(
                entries,
                "engine",
                lambda n: self.choice(n, f"{what} 'engine'", d, ENGINE_NAMES),
                None,
            ),
            name=self.get(
                entries, "name", lambda n: self.plain_string(n, f"{what} 'name'", d), None
            ),
            rate_wpm=self.get(
                entries, "rate", lambda n: self.integer(n, f"{what} 'rate'", d, 80, 300), None
            ),
            pitch=self.get(
                entries, "pitch", lambda n: self.integer(n, f"{what} 'pitch'", d, 0, 100), None
            ),
            volume=self.get(
                entries,
                "volume",
                lambda n: _as_float(self.number(n, f"{what} 'volume'", d, 0, 1)),
                None,
            ),
        )

    def ambience(self, node: yaml.Node, depth: int) -> Ambience | None:
        if isinstance(node, yaml.ScalarNode):
            sound = self.plain_string(node, "'ambience'", depth)
            if not sound:
                return None
            return Ambience(sound=sound, loc=loc_of(node), sound_loc=loc_of(node))
        entries = self.mapping(
            node, "'ambience'", ("sound", "level", "duck", "fade"), depth, required=("sound",)
        )
        if entries is None or "sound" not in entries:
            return None
        d = depth + 1
        sound = self.plain_string(entries["sound"].value, "ambience 'sound'", d)
        if sound is None:
            return None
        return Ambience(
            sound=sound,
            loc=loc_of(node),
            sound_loc=loc_of(entries["sound"].value),
            level_db=self.get(
                entries, "level", lambda n: self.level(n, "ambience 'level'", d, -60, 0), -20.0
            ),
            duck_db=self.get(
                entries,
                "duck",
                lambda n: _as_float(self.number(n, "ambience 'duck'", d, 0, 40, unit="dB")),
                6.0,
            ),
            fade_s=self.get(
                entries,
                "fade",
                lambda n: self.number(n, "ambience 'fade'", d, 0, 600, unit="s"),
                None,
            ),
        )

    def tones(self, node: yaml.Node, depth: int) -> Tones | None:
        if isinstance(node, yaml.ScalarNode):
            style = self.choice(node, "'tones'", depth, TONE_STYLES)
            return Tones(style=_tone(style), loc=loc_of(node)) if style else None
        entries = self.mapping(node, "'tones'", ("style", "level", "pitch"), depth)
        if entries is None:
            return None
        d = depth + 1
        return Tones(
            style=_tone(
                self.get(
                    entries,
                    "style",
                    lambda n: self.choice(n, "tones 'style'", d, TONE_STYLES),
                    "glide",
                )
            ),
            loc=loc_of(node),
            level_db=self.get(
                entries, "level", lambda n: self.level(n, "tones 'level'", d, -60, 12), -12.0
            ),
            pitch_hz=self.get(
                entries,
                "pitch",
                lambda n: _as_float(self.number(n, "tones 'pitch'", d, 40, 2000, unit="Hz")),
                196.0,
            ),
        )

    def pattern(self, node: yaml.Node, what: str, depth: int) -> Pattern | None:
        self.visit(node, depth)
        if isinstance(node, yaml.ScalarNode):
            return self._pattern_text(node, what)
        entries = self.mapping(node, what, PHASES, depth, required=("inhale", "exhale"))
        if entries is None:
            return None
        d = depth + 1
        phases: dict[str, Fraction | None] = {}
        for phase in PHASES:
            if phase in entries:
                low = Fraction(1, 2) if phase in ("inhale", "exhale") else 0
                phases[phase] = self.number(
                    entries[phase].value, f"'{phase}' in {what}", d, low, 60, unit="s"
                )
            else:
                phases[phase] = None if phase in ("inhale", "exhale") else Fraction(0)
        inhale, hold, exhale, rest = (phases[p] for p in PHASES)
        if inhale is None or hold is None or exhale is None or rest is None:
            return None
        return Pattern(inhale, hold, exhale, rest, loc_of(node))

    def _pattern_text(self, node: yaml.ScalarNode, what: str) -> Pattern | None:
        if node.tag != STR_TAG:
            self.problem(node, f"{what} '{node.value}' is not a pattern: {PATTERN_SHAPE}")
            return None
        try:
            return parse_pattern_text(node.value, loc_of(node))
        except ValueError as error:
            self.problem(node, f"{what} '{node.value}': {error}")
            return None

    # -- steps -----------------------------------------------------------

    def steps(self, node: yaml.Node, parent: str, depth: int) -> tuple[Step, ...]:
        self.visit(node, depth)
        where = "'steps'" if not parent else f"the 'steps' of step {parent}"
        if not isinstance(node, yaml.SequenceNode):
            self.problem(
                node,
                f"{where} must be a list of steps (lines starting with '- '), "
                f"not {_describe(node)}",
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
                f"'pause: 3', not {_describe(node)}",
            )
            return None
        pairs = self._pairs(node, depth)
        kinds = [k for k, _ in pairs if isinstance(k, yaml.ScalarNode) and k.value in STEP_KINDS]
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
        kind = kind_key.value
        value = next(v for k, v in pairs if k is kind_key)
        siblings = [(k, v) for k, v in pairs if k is not kind_key]
        entries, shorthand = self.step_entries(kind, value, siblings, path, depth)
        if entries is None:
            return None
        loc = loc_of(kind_key)
        reader = getattr(self, f"_{kind}")
        result: Step | None = reader(path, loc, entries, shorthand, depth + 1)
        return result

    def step_entries(
        self,
        kind: str,
        value: yaml.Node,
        siblings: list[tuple[yaml.Node, yaml.Node]],
        path: str,
        depth: int,
    ) -> tuple[dict[str, _Entry] | None, yaml.Node | None]:
        """The step's own keys, from ``kind: {…}`` and from keys beside ``kind:``.

        Keys beside the step key (``- say: Hello`` then ``after: 2``) are accepted
        as a convenience; a key given in both places is an error.
        """
        what = f"step {path} ({kind})"
        allowed = STEP_KEYS[kind]
        entries: dict[str, _Entry] = {}
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
                self.problem(key, f"a key in {what} must be a word, not {_describe(key)}")
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
            entries[word] = _Entry(key, val)
        return (entries if ok else None), shorthand

    def _say(
        self,
        path: str,
        loc: Loc,
        entries: dict[str, _Entry],
        shorthand: yaml.Node | None,
        depth: int,
    ) -> Say | None:
        what = f"step {path} (say)"
        text_node = (
            shorthand
            if shorthand is not None
            else (entries["text"].value if "text" in entries else None)
        )
        if shorthand is not None and "text" in entries:
            self.problem(entries["text"].key, f"{what} gives its text twice")
            return None
        if text_node is None:
            self.problem(loc, f"{what} needs some text: 'say: Hello'")
            return None
        text = self.text(text_node, f"the text of {what}", depth)
        after = self.get(
            entries,
            "after",
            lambda n: self.number(n, f"'after' in {what}", depth, 0, 3600, unit="s"),
            None,
        )
        voice: Voice | VoiceRef | None = None
        if "voice" in entries:
            node = entries["voice"].value
            if isinstance(node, yaml.ScalarNode):
                name = self.plain_string(node, f"'voice' in {what}", depth)
                voice = VoiceRef(name, loc_of(node)) if name else None
            else:
                voice = self.voice(node, f"the voice of {what}", depth)
        if text is None:
            return None
        return Say(path=path, loc=loc, text=text, after_s=after, voice=voice)

    def _pause(
        self,
        path: str,
        loc: Loc,
        entries: dict[str, _Entry],
        shorthand: yaml.Node | None,
        depth: int,
    ) -> Pause | None:
        node = (
            shorthand
            if shorthand is not None
            else (entries["seconds"].value if "seconds" in entries else None)
        )
        if node is None:
            self.problem(loc, f"step {path} (pause) needs its seconds: 'pause: 3'")
            return None
        seconds = self.number(
            node, f"the pause of step {path}", depth, 0, 3600, low_open=True, unit="s"
        )
        return Pause(path=path, loc=loc, seconds=seconds) if seconds is not None else None

    def _section(
        self,
        path: str,
        loc: Loc,
        entries: dict[str, _Entry],
        shorthand: yaml.Node | None,
        depth: int,
    ) -> Section | None:
        node = (
            shorthand
            if shorthand is not None
            else (entries["title"].value if "title" in entries else None)
        )
        if node is None:
            self.problem(loc, f"step {path} (section) needs a title: 'section: Arriving'")
            return None
        title = self.plain_string(node, f"the title of section {path}", depth)
        return Section(path=path, loc=loc, title=title.strip()) if title else None

    def _bell(
        self,
        path: str,
        loc: Loc,
        entries: dict[str, _Entry],
        shorthand: yaml.Node | None,
        depth: int,
    ) -> Bell | None:
        what = f"step {path} (bell)"
        strikes_node = (
            shorthand
            if shorthand is not None
            else (entries["strikes"].value if "strikes" in entries else None)
        )
        strikes = 1
        if strikes_node is not None:
            value = self.integer(strikes_node, f"the strikes of {what}", depth, 1, 20)
            if value is None:
                return None
            strikes = value
        every = self.get(
            entries,
            "every",
            lambda n: self.number(n, f"'every' in {what}", depth, 0, 600, low_open=True, unit="s"),
            Fraction(5),
        )
        ring = self.get(
            entries,
            "ring",
            lambda n: self.number(n, f"'ring' in {what}", depth, Fraction(1, 2), 60, unit="s"),
            Fraction(5),
        )
        return Bell(path=path, loc=loc, strikes=strikes, every_s=every, ring_s=ring)

    def _count_or_minutes(
        self, entries: dict[str, _Entry], what: str, count_key: str, high: int, loc: Loc, depth: int
    ) -> tuple[int | None, Fraction | None]:
        count = self.get(
            entries,
            count_key,
            lambda n: self.integer(n, f"'{count_key}' in {what}", depth, 1, high),
            None,
        )
        minutes = self.get(
            entries,
            "minutes",
            lambda n: self.number(n, f"'minutes' in {what}", depth, 0, 240, low_open=True),
            None,
        )
        if count_key in entries and "minutes" in entries:
            self.problem(
                entries["minutes"].key, f"{what} gives both '{count_key}' and 'minutes'; keep one"
            )
            return None, None
        if count_key not in entries and "minutes" not in entries:
            self.problem(loc, f"{what} needs '{count_key}' (or 'minutes')")
        return count, minutes

    def _breathe(
        self,
        path: str,
        loc: Loc,
        entries: dict[str, _Entry],
        shorthand: yaml.Node | None,
        depth: int,
    ) -> Breathe | None:
        what = f"step {path} (breathe)"
        if shorthand is not None:
            self.problem(shorthand, f"{what} takes keys, e.g. 'breathe: {{cycles: 6}}'")
            return None
        cycles, minutes = self._count_or_minutes(entries, what, "cycles", 1000, loc, depth)
        pattern = self.get(
            entries, "pattern", lambda n: self.pattern(n, f"'pattern' in {what}", depth), None
        )
        to = self.get(entries, "to", lambda n: self.pattern(n, f"'to' in {what}", depth), None)
        if "to" in entries and "minutes" in entries:
            self.problem(
                entries["to"].key,
                f"{what} cannot use 'to' with 'minutes'; give "
                "'cycles' so the change has a known number of steps",
            )
            return None
        cues = self.breath_cues(entries.get("cues"), what, depth)
        count = self.get(
            entries, "count", lambda n: self.boolean(n, f"'count' in {what}", depth), False
        )
        guide = self.get(
            entries, "guide", lambda n: self.integer(n, f"'guide' in {what}", depth, 0, 1000), None
        )
        tone = self.get(
            entries, "tone", lambda n: self.choice(n, f"'tone' in {what}", depth, TONE_STYLES), None
        )
        if (cycles is None and minutes is None) or cues is None:
            return None
        return Breathe(
            path=path,
            loc=loc,
            cycles=cycles,
            minutes=minutes,
            pattern=pattern,
            to=to,
            cues=cues,
            count=count,
            guide=guide,
            tone=_tone(tone) if tone else None,
        )

    def breath_cues(self, entry: _Entry | None, what: str, depth: int) -> BreathCues | None:
        words: dict[str, Text | None] = {
            phase: Text(DEFAULT_BREATH_CUES[phase], Loc(0, 0))
            if phase in DEFAULT_BREATH_CUES
            else None
            for phase in PHASES
        }
        if entry is not None:
            given = self.cue_words(entry, what, PHASES, depth)
            if given is None:
                return None
            words.update(given)
        return BreathCues(words["inhale"], words["hold"], words["exhale"], words["rest"])

    def cue_words(
        self, entry: _Entry, what: str, phases: Sequence[str], depth: int
    ) -> dict[str, Text | None] | None:
        cues = self.mapping(entry.value, f"'cues' in {what}", phases, depth)
        if cues is None:
            return None
        words: dict[str, Text | None] = {}
        for phase, cue in cues.items():
            words[phase] = self.text(
                cue.value, f"the {phase} cue of {what}", depth + 1, allow_empty=True
            )
        return words

    def _rock(
        self,
        path: str,
        loc: Loc,
        entries: dict[str, _Entry],
        shorthand: yaml.Node | None,
        depth: int,
    ) -> Rock | None:
        what = f"step {path} (rock)"
        if shorthand is not None:
            self.problem(shorthand, f"{what} takes keys, e.g. 'rock: {{period: 4, cycles: 8}}'")
            return None
        period = self.get(
            entries,
            "period",
            lambda n: self.number(n, f"'period' in {what}", depth, 1, 30, unit="s"),
            Fraction(4),
        )
        cycles, minutes = self._count_or_minutes(entries, what, "cycles", 1000, loc, depth)
        words: dict[str, Text | None] = {
            side: Text(word, Loc(0, 0)) for side, word in DEFAULT_ROCK_CUES.items()
        }
        if "cues" in entries:
            given = self.cue_words(entries["cues"], what, ("left", "right"), depth)
            if given is None:
                return None
            words.update(given)
        guide = self.get(
            entries, "guide", lambda n: self.integer(n, f"'guide' in {what}", depth, 0, 1000), 2
        )
        pan = self.get(
            entries,
            "pan",
            lambda n: _as_float(self.number(n, f"'pan' in {what}", depth, 0, 1)),
            0.6,
        )
        if minutes is not None:
            cycles = max(1, round_half_up(minutes * 60 / period))
        if cycles is None:
            return None
        return Rock(
            path=path,
            loc=loc,
            period_s=period,
            cycles=cycles,
            left=words["left"],
            right=words["right"],
            guide=guide,
            pan=pan,
        )

    def _walk(
        self,
        path: str,
        loc: Loc,
        entries: dict[str, _Entry],
        shorthand: yaml.Node | None,
        depth: int,
    ) -> Walk | None:
        what = f"step {path} (walk)"
        if shorthand is not None:
            self.problem(shorthand, f"{what} takes keys, e.g. 'walk: {{pace: 90, steps: 120}}'")
            return None
        pace = self.get(
            entries,
            "pace",
            lambda n: self.number(n, f"'pace' in {what}", depth, 30, 180, unit="steps a minute"),
            Fraction(90),
        )
        steps, minutes = self._count_or_minutes(entries, what, "steps", 50_000, loc, depth)
        accent = self.get(
            entries, "accent", lambda n: self.integer(n, f"'accent' in {what}", depth, 1, 64), 4
        )
        pan = self.get(
            entries,
            "pan",
            lambda n: _as_float(self.number(n, f"'pan' in {what}", depth, 0, 1)),
            0.4,
        )
        if minutes is not None:
            steps = max(1, round_half_up(minutes * pace))
        if steps is None:
            return None
        return Walk(path=path, loc=loc, pace_spm=pace, steps=steps, accent=accent, pan=pan)

    def _repeat(
        self,
        path: str,
        loc: Loc,
        entries: dict[str, _Entry],
        shorthand: yaml.Node | None,
        depth: int,
    ) -> Repeat | None:
        what = f"step {path} (repeat)"
        if shorthand is not None:
            self.problem(
                shorthand,
                f"{what} takes 'times' and 'steps', e.g. 'repeat: {{times: 3, steps: [...]}}'",
            )
            return None
        for required in ("times", "steps"):
            if required not in entries:
                self.problem(loc, f"{what} needs '{required}'")
        times = self.get(
            entries, "times", lambda n: self.integer(n, f"'times' in {what}", depth, 1, 1000), None
        )
        steps = self.steps(entries["steps"].value, path, depth) if "steps" in entries else ()
        if times is None or not steps:
            return None
        return Repeat(path=path, loc=loc, times=times, steps=steps)


def _tone(style: str | None) -> ToneStyle:
    return {"glide": "glide", "chime": "chime", "none": "none"}[style or "glide"]  # type: ignore[return-value]


def _as_float(value: Fraction | None) -> float | None:
    return float(value) if value is not None else None


def _number_value(scalar: yaml.ScalarNode) -> Fraction | None:
    """The exact value of a numeric scalar, or None when it is not a finite number.

    Plain decimals are read as decimals whatever YAML 1.1 says (``010`` is ten,
    not eight; ``1e3`` is a thousand, not text); other YAML numbers (hex,
    sexagesimal) go through PyYAML's constructor.
    """
    text = scalar.value.strip().replace("_", "")
    plain = scalar.style is None
    if (plain or scalar.tag in (INT_TAG, FLOAT_TAG)) and (match := _NUMBER_RE.match(text)):
        digits = len(match.group("int") or "") + len(match.group("frac") or "")
        if digits == 0:
            return None
        exponent = int(match.group("exp") or 0) if len(match.group("exp") or "") < 8 else 10**6
        if digits > 40 or exponent > 40:
            return Fraction(-(10**42) if text.startswith("-") else 10**42)
        if exponent < -40:
            return Fraction(0)
        return Fraction(text)
    loader = yaml.SafeLoader("")
    try:
        if scalar.tag == INT_TAG:
            return Fraction(loader.construct_yaml_int(scalar))
        if scalar.tag == FLOAT_TAG:
            value = loader.construct_yaml_float(scalar)
            if value != value or value in (float("inf"), float("-inf")):
                return None
            return Fraction(value)
    except (ValueError, TypeError, OverflowError):
        return None
    return None


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.ScalarNode):
        if node.tag == NULL_TAG:
            return "nothing"
        value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        return f"'{value}'"
    return "this"


def _fmt(value: Fraction | int) -> str:
    number = Fraction(value)
    if number.denominator == 1:
        return str(number.numerator)
    return f"{float(number):g}"


def _unit_phrase(unit: str) -> str:
    return f" {unit}" if unit and unit != "s" else (" seconds" if unit == "s" else "")
