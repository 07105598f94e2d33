"""Every practice on the search path as one folder for a phone: ``render --all``.

A re-run renders only what changed (``batch_manifest``) and otherwise costs no
more than reading the scripts; a track whose number alone changed (a practice
joined or left) has just its tag rewritten. Tracks render side by side
(``batch_pool``). The manifest is updated after every finished track, so an
interrupted run keeps what it had done. Each track gets its pacer page
(NAME.html) beside it; the playlist and ``index.html``, which lists the pages,
come last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from ..atomic import write_if_changed
from ..errors import CoregError, UsageError
from ..format.overrides import Overrides
from ..library import Found, available
from ..practice import Progress, load_found
from ..resources import shipped_folder
from ..time_text import mm_ss
from . import batch_pool
from .batch_manifest import MANIFEST_NAME, EngineVersions, Manifest, folder_digest, track_key
from .captions import caption_paths
from .formats import check_bitrate, check_output
from .id3 import renumber_mp3
from .index_page import INDEX_NAME, IndexEntry, PageFacts, index_html
from .page import page_path
from .playlist import write_playlist
from .render import RenderOptions

DEFAULT_OUT_DIR = Path("coreg-audio-tracks")
TRACK_SUFFIX = ".mp3"

Status = Literal["rendered", "renumbered", "unchanged", "failed"]


@dataclass(frozen=True)
class BatchOptions:
    render: RenderOptions = field(default_factory=RenderOptions)
    """The seed, bitrate and album of every track (each gets its own number)."""
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
    out_dir = _prepare_folder(options.out_dir, options.render.bitrate_kbps)
    library = list(practices) if practices is not None else available()
    manifest = Manifest.read(out_dir / MANIFEST_NAME)
    versions = EngineVersions()
    sounds = folder_digest(shipped_folder("sounds"))
    outcomes: dict[str, TrackOutcome] = {}
    jobs: list[tuple[batch_pool.Job, str]] = []
    for number, found in enumerate(library, start=1):
        out = out_dir / f"{found.name}{TRACK_SUFFIX}"
        track = (number, len(library))
        try:
            script = load_found(found, options.overrides)
            key = track_key(
                found, script, options.render, options.overrides, sounds, versions, TRACK_SUFFIX
            )
        except CoregError as error:
            outcomes[found.name] = TrackOutcome(
                found.name, "failed", out, problems=tuple(error.lines()), exit_code=error.exit_code
            )
            continue
        job = batch_pool.Job(found, out, options.overrides, replace(options.render, track=track))
        entry = manifest.current(found.name, key, out_dir)
        if entry is None:
            jobs.append((job, key))
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
                jobs.append((job, key))
                continue
            outcome = replace(outcome, status="renumbered")
            _record(manifest, key, track, outcome)
        outcomes[found.name] = outcome
    for job_index, done in batch_pool.run([job for job, _ in jobs], options.jobs, progress):
        job, key = jobs[job_index]
        outcome = _outcome(job, done)
        outcomes[job.found.name] = outcome
        if outcome.status == "rendered":
            assert job.options.track is not None
            _record(manifest, key, job.options.track, outcome)
    for number, found in enumerate(library, start=1):
        if outcomes[found.name].status == "failed":
            _renumber_kept(manifest, found.name, outcomes[found.name].path, (number, len(library)))
    removed = manifest.prune({found.name for found in library}, out_dir)
    manifest.write()
    ordered = tuple(outcomes[found.name] for found in library)
    listed = [track for track in ordered if track.status != "failed"]
    playlist = write_playlist(out_dir, listed)
    index = out_dir / INDEX_NAME
    write_if_changed(index, index_html(index_entries(listed), options.render.album).encode("utf-8"))
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


def _renumber_kept(manifest: Manifest, name: str, out: Path, track: tuple[int, int]) -> None:
    """A failed track's file of an earlier run stays, so it takes its new number too.

    Otherwise, when practices joined or left, two files of the album would carry one number.
    """
    entry = manifest.tracks.get(name)
    if not out.is_file() or (isinstance(entry, dict) and entry.get("track") == list(track)):
        return
    try:
        renumber_mp3(out, track)
    except CoregError:
        return
    if isinstance(entry, dict):
        entry["track"] = list(track)
        files = entry.get("files")
        if isinstance(files, dict) and out.name in files:
            files[out.name] = out.stat().st_size


def _record(manifest: Manifest, key: str, track: tuple[int, int], outcome: TrackOutcome) -> None:
    """Keep a finished track in the manifest, on disk at once."""
    files = [outcome.path, *caption_paths(outcome.path), page_path(outcome.path)]
    manifest.record(
        outcome.name,
        key,
        track,
        outcome.title,
        outcome.duration_samples,
        outcome.page or PageFacts(),
        files,
    )
    manifest.write()


def _outcome(job: batch_pool.Job, done: batch_pool.Done) -> TrackOutcome:
    name = job.found.name
    if done.exit_code:
        return TrackOutcome(
            name, "failed", job.out, problems=done.problems, exit_code=done.exit_code
        )
    return TrackOutcome(
        name, "rendered", job.out, done.title, done.duration_samples, page=done.page
    )


def describe(outcome: TrackOutcome) -> str:
    """One line for the terminal: what happened to a track."""
    length = mm_ss(outcome.duration_samples) if outcome.duration_samples else ""
    return f"{outcome.status:<10} {outcome.path.name}  {length}  {outcome.title}".rstrip()
