"""The player: the mastered track streamed to the sound card as it is made.

A producer thread mixes and masters ahead, exactly as ``render`` does, into a
bounded queue; the audio callback only copies from it, shaping the fades that
pausing, jumping and quitting need. Every sample given to the stream is
counted on the ``SampleClock``.

A practice timed again while it plays (a ``tap`` step met a partner's pace) is
spliced in (``splice``): the producer finishes the old mix up to a sample a
little ahead of the stream, then goes on from there with the new one, so the
sound continues without a gap. Where the two mixes agree at that sample (the
quiet of a tap step) the join is exact; elsewhere the new mix takes over in a
short crossfade. The master gain stays the one measured before the first
sound: a level that changed in the middle would be heard, and the limiter
keeps every peak under the ceiling whatever the new mix holds.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..audio.master import MasterChain
from ..audio.mix import Mixer
from ..audio.sounds import ease
from ..units import ms_to_samples
from .devices import StreamFactory
from .fades import END_FADE_MS, JUMP_FADE_MS, PAUSE_FADE_MS, FadeEnd, Ramp
from .sample_clock import SampleClock

CHUNK_SAMPLES = 16384
"""The producer's mixing unit: one limiter frame, 0.37 s."""
AHEAD_CHUNKS = 4
"""Chunks mixed ahead of the stream (about 1.5 s): room for a busy moment, not a long wait."""
START_CHUNKS = 2
"""Chunks mixed before the stream starts: the producer then keeps far ahead of real time."""
CLOCK_KEEP_S = 10
"""How far back the clock can still say which track sample went out."""
SPLICE_AHEAD_MS = 250.0
"""How far ahead of the stream a splice is placed: time to mix the new sound's first chunk."""
SPLICE_PREROLL_MS = 500.0
"""Old mix run through a splice's new limiter first, so its gain starts where the old one was."""
SPLICE_FADE_MS = 150.0
"""The crossfade of a splice where the old and new mixes differ."""


@dataclass(frozen=True)
class _Chunk:
    generation: int
    track_start_samples: int
    samples: np.ndarray
    last: bool = False


@dataclass(frozen=True)
class _Run:
    """What the producer mixes next: ``mixer`` from ``position`` under ``generation``.

    A splice's run (``after`` set) starts where the previous mix, ``after``,
    left off, crossfading from it over ``fade_samples`` (0: the two agree there).
    """

    generation: int
    position: int
    mixer: Mixer
    after: Mixer | None = None
    fade_samples: int = 0


def click_sound(sample_rate_hz: int, level: float = 0.12) -> np.ndarray:
    """A soft wooden click (stereo float32, about 40 ms): a decaying 1.6 kHz tick."""
    length = ms_to_samples(40.0)
    t = np.arange(length) / sample_rate_hz
    attack = np.minimum(1.0, np.arange(length) / max(1, ms_to_samples(1.0)))
    mono = level * attack * np.exp(-t / 0.008) * np.sin(2 * np.pi * 1600.0 * t)
    return np.repeat(mono.astype(np.float32)[:, None], 2, axis=1)


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
        self._gain_db = gain_db
        self._ceiling_dbtp = ceiling_dbtp
        self._sample_rate_hz = mixer.sample_rate_hz
        self._chunk_samples = chunk_samples
        self._queue: queue.Queue[_Chunk] = queue.Queue()
        self._ahead_chunks = ahead_chunks
        self._put_counts: dict[int, int] = {}
        """Chunks the producer queued, by generation (written by the producer only)."""
        self._taken_counts: dict[int, int] = {}
        """Chunks the callback took or dropped, by generation (written by the callback only)."""
        self._room = threading.Event()
        self._commands: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
        self._seek_lock = threading.Lock()
        self._seek_request: _Run | None = None
        self._closing = threading.Event()
        self._produced_end = threading.Event()
        self._producer: threading.Thread | None = None
        self._producer_error: BaseException | None = None
        self.clock = SampleClock(keep_frames=CLOCK_KEEP_S * self._sample_rate_hz)
        self.latency_frames = 0
        self.underruns: list[int] = []
        # Main thread's view of the jumps and splices it asked for.
        self._requested_generation = 0
        self._jump_generation = 0
        self._jump_target = 0
        self._pause_requested = False
        self._splices: dict[int, int] = {}
        self._stamp: tuple[float, int] | None = None
        self._click = click_sound(self._sample_rate_hz)
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
        self._splice: tuple[int, int] | None = None
        self._skip_to: int | None = None
        self._click_at: int | None = None

    # main thread ---------------------------------------------------------------------------

    def start_producing(self, start_samples: int = 0) -> None:
        self._jump_target = start_samples
        self._producer = threading.Thread(
            target=self._produce,
            args=(_Run(0, start_samples, self._mixer),),
            name="coreg-audio mixer",
            daemon=True,
        )
        self._producer.start()

    def wait_buffered(self, chunks: int | None = None, timeout_s: float = 10.0) -> bool:
        """Wait until the producer has mixed ``chunks`` (default: all it may) of the newest
        run ahead, or ended. True if any are ready.
        """
        wanted = min(chunks or self._ahead_chunks, self._ahead_chunks)
        deadline = time.monotonic() + timeout_s
        while self._waiting_chunks() < wanted and not self._produced_end.is_set():
            if self._producer is None or not self._producer.is_alive():
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.002)
        self._raise_producer_error()
        return self._queue.qsize() > 0

    def _waiting_chunks(self) -> int:
        generation = self._requested_generation
        return self._put_counts.get(generation, 0) - self._taken_counts.get(generation, 0)

    @contextmanager
    def streaming(self, open_stream: StreamFactory) -> Iterator[Player]:
        """Produce ahead, then run the stream; on the way out stop it after what it holds."""
        if self._producer is None:
            self.start_producing()
        try:
            self.wait_buffered(START_CHUNKS)
            stream = open_stream(self.callback, self._sample_rate_hz)
            try:
                self.latency_frames = self._latency_frames(stream.latency)
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
        deadline = time.monotonic() + self.latency_frames / self._sample_rate_hz + 1.0
        while self.clock.frames < heard_at and time.monotonic() < deadline:
            time.sleep(0.01)

    def _latency_frames(self, latency: Any) -> int:
        seconds = latency[1] if isinstance(latency, tuple) else latency
        return round(float(seconds or 0.0) * self._sample_rate_hz)

    def close(self) -> None:
        self._closing.set()
        if self._producer is not None:
            self._producer.join(timeout=5.0)

    @property
    def position_samples(self) -> int:
        """The track sample being heard now, or where a jump just asked for is going."""
        return self._heard(self.clock.frames - self.latency_frames)

    def heard_at(self, moment: float) -> int:
        """The track sample heard at ``moment`` (a ``time.monotonic()``), between callbacks too.

        The stream takes samples in blocks; the last block's start and when it was
        taken say where the sound is in between, so a pacer moves smoothly and a
        tap is placed to the millisecond.
        """
        stamp = self._stamp
        frames = self.clock.frames
        if stamp is not None:
            taken_at, first_frame = stamp
            elapsed = round((moment - taken_at) * self._sample_rate_hz)
            frames = min(frames, first_frame + max(elapsed, 0))
        return self._heard(frames - self.latency_frames)

    def _heard(self, heard_frame: int) -> int:
        if self._playing_generation < self._jump_generation or heard_frame < self._generation_frame:
            return self._jump_target
        return self.clock.track_at(max(heard_frame, 0))

    @property
    def mixer(self) -> Mixer:
        """The mix being played (the newest spliced in)."""
        return self._mixer

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
        self._jump_generation = self._requested_generation
        self._jump_target = to_samples
        self._pause_requested = False
        with self._seek_lock:
            self._seek_request = _Run(self._requested_generation, to_samples, self._mixer)
        self._commands.put(("seek", self._requested_generation))

    def splice(self, mixer: Mixer, agree_until_samples: int) -> int:
        """Go on with ``mixer`` from a sample just ahead of the stream, without a gap.

        The two mixes are taken to be the same before ``agree_until_samples``;
        a splice there is exact, and one later crossfades. Returns the track
        sample where the new mix begins.
        """
        ahead = ms_to_samples(SPLICE_AHEAD_MS)
        at = min(self.clock.track_at(self.clock.frames) + ahead, mixer.length_samples)
        fade = 0 if at <= agree_until_samples else ms_to_samples(SPLICE_FADE_MS)
        self._requested_generation += 1
        generation = self._requested_generation
        self._splices[generation] = at
        with self._seek_lock:
            self._seek_request = _Run(generation, at, mixer, self._mixer, fade)
        self._mixer = mixer
        self._commands.put(("splice", generation))
        return at

    def click(self) -> None:
        """A soft click, as soon as the stream can play it (a tap heard)."""
        self._commands.put(("click", 0))

    def stop(self) -> None:
        """Fade out and finish."""
        self._commands.put(("end", 0))

    # producer thread -----------------------------------------------------------------------

    def _produce(self, first: _Run) -> None:
        run: _Run | None = first
        try:
            while run is not None:
                run = self._produce_run(run)
        except BaseException as error:  # reported to the main thread by finished/wait_buffered
            self._producer_error = error

    def _produce_run(self, run: _Run) -> _Run | None:
        """Mix ``run`` to the end; returns the next run (a seek or splice), or None when closing."""
        chain = MasterChain(self._gain_db, self._ceiling_dbtp, self._sample_rate_hz)
        mixer, length = run.mixer, run.mixer.length_samples
        out_position = self._preroll(chain, run)
        for block_start in range(run.position, length, self._chunk_samples):
            size = min(self._chunk_samples, length - block_start)
            block = mixer.block(block_start, size)
            if run.after is not None and block_start < run.position + run.fade_samples:
                block = self._crossfaded(run, block_start, block)
            limited = chain.process(block)
            out_position, ok = self._emit(run, out_position, limited)
            if not ok or self._run_interrupted(out_position):
                return self._take_seek()
        _, ok = self._emit(run, out_position, chain.flush(), last=True)
        if not ok:
            return self._take_seek()
        self._produced_end.set()
        while not self._closing.wait(0.02):
            if self._run_interrupted(None):
                return self._take_seek()
        return None

    def _preroll(self, chain: MasterChain, run: _Run) -> int:
        """Run the old mix before a splice through the new limiter; where its output starts."""
        if run.after is None:
            return run.position
        start = max(0, run.position - ms_to_samples(SPLICE_PREROLL_MS))
        if start < run.position:
            start += chain.process(run.after.block(start, run.position - start)).shape[0]
        return start

    def _crossfaded(self, run: _Run, block_start: int, block: np.ndarray) -> np.ndarray:
        assert run.after is not None
        old = (
            run.after.block(block_start, block.shape[0])
            if block_start < run.after.length_samples
            else np.zeros_like(block)
        )
        if old.shape[0] < block.shape[0]:
            old = np.concatenate([old, np.zeros((block.shape[0] - old.shape[0], block.shape[1]))])
        rising = ease((np.arange(block.shape[0]) + block_start - run.position) / run.fade_samples)
        weight = rising.astype(np.float32)[:, None]
        mixed: np.ndarray = (old * (1 - weight) + block * weight).astype(np.float32)
        return mixed

    def _emit(
        self, run: _Run, out_position: int, samples: np.ndarray, last: bool = False
    ) -> tuple[int, bool]:
        """Queue what the limiter gave (a splice's pre-roll dropped); False if a seek came first."""
        skip = min(max(run.position - out_position, 0), samples.shape[0])
        kept = samples[skip:]
        chunk = _Chunk(run.generation, out_position + skip, kept, last=last)
        if (kept.shape[0] or last) and not self._put(chunk):
            return out_position + samples.shape[0], False
        return out_position + samples.shape[0], True

    def _put(self, chunk: _Chunk) -> bool:
        """Queue a chunk once fewer than ``ahead_chunks`` of its run wait; False if a seek or
        closing came first.

        Only the chunks of the chunk's own run count: a splice's first chunks
        go in at once beside the old run's, which the stream will drop. A
        splice does not stop the old mix before the sample it begins at.
        """
        start = chunk.track_start_samples if chunk.samples.shape[0] else None
        generation = chunk.generation
        while True:
            waiting = self._put_counts.get(generation, 0) - self._taken_counts.get(generation, 0)
            if waiting < self._ahead_chunks:
                self._put_counts[generation] = self._put_counts.get(generation, 0) + 1
                self._queue.put(chunk)
                return True
            if self._run_interrupted(start):
                return False
            self._room.wait(0.02)
            self._room.clear()

    def _run_interrupted(self, out_position: int | None) -> bool:
        """A jump was asked for, a splice whose sample the mix has reached, or closing.

        ``out_position`` is how far the mix has got (None: to its end).
        """
        request = self._seek_request
        if self._closing.is_set():
            return True
        if request is None:
            return False
        if request.after is None or out_position is None:
            return True
        return out_position >= request.position

    def _take_seek(self) -> _Run | None:
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
        self._stamp = (time.monotonic(), self.clock.frames)
        self._apply_commands()
        wanted = out.shape[0]
        done = 0
        self._short = False
        while done < wanted:
            if self._finished_frame is not None or self._paused:
                break
            chunk = self._chunk()
            if chunk is not None and self._splice_reached(chunk):
                continue
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
            if self._splice is not None and chunk.generation < self._splice[0]:
                take = min(take, self._splice[1] - chunk.track_start_samples - self._offset)
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
        self._add_click(out)

    def _splice_reached(self, chunk: _Chunk) -> bool:
        """At a splice's sample: drop the old mix and go on with the new one (True)."""
        if self._splice is None or chunk.generation >= self._splice[0]:
            return False
        generation, at = self._splice
        if chunk.track_start_samples + self._offset < at:
            return False
        self._splice = None
        self._accepted_generation = generation
        self._playing_generation = generation
        self._current = None
        self._skip_to = at
        return True

    def _add_click(self, out: np.ndarray) -> None:
        if self._click_at is None:
            return
        part = self._click[self._click_at : self._click_at + out.shape[0]]
        out[: part.shape[0]] += part
        np.clip(out, -1.0, 1.0, out=out)
        self._click_at += part.shape[0]
        if self._click_at >= self._click.shape[0]:
            self._click_at = None

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
            elif command == "click":
                self._click_at = 0
            elif command == "splice":
                self._splice = (value, self._splices[value])
            elif command == "seek":
                self._splice = None
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
                taken = self._taken_counts.get(chunk.generation, 0)
                self._taken_counts[chunk.generation] = taken + 1
                self._room.set()
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
            offset = 0
            if self._skip_to is not None:
                offset = max(0, self._skip_to - chunk.track_start_samples)
                if offset >= chunk.samples.shape[0] and not chunk.last:
                    continue
                offset = min(offset, chunk.samples.shape[0])
                self._skip_to = None
            self._current, self._offset = chunk, offset
        return self._current
