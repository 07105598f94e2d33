"""Live playback: the rendered track, streamed to the sound card as it is made.

A producer thread mixes and masters ahead, exactly as ``render`` does, into a
bounded queue; the audio callback only copies from it, shaping the fades that
pausing, jumping and quitting need. The stream's own count of samples is the
only clock: the screen reads the track position from it, so what is shown
cannot drift from what is heard, however long the practice.

``sounddevice`` is imported only here and only when playing or listing
devices: without PortAudio it fails at import, and every other command must
still work.
"""

from __future__ import annotations

import bisect
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, Protocol

import numpy as np

from ..audio.limiter import TruePeakLimiter
from ..audio.master import Mastering, master_gain_db
from ..audio.mix import Mixer
from ..audio.sounds import ease
from ..errors import MissingComponent, UsageError
from ..format.model import Script
from ..practice import DEFAULT_SEED, Progress, build_timeline
from ..speech import Speaker
from ..timeline.events import CycleEvent, Event, SectionEvent, SpeechEvent, Timeline
from ..units import CHANNELS, SAMPLE_RATE_HZ, db_to_gain, ms_to_samples
from .keys import Command, Keys

PAUSE_FADE_MS = 250.0
JUMP_FADE_MS = 120.0
END_FADE_MS = 600.0
"""Fades long enough to never click, short enough to feel immediate."""
CHUNK_SAMPLES = 16384
"""The producer's mixing unit: one limiter frame, 0.37 s."""
AHEAD_CHUNKS = 4
"""Chunks mixed ahead of the stream (about 1.5 s): room for a busy moment, not a long wait."""
START_CHUNKS = 2
"""Chunks mixed before the stream starts: the producer then keeps far ahead of real time."""
REFRESH_S = 0.05
"""How often keys are read and the screen redrawn."""
OUTPUT_LATENCY_S = 0.3
"""The sound card's buffer: room for the callback to be late on a busy machine.

With PortAudio's "high" default (35 ms through ALSA to PulseAudio) a two-core
machine loaded by other work underran a few times a minute, and at 0.2 s now
and then; the screen subtracts this latency, and keys still act within 0.3 s.
"""
STOP_WAIT_S = 2.0
"""After Ctrl-C, how long the quitting fade may take before the stream is cut."""

NO_PORTAUDIO = (
    "cannot play: the PortAudio library is missing; install libportaudio2 "
    "(sudo apt-get install libportaudio2), or use 'coreg-audio render' to make a file"
)


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


@dataclass(frozen=True)
class OutputDevice:
    index: int
    name: str
    channels: int
    host_api: str
    default: bool


class OutputStream(Protocol):
    """What the player needs of a sound stream (sounddevice's OutputStream has it)."""

    latency: Any

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


Callback = Callable[[np.ndarray, int, Any, Any], None]
StreamFactory = Callable[[Callback], OutputStream]


class KeySource(Protocol):
    @property
    def active(self) -> bool: ...

    def read(self, timeout_s: float) -> list[Command]: ...


class View(Protocol):
    """What shows the practice while it plays (screen.py has a terminal and a plain one)."""

    def update(self, position_samples: int, paused: bool) -> None: ...

    def close(self) -> None: ...


# --- the sound library, imported on demand ---------------------------------------------------


def sounddevice_module() -> ModuleType:
    """sounddevice, or MissingComponent when PortAudio cannot be loaded."""
    try:
        import sounddevice
    except OSError as error:
        raise MissingComponent(NO_PORTAUDIO) from error
    module: ModuleType = sounddevice
    return module


def no_device_error(detail: str) -> MissingComponent:
    return MissingComponent(
        f"cannot play: no sound output device ({detail}); connect one or start the sound "
        "server, or use 'coreg-audio render' to make a file"
    )


def output_devices() -> list[OutputDevice]:
    """Every device that can play sound, as PortAudio sees them now."""
    sd = sounddevice_module()
    try:
        listed = sd.query_devices()
        default_output = int(sd.default.device[1])
        host_apis = [str(api["name"]) for api in sd.query_hostapis()]
    except sd.PortAudioError as error:
        raise no_device_error(str(error)) from error
    devices: list[OutputDevice] = []
    for info in listed:
        channels = int(info["max_output_channels"])
        if channels <= 0:
            continue
        index = int(info["index"])
        devices.append(
            OutputDevice(
                index,
                str(info["name"]),
                channels,
                host_apis[int(info["hostapi"])],
                index == default_output,
            )
        )
    return devices


def choose_device(spec: str | None, devices: Sequence[OutputDevice]) -> int | None:
    """The device index ``spec`` names; None for the system's default.

    A number is an index; anything else matches a name exactly, else as the
    one name that contains it (ignoring case).
    """
    if not devices:
        raise no_device_error("none is listed")
    if spec is None:
        if any(device.default for device in devices):
            return None
        return devices[0].index
    text = spec.strip()
    if text.isdigit():
        chosen = [device for device in devices if device.index == int(text)]
    else:
        chosen = [device for device in devices if device.name.lower() == text.lower()]
        if not chosen:
            chosen = [device for device in devices if text.lower() in device.name.lower()]
    if len(chosen) == 1:
        return chosen[0].index
    listing = "; ".join(f"{device.index} {device.name}" for device in devices)
    why = "matches more than one output device" if chosen else "is not an output device"
    raise UsageError(f"--device {spec!r} {why}; choose one of: {listing}")


def sounddevice_stream(device: int | None) -> StreamFactory:
    """Opens a float32 stereo stream at SAMPLE_RATE_HZ on ``device``."""
    sd = sounddevice_module()

    def open_stream(callback: Callback) -> OutputStream:
        try:
            stream: OutputStream = sd.OutputStream(
                samplerate=SAMPLE_RATE_HZ,
                channels=CHANNELS,
                dtype="float32",
                device=device,
                callback=callback,
                latency=OUTPUT_LATENCY_S,
                prime_output_buffers_using_stream_callback=True,
            )
        except sd.PortAudioError as error:
            raise no_device_error(f"PortAudio: {error}") from error
        return stream

    return open_stream


# --- where the keys jump to --------------------------------------------------------------------


def step_runs(timeline: Timeline) -> list[int]:
    """The start of every step as it plays: each repeat's pass of a step is its own run.

    Events share the path of their step (a repeat's inner steps are dotted
    paths); a new run begins where the path changes, at every spoken ``say``
    (one per pass), and where a step's cycle count starts again.
    """
    starts: list[int] = []
    previous: Event | None = None
    for event in timeline.events:
        if isinstance(event, SectionEvent):
            continue
        new_run = (
            previous is None
            or event.step != previous.step
            or isinstance(event, SpeechEvent)
            or (
                isinstance(event, CycleEvent)
                and isinstance(previous, CycleEvent)
                and event.cycle < previous.cycle
            )
        )
        if new_run:
            starts.append(event.start_samples)
        previous = event
    return starts


def step_start(timeline: Timeline, position_samples: int) -> int:
    """Where the step being heard at ``position_samples`` began (0 before the first)."""
    starts = step_runs(timeline)
    index = bisect.bisect_right(starts, position_samples) - 1
    return starts[index] if index >= 0 else 0


def next_section_start(timeline: Timeline, position_samples: int) -> int | None:
    """The start of the first section after ``position_samples``; None in the last one."""
    for chapter in timeline.chapters:
        if chapter.start_samples > position_samples:
            return chapter.start_samples
    return None


# --- the clock -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    frame: int
    track_samples: int
    advancing: bool


class SampleClock:
    """Which track sample the stream carried at each of its samples.

    The stream's count of samples is the clock; the marks record where that
    count stopped following the track (a pause, a jump, silence at the end).
    Old marks are dropped, so memory stays flat over any length.
    """

    def __init__(self, keep_frames: int = 10 * SAMPLE_RATE_HZ) -> None:
        self._marks: list[_Mark] = [_Mark(0, 0, False)]
        self._keep_frames = keep_frames
        self._lock = threading.Lock()
        self.frames = 0

    def played(self, track_start_samples: int, count: int) -> None:
        """``count`` samples of the track from ``track_start_samples`` went out."""
        with self._lock:
            last = self._marks[-1]
            continuing = (
                last.advancing
                and last.track_samples + self.frames - last.frame == track_start_samples
            )
            if not continuing:
                self._append(_Mark(self.frames, track_start_samples, True))
            self.frames += count

    def held(self, count: int) -> None:
        """``count`` samples of silence went out; the track stood still."""
        with self._lock:
            last = self._marks[-1]
            if last.advancing:
                self._append(_Mark(self.frames, self._track_at(self.frames), False))
            self.frames += count

    def track_at(self, frame: int) -> int:
        with self._lock:
            return self._track_at(frame)

    def _track_at(self, frame: int) -> int:
        index = bisect.bisect_right([mark.frame for mark in self._marks], frame) - 1
        mark = self._marks[max(index, 0)]
        if not mark.advancing or frame < mark.frame:
            return mark.track_samples
        return mark.track_samples + frame - mark.frame

    def _append(self, mark: _Mark) -> None:
        self._marks.append(mark)
        while len(self._marks) > 2 and self._marks[1].frame < mark.frame - self._keep_frames:
            del self._marks[0]


# --- the player ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    generation: int
    track_start_samples: int
    samples: np.ndarray
    last: bool = False


FadeEnd = Literal["pause", "seek", "end"]


class Ramp:
    """The transport's gain: a whole number of steps between silence and full level.

    Counting in samples, a fade of N samples takes exactly N, ending on exact
    silence or exact full level (from there the samples pass untouched).
    """

    def __init__(self) -> None:
        self.steps = 1
        self.position = 1
        self.rising = True

    @property
    def silent(self) -> bool:
        return self.position == 0

    def towards(self, rising: bool, fade_ms: float) -> None:
        """Head for full level (or silence) over ``fade_ms``, from the level now."""
        steps = max(ms_to_samples(fade_ms), 1)
        self.position = round(self.position * steps / self.steps)
        self.steps = steps
        self.rising = rising

    def silence(self) -> None:
        self.position = 0
        self.rising = False

    def advance(self, count: int) -> tuple[int, np.ndarray | None]:
        """How many of ``count`` samples to play at the gains returned (None: all full).

        Fewer than ``count`` when the ramp ends inside them; the caller goes on
        from there.
        """
        if self.rising:
            if self.position == self.steps:
                return count, None
            moved = min(count, self.steps - self.position)
            positions = self.position + np.arange(1, moved + 1)
            self.position += moved
        else:
            moved = min(count, self.position)
            positions = self.position - np.arange(1, moved + 1)
            self.position -= moved
        return moved, ease(positions / self.steps).astype(np.float32)


class Player:
    """The mastered track on a stream, with pause, jumps and a fading stop.

    The main thread calls ``toggle_pause``, ``jump`` and ``stop``; they reach
    the audio callback as commands, so all transport state belongs to the
    callback's thread. A jump restarts the producer (and its limiter) at the
    new place under a new generation number; the callback fades out what it
    was playing, drops the older chunks and fades the new ones in.
    """

    def __init__(
        self,
        mixer: Mixer,
        gain_db: float,
        ceiling_dbtp: float,
        chunk_samples: int = CHUNK_SAMPLES,
        ahead_chunks: int = AHEAD_CHUNKS,
    ) -> None:
        self._mixer = mixer
        self._gain = np.float32(db_to_gain(gain_db))
        self._ceiling_dbtp = ceiling_dbtp
        self._chunk_samples = chunk_samples
        self._queue: queue.Queue[_Chunk] = queue.Queue(maxsize=ahead_chunks)
        self._commands: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
        self._seek_lock = threading.Lock()
        self._seek_request: tuple[int, int] | None = None
        self._closing = threading.Event()
        self._produced_end = threading.Event()
        self._producer: threading.Thread | None = None
        self._producer_error: BaseException | None = None
        self.clock = SampleClock()
        self.latency_frames = 0
        self.underruns: list[int] = []
        # Main thread's view of the jumps it asked for.
        self._requested_generation = 0
        self._jump_target = 0
        self._pause_requested = False
        # Transport state: written by the callback thread only.
        self._accepted_generation = 0
        self._playing_generation = 0
        self._generation_frame = 0
        self._current: _Chunk | None = None
        self._held: _Chunk | None = None
        self._offset = 0
        self._ramp = Ramp()
        self._fade_end: FadeEnd = "pause"
        self._seek_generation = 0
        self._paused = False
        self._seeking = False
        self._short = False
        self._finished_frame: int | None = None

    # main thread ---------------------------------------------------------------------------

    def start_producing(self, start_samples: int = 0) -> None:
        self._jump_target = start_samples
        self._producer = threading.Thread(
            target=self._produce, args=(start_samples,), name="coreg-audio mixer", daemon=True
        )
        self._producer.start()

    def wait_buffered(self, chunks: int | None = None, timeout_s: float = 10.0) -> bool:
        """Wait until the producer has mixed ``chunks`` (default: all it may) ahead, or ended.

        True if any are ready.
        """
        wanted = min(chunks or self._queue.maxsize, self._queue.maxsize)
        deadline = time.monotonic() + timeout_s
        while self._queue.qsize() < wanted and not self._produced_end.is_set():
            if self._producer is None or not self._producer.is_alive():
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.002)
        self._raise_producer_error()
        return self._queue.qsize() > 0

    @contextmanager
    def streaming(self, open_stream: StreamFactory) -> Iterator[Player]:
        """Produce ahead, then run the stream; on the way out stop it after what it holds."""
        if self._producer is None:
            self.start_producing()
        try:
            self.wait_buffered(START_CHUNKS)
            stream = open_stream(self.callback)
            try:
                self.latency_frames = _latency_frames(stream.latency)
                stream.start()
                yield self
            finally:
                if self._finished_frame is not None:
                    self.wait_heard()
                    stream.stop()
                stream.close()
        finally:
            self.close()

    def wait_heard(self) -> None:
        """Keep the stream running until its last sound has left the buffer.

        Stopping drains only PortAudio's own buffer; a sound server may drop
        what it still holds when the stream closes, cutting off a fade.
        """
        if self._finished_frame is None:
            return
        heard_at = self._finished_frame + self.latency_frames * 5 // 4
        deadline = time.monotonic() + self.latency_frames / SAMPLE_RATE_HZ + 1.0
        while self.clock.frames < heard_at and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self._closing.set()
        if self._producer is not None:
            self._producer.join(timeout=5.0)

    @property
    def position_samples(self) -> int:
        """The track sample being heard now, or where a jump just asked for is going."""
        heard_frame = self.clock.frames - self.latency_frames
        if (
            self._playing_generation != self._requested_generation
            or heard_frame < self._generation_frame
        ):
            return self._jump_target
        return self.clock.track_at(max(heard_frame, 0))

    @property
    def paused(self) -> bool:
        """Paused, or fading out to pause (as asked: the screen says so at once)."""
        return self._pause_requested

    @property
    def finished(self) -> bool:
        """True once the last sample (or the end of the quitting fade) went to the stream."""
        self._raise_producer_error()
        return self._finished_frame is not None

    def toggle_pause(self) -> None:
        self._pause_requested = not self._pause_requested
        self._commands.put(("pause", 0))

    def jump(self, to_samples: int) -> None:
        """Continue from ``to_samples`` after a short fade out, fading in there."""
        to_samples = min(max(to_samples, 0), self._mixer.length_samples)
        self._requested_generation += 1
        self._jump_target = to_samples
        self._pause_requested = False
        with self._seek_lock:
            self._seek_request = (self._requested_generation, to_samples)
        self._commands.put(("seek", self._requested_generation))

    def stop(self) -> None:
        """Fade out and finish."""
        self._commands.put(("end", 0))

    # producer thread -----------------------------------------------------------------------

    def _produce(self, start_samples: int) -> None:
        run: tuple[int, int] | None = (0, start_samples)
        try:
            while run is not None:
                run = self._produce_run(*run, self._mixer.length_samples)
        except BaseException as error:  # reported to the main thread by finished/wait_buffered
            self._producer_error = error

    def _produce_run(self, generation: int, position: int, length: int) -> tuple[int, int] | None:
        """Mix from ``position`` to the end; returns the next seek, or None when closing."""
        limiter = TruePeakLimiter(ceiling_dbtp=self._ceiling_dbtp)
        out_position = position
        for block_start in range(position, length, self._chunk_samples):
            block = self._mixer.block(block_start, min(self._chunk_samples, length - block_start))
            limited = limiter.process(block * self._gain)
            if limited.shape[0]:
                if not self._put(_Chunk(generation, out_position, limited)):
                    return self._take_seek()
                out_position += limited.shape[0]
            if self._run_interrupted():
                return self._take_seek()
        if not self._put(_Chunk(generation, out_position, limiter.flush(), last=True)):
            return self._take_seek()
        self._produced_end.set()
        while not self._closing.wait(0.02):
            if self._run_interrupted():
                return self._take_seek()
        return None

    def _put(self, chunk: _Chunk) -> bool:
        """Queue a chunk; False if a seek or closing came first."""
        while True:
            try:
                self._queue.put(chunk, timeout=0.02)
                return True
            except queue.Full:
                if self._run_interrupted():
                    return False

    def _run_interrupted(self) -> bool:
        """A jump was asked for, or the player is closing."""
        return self._seek_request is not None or self._closing.is_set()

    def _take_seek(self) -> tuple[int, int] | None:
        with self._seek_lock:
            request, self._seek_request = self._seek_request, None
        self._produced_end.clear()
        return None if self._closing.is_set() else request

    def _raise_producer_error(self) -> None:
        if self._producer_error is not None:
            raise self._producer_error

    # audio callback thread -----------------------------------------------------------------

    def callback(self, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        """sounddevice's callback: fill ``outdata`` from the queue, never waiting."""
        if status and getattr(status, "output_underflow", False):
            self.underruns.append(self.clock.track_at(self.clock.frames))
        self.fill(outdata)

    def fill(self, out: np.ndarray) -> None:
        """Fill ``out`` with what comes next; every sample given is counted on the clock."""
        self._apply_commands()
        wanted = out.shape[0]
        done = 0
        self._short = False
        while done < wanted:
            if self._finished_frame is not None or self._paused:
                break
            chunk = self._chunk()
            if chunk is None:
                if not self._ramp.rising and self._fade_end == "seek" and not self._seeking:
                    self._faded_out()
                    continue
                if not self._seeking and not self._short:
                    self.underruns.append(self.clock.track_at(self.clock.frames))
                    self._short = True
                break
            if self._seeking:
                self._seeking = False
                self._playing_generation = chunk.generation
                self._generation_frame = self.clock.frames
                self._ramp.silence()
                self._ramp.towards(True, JUMP_FADE_MS)
            take = min(wanted - done, chunk.samples.shape[0] - self._offset)
            piece = chunk.samples[self._offset : self._offset + take]
            take, gain = self._ramp.advance(take)
            if gain is None:
                out[done : done + take] = piece[:take]
            else:
                np.multiply(
                    piece[:take], gain[:, None], out=out[done : done + take], casting="unsafe"
                )
            self.clock.played(chunk.track_start_samples + self._offset, take)
            self._offset += take
            done += take
            if self._offset >= chunk.samples.shape[0]:
                self._current = None
                if chunk.last:
                    self._finished_frame = self.clock.frames
            if self._ramp.silent and not self._ramp.rising:
                self._faded_out()
        if done < wanted:
            out[done:] = 0.0
            self.clock.held(wanted - done)

    def _apply_commands(self) -> None:
        while True:
            try:
                command, value = self._commands.get_nowait()
            except queue.Empty:
                return
            if command == "pause":
                if self._paused or (not self._ramp.rising and self._fade_end == "pause"):
                    self._paused = False
                    self._fade_to(True, PAUSE_FADE_MS, "pause")
                elif self._ramp.rising:
                    self._fade_to(False, PAUSE_FADE_MS, "pause")
            elif command == "seek":
                self._seek_generation = value
                if self._paused or self._ramp.silent:
                    self._paused = False
                    self._faded_out_to("seek")
                else:
                    self._fade_to(False, JUMP_FADE_MS, "seek")
            elif command == "end":
                if self._paused or self._ramp.silent or self._seeking:
                    self._finish_now()
                else:
                    self._fade_to(False, END_FADE_MS, "end")

    def _fade_to(self, rising: bool, fade_ms: float, then: FadeEnd) -> None:
        if not self._ramp.rising and self._fade_end == "end":
            return
        self._ramp.towards(rising, fade_ms)
        if not rising:
            self._fade_end = then

    def _faded_out(self) -> None:
        self._faded_out_to(self._fade_end)

    def _faded_out_to(self, end: FadeEnd) -> None:
        if end == "pause":
            self._paused = True
        elif end == "seek":
            self._accepted_generation = self._seek_generation
            self._current = None
            self._seeking = True
            self._ramp.silence()
            self._fade_end = "seek"
        else:
            self._finish_now()

    def _finish_now(self) -> None:
        self._ramp.silence()
        self._fade_end = "end"
        self._finished_frame = self.clock.frames

    def _chunk(self) -> _Chunk | None:
        """The chunk being played, else the next one of the accepted generation.

        Older generations are dropped; a newer one (the producer can start a
        jump before this thread has taken it in) waits until it is accepted.
        """
        while self._current is None:
            if self._held is not None:
                if self._held.generation > self._accepted_generation:
                    return None
                chunk, self._held = self._held, None
            else:
                try:
                    chunk = self._queue.get_nowait()
                except queue.Empty:
                    return None
            if chunk.generation < self._accepted_generation:
                continue
            if chunk.generation > self._accepted_generation:
                self._held = chunk
                return None
            if chunk.samples.shape[0] == 0 and chunk.last:
                if self._seeking:
                    self._seeking = False
                    self._playing_generation = chunk.generation
                self._finished_frame = self.clock.frames
                return None
            self._current, self._offset = chunk, 0
        return self._current


def _latency_frames(latency: Any) -> int:
    seconds = latency[1] if isinstance(latency, tuple) else latency
    return round(float(seconds or 0.0) * SAMPLE_RATE_HZ)


# --- a whole session ---------------------------------------------------------------------------

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
    The gain is the WAV render's (``Mastering()``), measured the same way.
    """
    options = options or PlayOptions()
    if open_stream is None:
        open_stream = sounddevice_stream(choose_device(options.device, output_devices()))
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


__all__ = [
    "OutputDevice",
    "PlayOptions",
    "PlayResult",
    "Player",
    "SampleClock",
    "Session",
    "choose_device",
    "next_section_start",
    "output_devices",
    "play",
    "prepare",
    "step_runs",
    "step_start",
]
