"""Tracks rendered side by side, one process per core, stopped cleanly by Ctrl-C.

The processes are spawned, never forked: pyttsx3 hangs in a forked child.
Ctrl-C (or SIGTERM) sets a shared stop flag: each worker notices it at its
next progress report, abandons its track (the sink deletes the partial file)
and the pool shuts down before the interruption goes on.

A worker whose parent dies (killed with SIGKILL, no chance to set the flag) is
sent SIGTERM at once by the kernel on Linux (PR_SET_PDEATHSIG), and everywhere
a thread of its own notices within a second that its parent is gone; either
way it abandons its track as on Ctrl-C and ends, so no worker outlives the
command.
"""

from __future__ import annotations

import concurrent.futures as futures
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from .. import verbosity
from ..errors import CoregError
from ..format.overrides import Overrides
from ..library import Found
from ..practice import Progress, load_found
from .captions import write_captions
from .cover import cover_for
from .index_page import THUMBNAIL_PX, PageFacts
from .page import write_page
from .render import RenderOptions, render

EXIT_INTERRUPTED = 130
PROGRESS_STAGE = "tracks"
_STAGE_SHARE = {"speech": (0.0, 0.1), "measure": (0.1, 0.4), "write": (0.4, 1.0)}
"""Where each stage of one track's render lies in that track's progress, 0 to 1."""
_PROGRESS_UNITS = 1000
_POLL_S = 0.1
_PARENT_POLL_S = 1.0
_ORPHAN_GRACE_S = 10.0
"""How long an orphaned worker may take to abandon its track before it is ended outright."""
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Job:
    """One track for a worker: everything it needs, all of it picklable."""

    found: Found
    out: Path
    overrides: Overrides
    options: RenderOptions
    """With the track's number in the album (``track``)."""


@dataclass(frozen=True)
class Done:
    """What came of one job: the track's title, length and page, or the problems that stopped it."""

    title: str = ""
    duration_samples: int = 0
    problems: tuple[str, ...] = ()
    exit_code: int = 0
    page: PageFacts | None = None


def run(
    jobs: Sequence[Job], processes: int | None, progress: Progress | None
) -> Iterator[tuple[int, Done]]:
    """Render ``jobs`` in a pool of spawned processes; yield (index, Done) as each finishes."""
    if not jobs:
        return
    context = multiprocessing.get_context("spawn")
    messages: Any = context.Queue()
    stop = context.Event()
    workers = min(processes or os.cpu_count() or 1, len(jobs))
    shares = [0.0] * len(jobs)
    total_units = _PROGRESS_UNITS * len(jobs)

    def report() -> None:
        while True:
            try:
                index, share = messages.get_nowait()
            except queue.Empty:
                break
            shares[index] = max(shares[index], share)
        if progress is not None:
            progress(PROGRESS_STAGE, round(sum(shares) * _PROGRESS_UNITS), total_units)

    blocked = threading.current_thread() is threading.main_thread()
    if blocked:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pool = futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(messages, stop, verbosity.level(), os.getpid()),
    )
    try:
        pending = {pool.submit(_render_track, i, job): i for i, job in enumerate(jobs)}
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            blocked = False
        report()
        while pending:
            done, _ = futures.wait(pending, timeout=_POLL_S, return_when=futures.FIRST_COMPLETED)
            report()
            for future in done:
                i = pending.pop(future)
                shares[i] = 1.0
                yield i, _result(jobs[i], future)
        report()
    except BaseException:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        pool.shutdown(wait=True)
        messages.close()
        messages.join_thread()


def _result(job: Job, future: futures.Future[Done]) -> Done:
    name = job.found.name
    try:
        return future.result()
    except BrokenProcessPool:
        return Done(
            exit_code=1, problems=(f"error: {name}: a render process stopped unexpectedly",)
        )
    except Exception as error:
        return Done(
            exit_code=1,
            problems=(
                f"error: {name}: unexpected {type(error).__name__}: {error} (please report it)",
            ),
        )


# --- inside a worker process -----------------------------------------------------------------

_messages: Any = None
_stop: Any = None
_busy = False


def _start_worker(messages: Any, stop: Any, log_level: int, parent_pid: int) -> None:
    """Ctrl-C goes to the main process only: it stops the workers through ``stop``.
    The worker ends with its parent, however the parent ends."""
    global _messages, _stop
    _messages, _stop = messages, stop
    if log_level < logging.WARNING:
        verbosity.say_more(log_level)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGTERM, _terminate_worker)
    _die_with_parent()
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _die_with_parent() -> None:
    """Ask Linux for SIGTERM when the parent dies (elsewhere the watching thread does it)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _watch_parent(parent_pid: int) -> None:
    """SIGTERM to this worker once its parent is gone (it was adopted by another process);
    the end outright if abandoning the track takes longer than _ORPHAN_GRACE_S."""
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(_ORPHAN_GRACE_S)
    os._exit(EXIT_INTERRUPTED)


def _terminate_worker(signum: int, frame: FrameType | None) -> None:
    """Killed from outside: abandon the track (the sink cleans up), or leave at once if idle."""
    if _busy:
        raise KeyboardInterrupt
    os._exit(EXIT_INTERRUPTED)


def _render_track(index: int, job: Job) -> Done:
    """One track, its captions and its page; a problem of the track comes back as its lines."""
    global _busy

    def progress(stage: str, done: int, total: int) -> None:
        if _stop is not None and _stop.is_set():
            raise KeyboardInterrupt
        start, end = _STAGE_SHARE.get(stage, (0.0, 0.0))
        if _messages is not None and total > 0:
            _messages.put((index, start + (end - start) * min(done / total, 1.0)))

    _busy = True
    try:
        progress("speech", 0, 1)
        script = load_found(job.found, job.overrides)
        timeline = render(script, job.out, job.options, progress)
        write_captions(timeline, job.out)
        cover = cover_for(timeline)
        write_page(timeline, job.out, cover)
    except CoregError as error:
        return Done(problems=tuple(error.lines()), exit_code=error.exit_code)
    finally:
        _busy = False
    facts = PageFacts(timeline.summary or "", cover.subtitle, cover.data_url(THUMBNAIL_PX))
    return Done(timeline.title, timeline.duration_samples, page=facts)
