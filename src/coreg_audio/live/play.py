"""Live playback of a whole practice: prepare it, then play it with keys and a screen.

Everything before the first sound (the device, the speech, the master gain)
happens in ``prepare``; ``play`` runs the ``Player`` until the end, reading
keys and updating the view.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from ..audio.master import Mastering, master_gain_db
from ..audio.mix import Mixer
from ..format.model import Script
from ..practice import DEFAULT_SEED, Progress, build_timeline, check_ambience
from ..speech import Speaker
from ..timeline.events import Timeline
from .devices import StreamFactory, choose_device, output_devices, sounddevice_stream
from .keys import Command, Keys
from .navigation import next_section_start, step_start
from .player import Player

REFRESH_S = 0.05
"""How often keys are read and the screen redrawn."""
STOP_WAIT_S = 2.0
"""After Ctrl-C, how long the quitting fade may take before the stream is cut."""


@dataclass(frozen=True)
class PlayOptions:
    seed: int = DEFAULT_SEED
    device: str | None = None
    """A device index or (part of) its name, as ``coreg-audio devices`` lists them."""


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

    def update(self, position_samples: int, paused: bool) -> None: ...

    def close(self) -> None: ...


ViewFactory = Callable[[Timeline], AbstractContextManager[View]]


@dataclass(frozen=True)
class Session:
    """A practice ready to play: every clip in memory, the master gain known."""

    timeline: Timeline
    mixer: Mixer
    gain_db: float
    ceiling_dbtp: float
    open_stream: StreamFactory


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
    render or play of the same mix measured them.
    """
    options = options or PlayOptions()
    if open_stream is None:
        open_stream = sounddevice_stream(choose_device(options.device, output_devices()))
    check_ambience(script)
    with Speaker() as voice:
        timeline = build_timeline(script, voice, progress)
    mixer = Mixer(timeline, voice, options.seed)
    mastering = Mastering()
    gain_db = master_gain_db(mixer, mastering, progress)
    return Session(timeline, mixer, gain_db, mastering.ceiling_dbtp, open_stream)


def play(session: Session, *, view: ViewFactory, keys: KeySource | None = None) -> PlayResult:
    """Play from the first sample to the last, reading keys and updating ``view``.

    On Ctrl-C the sound fades out, then ``KeyboardInterrupt`` is raised again.
    """
    key_context: AbstractContextManager[KeySource] = Keys() if keys is None else nullcontext(keys)
    player = Player(session.mixer, session.gain_db, session.ceiling_dbtp)
    player.start_producing()
    with (
        key_context as key_source,
        view(session.timeline) as shown,
        player.streaming(session.open_stream),
    ):
        quit_requested = _run(player, session.timeline, key_source, shown)
    return PlayResult(session.timeline, quit_requested, player.underruns)


def _run(player: Player, timeline: Timeline, keys: KeySource, shown: View) -> bool:
    """The main loop: keys in, screen out, until the end; returns True when quit with ``q``."""
    quit_requested = False
    try:
        while not player.finished:
            commands = keys.read(REFRESH_S) if keys.active else _sleep(REFRESH_S)
            for command in commands:
                quit_requested |= _act(player, timeline, command)
            shown.update(player.position_samples, player.paused)
    except KeyboardInterrupt:
        player.stop()
        deadline = time.monotonic() + STOP_WAIT_S
        while not player.finished and time.monotonic() < deadline:
            time.sleep(0.01)
        raise
    player.wait_heard()
    shown.update(player.position_samples, player.paused)
    return quit_requested


def _act(player: Player, timeline: Timeline, command: Command) -> bool:
    if command == "pause":
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


__all__ = ["KeySource", "PlayOptions", "PlayResult", "Session", "View", "play", "prepare"]
