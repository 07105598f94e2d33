"""Live playback of a whole practice: prepare it, then play it with keys and a screen.

Everything before the first sound (the device, the speech, the master gain)
happens in ``prepare``; ``play`` runs the ``Player`` until the end, reading
keys and updating the view. Where partners tap (``PlayOptions.tapping``), the
space bar taps at a tap step (``Tapping``); each new result is timed in the
background (``Retimer``) and spliced into the sound as it plays.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from ..audio.master import Mastering, master_gain_db
from ..audio.mix import DUCK_ATTACK_MS, Mixer
from ..format.model import Script
from ..practice import DEFAULT_SEED, ClipLengths, Progress, build_timeline, check_ambience
from ..speech import Speaker
from ..timeline.compile import compile_timeline
from ..timeline.events import Timeline
from ..timeline.placer import TapResult
from ..units import ms_to_samples
from .devices import StreamFactory, choose_device, output_devices, sounddevice_stream
from .keys import Command, Keys
from .navigation import next_section_start, step_start
from .player import Player
from .tapping import Tapping, TapShown

REFRESH_S = 0.05
"""How often keys are read and the screen redrawn."""
STOP_WAIT_S = 2.0
"""After Ctrl-C, how long the quitting fade may take before the stream is cut."""


AGREE_MARGIN_MS = 1000.0
"""Before the first event two timings differ, how far back their mixes may already differ
(the ambience ducks ahead of words)."""


@dataclass(frozen=True)
class PlayOptions:
    seed: int = DEFAULT_SEED
    device: str | None = None
    """A device index or (part of) its name, as ``coreg-audio devices`` lists them."""
    tapping: bool = False
    """Partners tap their pace at tap steps (keys on a terminal); else nobody taps."""


@dataclass(frozen=True)
class PlayResult:
    timeline: Timeline
    quit: bool
    """Ended by ``q`` rather than by reaching the end."""
    underruns: list[int]
    """Track samples where the stream needed samples that were not ready (heard as a gap)."""


class KeySource(Protocol):
    @property
    def active(self) -> bool: ...

    def read(self, timeout_s: float) -> list[Command]: ...


class View(Protocol):
    """What shows the practice while it plays (screen.py has a terminal and a plain one)."""

    def update(self, position_samples: int, paused: bool, tap: TapShown | None = None) -> None: ...

    def retime(self, timeline: Timeline) -> None:
        """Follow the practice timed again (a tap step met a pace)."""

    def close(self) -> None: ...


ViewFactory = Callable[[Timeline], AbstractContextManager[View]]


@dataclass(frozen=True)
class Session:
    """A practice ready to play: every clip in memory, the master gain known.

    ``script`` and ``voice`` are kept where partners tap, to time it again.
    """

    timeline: Timeline
    mixer: Mixer
    gain_db: float
    ceiling_dbtp: float
    open_stream: StreamFactory
    script: Script | None = None
    voice: Speaker | None = None
    seed: int = DEFAULT_SEED

    @property
    def tapping(self) -> bool:
        return self.script is not None and bool(self.timeline.tap_events())


def prepare(
    script: Script,
    options: PlayOptions | None = None,
    *,
    open_stream: StreamFactory | None = None,
    progress: Progress | None = None,
) -> Session:
    """Everything before the first sound: the device, the speech, the master gain.

    The device is checked first, so a machine without one hears so at once.
    The gain is a WAV render's (``Mastering()``), from the mix's levels as any
    render or play of the same mix measured them; where partners tap, on the
    timeline that assumes nobody does, and kept for the whole play however the
    practice is timed again.
    """
    options = options or PlayOptions()
    if open_stream is None:
        open_stream = sounddevice_stream(choose_device(options.device, output_devices()))
    check_ambience(script)
    with Speaker() as voice:
        timeline = build_timeline(script, voice, progress, live=options.tapping)
    mixer = Mixer(timeline, voice, options.seed)
    mastering = Mastering()
    gain_db = master_gain_db(mixer, mastering, progress)
    kept = script if options.tapping else None
    return Session(
        timeline,
        mixer,
        gain_db,
        mastering.ceiling_dbtp,
        open_stream,
        kept,
        voice if kept is not None else None,
        options.seed,
    )


class Retimer:
    """Times the practice again with tap results, in the background, the newest first.

    Compiling speaks any words a new pace needs that are not cached yet, so it
    runs beside the screen and the keys; only the newest results are timed.
    """

    def __init__(self, script: Script, voice: Speaker, seed: int) -> None:
        self._script = script
        self._voice = voice
        self._seed = seed
        self._lock = threading.Lock()
        self._asked = threading.Event()
        self._closing = False
        self._wanted: dict[int, TapResult] | None = None
        self._ready: tuple[Timeline, Mixer] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="coreg-audio timing", daemon=True)
        self._thread.start()

    def ask(self, results: dict[int, TapResult]) -> None:
        with self._lock:
            self._wanted = dict(results)
        self._asked.set()

    def take(self) -> tuple[Timeline, Mixer] | None:
        """The newest practice timed since the last call, if any."""
        with self._lock:
            ready, self._ready = self._ready, None
            error = self._error
        if error is not None:
            raise error
        return ready

    def wait(self, timeout_s: float) -> tuple[Timeline, Mixer] | None:
        """``take``, waiting up to ``timeout_s`` for a timing asked for."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ready = self.take()
            if ready is not None:
                return ready
            time.sleep(0.005)
        return None

    def close(self) -> None:
        self._closing = True
        self._asked.set()
        self._thread.join(timeout=5.0)

    def _work(self) -> None:
        while True:
            self._asked.wait()
            with self._lock:
                self._asked.clear()
                wanted, self._wanted = self._wanted, None
            if self._closing:
                return
            if wanted is None:
                continue
            try:
                timeline = compile_timeline(
                    self._script, ClipLengths(self._voice), wanted, live=True, strict=False
                )
                mixer = Mixer(timeline, self._voice, self._seed)
            except BaseException as error:  # raised in the main thread by take()
                with self._lock:
                    self._error = error
                return
            with self._lock:
                self._ready = (timeline, mixer)


def agree_until(old: Timeline, new: Timeline) -> int:
    """The track sample up to which two timings of one practice sound the same."""
    first = min(old.duration_samples, new.duration_samples)
    if old.ambience is not None:
        first -= old.ambience.fade_out_samples
    heard_before = [event for event in old.events if event.sounds]
    heard_after = [event for event in new.events if event.sounds]
    for before, after in zip(heard_before, heard_after, strict=False):
        if before != after:
            first = min(first, before.start_samples, after.start_samples)
            break
    else:
        shorter = min(len(heard_before), len(heard_after))
        longer = heard_before if len(heard_before) > shorter else heard_after
        if len(longer) > shorter:
            first = min(first, longer[shorter].start_samples)
    return max(0, first - ms_to_samples(max(AGREE_MARGIN_MS, DUCK_ATTACK_MS)))


def play(session: Session, *, view: ViewFactory, keys: KeySource | None = None) -> PlayResult:
    """Play from the first sample to the last, reading keys and updating ``view``.

    On Ctrl-C the sound fades out, then ``KeyboardInterrupt`` is raised again.
    """
    key_context: AbstractContextManager[KeySource] = Keys() if keys is None else nullcontext(keys)
    player = Player(session.mixer, session.gain_db, session.ceiling_dbtp)
    player.start_producing()
    retimer = (
        Retimer(session.script, session.voice, session.seed)
        if session.tapping and session.script is not None and session.voice is not None
        else None
    )
    try:
        with (
            key_context as key_source,
            view(session.timeline) as shown,
            player.streaming(session.open_stream),
        ):
            run = _Run(player, session.timeline, key_source, shown, retimer)
            quit_requested = run.until_the_end()
    finally:
        if retimer is not None:
            retimer.close()
    return PlayResult(run.timeline, quit_requested, player.underruns)


@dataclass
class _Run:
    """The main loop's state: the timing being played and, where partners tap, their taps."""

    player: Player
    timeline: Timeline
    keys: KeySource
    shown: View
    retimer: Retimer | None
    tapping: Tapping | None = None
    asked: int = 0

    def __post_init__(self) -> None:
        if self.retimer is not None:
            self.tapping = Tapping()

    def until_the_end(self) -> bool:
        """Keys in, screen out, until the end; True when quit with ``q``."""
        quit_requested = False
        player = self.player
        try:
            while not player.finished:
                commands = self.keys.read(REFRESH_S) if self.keys.active else _sleep(REFRESH_S)
                position = player.heard_at(time.monotonic())
                self._follow_taps(position)
                for command in commands:
                    if command == "space" and self._tap(position):
                        continue
                    quit_requested |= _act(player, self.timeline, command)
                self._retime()
                position = player.heard_at(time.monotonic())
                shown = self.tapping.shown(position) if self.tapping is not None else None
                self.shown.update(position, player.paused, shown)
        except KeyboardInterrupt:
            player.stop()
            deadline = time.monotonic() + STOP_WAIT_S
            while not player.finished and time.monotonic() < deadline:
                time.sleep(0.01)
            raise
        player.wait_heard()
        self.shown.update(player.position_samples, player.paused)
        return quit_requested

    def _follow_taps(self, position: int) -> None:
        if self.tapping is not None and not self.player.paused:
            self.tapping.follow(self.timeline, position)

    def _tap(self, position: int) -> bool:
        """Space at a tap step taps (a click is heard); elsewhere it pauses."""
        if self.tapping is None or self.player.paused or not self.tapping.tap(position):
            return False
        self.player.click()
        return True

    def _retime(self) -> None:
        """Ask for the practice timed with new tap results; splice in a timing that is ready."""
        if self.tapping is None or self.retimer is None:
            return
        if self.tapping.version != self.asked:
            self.asked = self.tapping.version
            self.retimer.ask(self.tapping.results)
        ready = self.retimer.take()
        if ready is None:
            return
        timeline, mixer = ready
        self.player.splice(mixer, agree_until(self.timeline, timeline))
        self.timeline = timeline
        self.shown.retime(timeline)


def _act(player: Player, timeline: Timeline, command: Command) -> bool:
    if command in ("pause", "space"):
        player.toggle_pause()
    elif command == "restart":
        player.jump(step_start(timeline, player.position_samples))
    elif command == "next":
        target = next_section_start(timeline, player.position_samples)
        player.jump(target if target is not None else timeline.duration_samples)
    elif command == "quit":
        player.stop()
        return True
    return False


def _sleep(seconds: float) -> list[Command]:
    time.sleep(seconds)
    return []


__all__ = [
    "KeySource",
    "PlayOptions",
    "PlayResult",
    "Retimer",
    "Session",
    "View",
    "agree_until",
    "play",
    "prepare",
]
