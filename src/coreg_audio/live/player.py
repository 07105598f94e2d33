"""The player: the mastered track streamed to the sound card as it is made.

A producer thread mixes and masters ahead, exactly as ``render`` does, into a
bounded queue; the audio callback only copies from it, shaping the fades that
pausing, jumping and quitting need. Every sample given to the stream is
counted on the ``SampleClock``.
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


@dataclass(frozen=True)
class _Chunk:
    generation: int
    track_start_samples: int
    samples: np.ndarray
    last: bool = False


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
        self._queue: queue.Queue[_Chunk] = queue.Queue(maxsize=ahead_chunks)
        self._commands: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
        self._seek_lock = threading.Lock()
        self._seek_request: tuple[int, int] | None = None
        self._closing = threading.Event()
        self._produced_end = threading.Event()
        self._producer: threading.Thread | None = None
        self._producer_error: BaseException | None = None
        self.clock = SampleClock(keep_frames=CLOCK_KEEP_S * self._sample_rate_hz)
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
        chain = MasterChain(self._gain_db, self._ceiling_dbtp, self._sample_rate_hz)
        out_position = position
        for block_start in range(position, length, self._chunk_samples):
            block = self._mixer.block(block_start, min(self._chunk_samples, length - block_start))
            limited = chain.process(block)
            if limited.shape[0]:
                if not self._put(_Chunk(generation, out_position, limited)):
                    return self._take_seek()
                out_position += limited.shape[0]
            if self._run_interrupted():
                return self._take_seek()
        if not self._put(_Chunk(generation, out_position, chain.flush(), last=True)):
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
