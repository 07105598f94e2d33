"""Every practice on the search path as one folder for a phone: ``render --all``.

Tracks render side by side, one process per core. The processes are spawned,
never forked: pyttsx3 hangs in a forked child. A manifest in the folder keeps,
per track, a key that hashes everything deciding the track's bytes, so a
re-run renders only what changed and otherwise costs no more than reading the
scripts; a track whose number alone changed (a practice joined or left) has
just its tag rewritten. The manifest and the playlist are written whole or not at all, like
the tracks, and the manifest is updated after every finished track, so an
interrupted run keeps what it had done. Each track gets its pacer page
(NAME.html) beside it, and ``index.html`` lists them all; the manifest keeps
what the index shows of each track, so an unchanged track is never touched.
"""

from __future__ import annotations

import concurrent.futures as futures
import hashlib
import json
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import FrameType
from typing import Any, Literal

from .. import __version__
from ..atomic import write_file, write_if_changed
from ..cache import content_key, source_fingerprint
from ..errors import CoregError, UsageError
from ..format.model import Script
from ..format.overrides import Overrides
from ..format.sounds import ambience_path
from ..library import Found, available
from ..practice import Progress, load_found
from ..resources import shipped_folder
from ..time_text import mm_ss
from ..timeline.compile import spoken_requests
from ..units import samples_to_float_s
from .captions import caption_paths, write_captions
from .index_page import INDEX_NAME, THUMBNAIL_PX, IndexEntry, index_html
from .page import page_path
from .sinks import check_bitrate, check_output, renumber_mp3

DEFAULT_OUT_DIR = Path("coreg-audio-tracks")
MANIFEST_NAME = ".coreg-audio-tracks.json"
"""Hidden, so a phone's player never lists it."""
PLAYLIST_NAME = "playlist.m3u8"
TRACK_SUFFIX = ".mp3"
MANIFEST_FORMAT = 3
EXIT_INTERRUPTED = 130
PROGRESS_STAGE = "tracks"
_STAGE_SHARE = {"speech": (0.0, 0.1), "measure": (0.1, 0.4), "write": (0.4, 1.0)}
"""Where each stage of one track's render lies in that track's progress, 0 to 1."""
_PROGRESS_UNITS = 1000
_POLL_S = 0.1

Status = Literal["rendered", "renumbered", "unchanged", "failed"]


@dataclass(frozen=True)
class BatchOptions:
    seed: int
    bitrate_kbps: int
    album: str | None = None
    """None for the default album of ``render.RenderOptions``."""
    out_dir: Path = DEFAULT_OUT_DIR
    overrides: Overrides = field(default_factory=Overrides)
    jobs: int | None = None
    """Processes rendering at once; None for one per core."""


@dataclass(frozen=True)
class TrackOutcome:
    name: str
    status: Status
    path: Path
    title: str = ""
    duration_samples: int = 0
    problems: tuple[str, ...] = ()
    exit_code: int = 0
    page: PageFacts | None = None


@dataclass(frozen=True)
class PageFacts:
    """What the folder's index shows of a track besides its title and length."""

    summary: str = ""
    subtitle: str = ""
    thumbnail: str = ""
    """The cover as a small JPEG ``data:`` URL."""


@dataclass(frozen=True)
class BatchReport:
    tracks: tuple[TrackOutcome, ...]
    removed: tuple[Path, ...]
    playlist: Path
    index: Path | None = None

    @property
    def exit_code(self) -> int:
        """The worst failure's exit code (1 for an invalid script), 0 when every track is done."""
        return max(
            (track.exit_code for track in self.tracks if track.status == "failed"), default=0
        )

    def count(self, status: Status) -> int:
        return sum(1 for track in self.tracks if track.status == status)


@dataclass(frozen=True)
class _Job:
    """One track for a worker: everything it needs, all of it picklable."""

    found: Found
    track: tuple[int, int]
    """(n, N): its number in the album and the album's size."""
    out: Path
    options: BatchOptions


@dataclass(frozen=True)
class _Done:
    title: str = ""
    duration_samples: int = 0
    problems: tuple[str, ...] = ()
    exit_code: int = 0
    page: PageFacts | None = None


def render_all(
    options: BatchOptions,
    progress: Progress | None = None,
    practices: Sequence[Found] | None = None,
) -> BatchReport:
    """Render ``practices`` (default: all on the search path) into ``options.out_dir``, as needed.

    Failures of single tracks (an invalid script, a voice the engine lacks) are
    reported in the result and the other tracks still render; a problem of the
    whole run (a bad flag, a folder that cannot be written, no ffmpeg) raises at once.
    """
    options.overrides.check()
    out_dir = _prepare_folder(options.out_dir, options.bitrate_kbps)
    library = list(practices) if practices is not None else available()
    manifest = _Manifest.read(out_dir / MANIFEST_NAME)
    versions = _EngineVersions()
    sounds = _folder_digest(shipped_folder("sounds"))
    outcomes: dict[str, TrackOutcome] = {}
    jobs: list[tuple[_Job, str]] = []
    for number, found in enumerate(library, start=1):
        out = out_dir / f"{found.name}{TRACK_SUFFIX}"
        track = (number, len(library))
        try:
            script = load_found(found, options.overrides)
            key = track_key(found, script, options, sounds, versions)
        except CoregError as error:
            outcomes[found.name] = TrackOutcome(
                found.name, "failed", out, problems=tuple(error.lines()), exit_code=error.exit_code
            )
            continue
        entry = manifest.current(found.name, key, out_dir)
        if entry is None:
            jobs.append((_Job(found, track, out, options), key))
            continue
        outcome = TrackOutcome(
            found.name,
            "unchanged",
            out,
            entry["title"],
            entry["duration_samples"],
            page=PageFacts(**entry["page"]),
        )
        if entry.get("track") != list(track):
            try:
                renumber_mp3(out, track)
            except CoregError:
                jobs.append((_Job(found, track, out, options), key))
                continue
            outcome = replace(outcome, status="renumbered")
            manifest.record(found.name, key, track, outcome, out_dir)
            manifest.write()
        outcomes[found.name] = outcome
    for job, key, outcome in _run(jobs, options.jobs, progress):
        outcomes[job.found.name] = outcome
        if outcome.status == "rendered":
            manifest.record(job.found.name, key, job.track, outcome, out_dir)
            manifest.write()
    removed = manifest.prune({found.name for found in library}, out_dir)
    manifest.write()
    ordered = tuple(outcomes[found.name] for found in library)
    playlist = out_dir / PLAYLIST_NAME
    listed = [track for track in ordered if track.status != "failed"]
    write_if_changed(playlist, m3u8(listed).encode("utf-8"))
    index = out_dir / INDEX_NAME
    write_if_changed(index, index_html(index_entries(listed), _album(options)).encode("utf-8"))
    return BatchReport(ordered, removed, playlist, index)


def _prepare_folder(out_dir: Path, bitrate_kbps: int) -> Path:
    """The folder, made if need be, once the options are known to be good."""
    check_bitrate(bitrate_kbps, TRACK_SUFFIX)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out-dir {out_dir} is a file; give a folder for the tracks")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot make the folder {out_dir}: {error.strerror}") from error
    check_output(out_dir / f"check{TRACK_SUFFIX}", bitrate_kbps=bitrate_kbps)
    return out_dir


def m3u8(tracks: Iterable[TrackOutcome]) -> str:
    """An extended M3U playlist in UTF-8: the tracks in order, by paths relative to it."""
    lines = ["#EXTM3U"]
    for track in tracks:
        title = " ".join(track.title.split()) or track.name
        seconds = round(samples_to_float_s(track.duration_samples))
        lines += [f"#EXTINF:{seconds},{title}", track.path.name]
    return "\n".join(lines) + "\n"


def index_entries(tracks: Iterable[TrackOutcome]) -> list[IndexEntry]:
    """The index's entries: each track's page, with what its manifest entry keeps."""
    entries = []
    for track in tracks:
        facts = track.page or PageFacts()
        entries.append(
            IndexEntry(
                title=track.title or track.name,
                duration_samples=track.duration_samples,
                page=page_path(track.path).name,
                summary=facts.summary,
                subtitle=facts.subtitle,
                thumbnail=facts.thumbnail,
            )
        )
    return entries


def _album(options: BatchOptions) -> str:
    from .render import DEFAULT_ALBUM

    return options.album or DEFAULT_ALBUM


# --- what decides a track's bytes ------------------------------------------------------------


class _EngineVersions:
    """Each speech engine's version, asked once a run (it can mean starting a program)."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def of(self, engine: str) -> str:
        if engine not in self._known:
            from ..speech.speaker import create_engine

            speech_engine = create_engine(engine)
            try:
                self._known[engine] = speech_engine.version()
            finally:
                speech_engine.close()
        return self._known[engine]


def _file_digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _folder_digest(folder: Path) -> str:
    """One hash of every file under ``folder``, names and contents."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(f"{path.relative_to(folder).as_posix()}\0{_file_digest(path)}\0".encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def program_digest() -> str:
    """coreg-audio's own source, so a changed program re-renders even without a new version."""
    package = Path(__file__).resolve().parents[1]
    code = [path for path in package.rglob("*") if path.suffix in {".py", ".html", ".css", ".js"}]
    return source_fingerprint(*sorted(str(path) for path in code))


def track_key(
    found: Found,
    script: Script,
    options: BatchOptions,
    sounds_digest: str,
    versions: _EngineVersions,
) -> str:
    """A hash of everything that decides the track's bytes but its number.

    The script's own bytes, the command line's options, the shipped sounds and
    an ambience file, the speech engines' versions and coreg-audio's own. The
    track number is kept beside the key: when a practice joins or leaves the
    library, the others only need their number changed, not a new render.
    """
    ambience = ambience_path(script)
    spoken = {voice for _, voice in spoken_requests(script)}
    engines = sorted({voice.engine for voice in spoken})
    fields: dict[str, Any] = {
        "manifest": MANIFEST_FORMAT,
        "program": __version__,
        "code": program_digest(),
        "script": _file_digest(found.path),
        "overrides": asdict(options.overrides),
        "seed": options.seed,
        "bitrate_kbps": options.bitrate_kbps,
        "album": options.album,
        "format": TRACK_SUFFIX,
        "sounds": sounds_digest,
        "ambience": _file_digest(ambience) if ambience is not None and ambience.is_file() else None,
        "engines": {engine: versions.of(engine) for engine in engines},
        "voice_files": sorted({voice.model for voice in spoken if voice.model is not None}),
    }
    return content_key(fields)


class _Manifest:
    """What this folder holds: per practice, its key, title, length and file sizes."""

    def __init__(self, path: Path, tracks: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self.tracks = tracks
        self._written = json.dumps(self._document(), sort_keys=True)

    @classmethod
    def read(cls, path: Path) -> _Manifest:
        """The manifest at ``path``; a missing or unreadable one is empty (everything renders)."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            tracks = document["tracks"] if document.get("format") == MANIFEST_FORMAT else {}
            if not isinstance(tracks, dict):
                tracks = {}
        except (OSError, ValueError, AttributeError, KeyError):
            tracks = {}
        return cls(path, tracks)

    def _document(self) -> dict[str, Any]:
        return {"format": MANIFEST_FORMAT, "program": __version__, "tracks": self.tracks}

    def current(self, name: str, key: str, out_dir: Path) -> dict[str, Any] | None:
        """The entry of ``name`` if it has this key and all its files are there, unchanged."""
        entry = self.tracks.get(name)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        files = entry.get("files")
        if not isinstance(files, dict) or not files:
            return None
        for file_name, size in files.items():
            try:
                if (out_dir / file_name).stat().st_size != size:
                    return None
            except OSError:
                return None
        if not isinstance(entry.get("title"), str) or not isinstance(
            entry.get("duration_samples"), int
        ):
            return None
        page = entry.get("page")
        if not isinstance(page, dict) or set(page) != {"summary", "subtitle", "thumbnail"}:
            return None
        if not all(isinstance(value, str) for value in page.values()):
            return None
        return entry

    def record(
        self, name: str, key: str, track: tuple[int, int], outcome: TrackOutcome, out_dir: Path
    ) -> None:
        paths = [outcome.path, *caption_paths(outcome.path), page_path(outcome.path)]
        self.tracks[name] = {
            "key": key,
            "track": list(track),
            "title": outcome.title,
            "duration_samples": outcome.duration_samples,
            "page": asdict(outcome.page or PageFacts()),
            "files": {path.name: (out_dir / path.name).stat().st_size for path in paths},
        }

    def prune(self, names: set[str], out_dir: Path) -> tuple[Path, ...]:
        """Delete the files of practices no longer on the search path; only files it wrote."""
        removed: list[Path] = []
        for name in sorted(set(self.tracks) - names):
            entry = self.tracks.pop(name)
            files = entry.get("files") if isinstance(entry, dict) else None
            for file_name in files if isinstance(files, dict) else {}:
                path = out_dir / Path(str(file_name)).name
                if path.is_file():
                    path.unlink()
                    removed.append(path)
        return tuple(removed)

    def write(self) -> None:
        text = json.dumps(self._document(), sort_keys=True)
        if text != self._written:
            write_file(self.path, (text + "\n").encode("utf-8"))
            self._written = text


# --- the processes ---------------------------------------------------------------------------


def _run(
    jobs: list[tuple[_Job, str]], processes: int | None, progress: Progress | None
) -> Iterator[tuple[_Job, str, TrackOutcome]]:
    """Render ``jobs`` in a pool of spawned processes; yield each as it finishes.

    Ctrl-C (or SIGTERM) sets a shared stop flag: each worker notices it at its
    next progress report, abandons its track (the sink deletes the partial
    file) and the pool shuts down before the interruption goes on.
    """
    if not jobs:
        return
    context = multiprocessing.get_context("spawn")
    messages: Any = context.Queue()
    stop = context.Event()
    workers = min(processes or os.cpu_count() or 1, len(jobs))
    shares = [0.0] * len(jobs)
    index_of = {job.track[0]: i for i, (job, _) in enumerate(jobs)}
    total_units = _PROGRESS_UNITS * len(jobs)

    def report() -> None:
        while True:
            try:
                number, share = messages.get_nowait()
            except queue.Empty:
                break
            i = index_of[number]
            shares[i] = max(shares[i], share)
        if progress is not None:
            progress(PROGRESS_STAGE, round(sum(shares) * _PROGRESS_UNITS), total_units)

    blocked = threading.current_thread() is threading.main_thread()
    if blocked:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pool = futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(messages, stop),
    )
    try:
        pending = {
            pool.submit(_render_track, job): (i, job, key) for i, (job, key) in enumerate(jobs)
        }
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            blocked = False
        report()
        while pending:
            done, _ = futures.wait(pending, timeout=_POLL_S, return_when=futures.FIRST_COMPLETED)
            report()
            for future in done:
                i, job, key = pending.pop(future)
                shares[i] = 1.0
                yield job, key, _outcome(job, future)
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


def _outcome(job: _Job, future: futures.Future[_Done]) -> TrackOutcome:
    name = job.found.name
    try:
        done = future.result()
    except BrokenProcessPool:
        return TrackOutcome(
            name,
            "failed",
            job.out,
            exit_code=1,
            problems=(f"error: {name}: a render process stopped unexpectedly",),
        )
    except Exception as error:
        return TrackOutcome(
            name,
            "failed",
            job.out,
            exit_code=1,
            problems=(
                f"error: {name}: unexpected {type(error).__name__}: {error} (please report it)",
            ),
        )
    if done.exit_code:
        return TrackOutcome(
            name, "failed", job.out, problems=done.problems, exit_code=done.exit_code
        )
    return TrackOutcome(
        name, "rendered", job.out, done.title, done.duration_samples, page=done.page
    )


# --- inside a worker process -----------------------------------------------------------------

_messages: Any = None
_stop: Any = None
_busy = False


def _start_worker(messages: Any, stop: Any) -> None:
    """Ctrl-C goes to the main process only: it stops the workers through ``stop``."""
    global _messages, _stop
    _messages, _stop = messages, stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGTERM, _terminate_worker)


def _terminate_worker(signum: int, frame: FrameType | None) -> None:
    """Killed from outside: abandon the track (the sink cleans up), or leave at once if idle."""
    if _busy:
        raise KeyboardInterrupt
    os._exit(EXIT_INTERRUPTED)


def _render_track(job: _Job) -> _Done:
    """One track, its captions and its page; a problem of the track comes back as its lines."""
    global _busy
    from .cover import cover_for
    from .page import write_page
    from .render import DEFAULT_ALBUM, RenderOptions, render

    def progress(stage: str, done: int, total: int) -> None:
        if _stop is not None and _stop.is_set():
            raise KeyboardInterrupt
        start, end = _STAGE_SHARE.get(stage, (0.0, 0.0))
        if _messages is not None and total > 0:
            _messages.put((job.track[0], start + (end - start) * min(done / total, 1.0)))

    _busy = True
    try:
        progress("speech", 0, 1)
        script = load_found(job.found, job.options.overrides)
        options = RenderOptions(
            seed=job.options.seed,
            bitrate_kbps=job.options.bitrate_kbps,
            album=job.options.album or DEFAULT_ALBUM,
            track=job.track,
        )
        timeline = render(script, job.out, options, progress)
        write_captions(timeline, job.out)
        cover = cover_for(timeline)
        write_page(timeline, job.out, cover)
    except CoregError as error:
        return _Done(problems=tuple(error.lines()), exit_code=error.exit_code)
    finally:
        _busy = False
    facts = PageFacts(timeline.summary or "", cover.subtitle, cover.data_url(THUMBNAIL_PX))
    return _Done(timeline.title, timeline.duration_samples, page=facts)


def describe(outcome: TrackOutcome) -> str:
    """One line for the terminal: what happened to a track."""
    length = mm_ss(outcome.duration_samples) if outcome.duration_samples else ""
    return f"{outcome.status:<10} {outcome.path.name}  {length}  {outcome.title}".rstrip()
