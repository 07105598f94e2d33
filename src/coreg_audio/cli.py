"""The ``coreg-audio`` command: parse flags, call the library, map errors to exit codes."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

from . import __version__, memory, practice
from .errors import CoregError, UsageError
from .format.overrides import Overrides
from .format.sounds import TONE_CHOICES
from .format.voices import ENGINES
from .output.formats import DEFAULT_BITRATE_KBPS
from .practice import DEFAULT_SEED, Progress
from .time_text import mm_ss, mm_ss_tenths
from .verbosity import say_more

EXIT_INTERRUPTED = 130
F = TypeVar("F", bound=Callable[..., Any])
OVERRIDE_FLAGS = {
    "pace": "--pace",
    "params": "--set",
    "engine": "--engine",
    "voice": "--voice",
    "rate_wpm": "--rate",
    "ambience": "--ambience",
    "tones": "--tones",
    "met": "--met",
}
"""Each override by its flag, so the library's messages about a value name the flag that gave it."""


def override_options(command: F) -> F:
    """The flags that change a script for one run (cli.md, OVERRIDES)."""
    options = [
        click.option(
            "--pace",
            metavar="PATTERN",
            help="Starting pattern of every breathe step, e.g. 4-6 or 4-7-8.",
        ),
        click.option(
            "--set",
            "params",
            metavar="NAME=VALUE",
            multiple=True,
            help="Fill a {NAME} placeholder; repeatable.",
        ),
        click.option("--engine", type=click.Choice(ENGINES.choices), help="Speech engine."),
        click.option("--voice", metavar="ID", help="The engine's voice id (see 'voices')."),
        click.option("--rate", type=int, metavar="WPM", help="Speaking rate, words a minute."),
        click.option("--ambience", metavar="NAME|PATH|none", help="Replace the ambience."),
        click.option(
            "--tones",
            type=click.Choice(TONE_CHOICES.choices),
            help="Breath tone style of every breathe step.",
        ),
        click.option(
            "--met",
            metavar="PATTERN",
            help="The pace met at tap steps, without tapping, e.g. 3-4.",
        ),
        click.option(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            show_default=True,
            help="Seed of generated ambience.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def make_overrides(
    pace: str | None,
    params: tuple[str, ...],
    engine: str | None,
    voice: str | None,
    rate: int | None,
    ambience: str | None,
    tones: str | None,
    met: str | None = None,
) -> Overrides:
    values: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set takes NAME=VALUE, not '{item}'")
        values[name.strip()] = value
    return Overrides(
        pace=pace,
        params=values,
        engine=engine,
        voice=voice,
        rate_wpm=rate,
        ambience=ambience,
        tones=tones,
        met=met,
        names=OVERRIDE_FLAGS,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="coreg-audio")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also say what is done quietly, e.g. a damaged cache entry made again.",
)
def cli(verbose: bool) -> None:
    """Guided co-regulation practice audio from YAML scripts."""
    if verbose:
        say_more()


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_command(as_json: bool) -> None:
    """The practices on the search path."""
    with _progress_bar() as progress:
        rows = practice.list_practices(progress)
    if as_json:
        click.echo(json.dumps([row.to_json() for row in rows], indent=2, ensure_ascii=False))
        return
    for line in _list_table(rows):
        click.echo(line)


def _list_table(rows: list[practice.Listing]) -> list[str]:
    """Aligned columns: name, length, title, where the script was found."""
    table = [("NAME", "LENGTH", "TITLE", "WHERE")]
    for row in rows:
        length = mm_ss(row.duration_samples) if row.duration_samples else "?"
        length = f"~{length}" if row.estimated else length
        where = "built-in" if row.origin == "built-in" else _home_short(row.path.parent)
        table.append((row.name, length, row.title, where))
    widths = [max(len(cells[i]) for cells in table) for i in range(3)]
    return [
        f"{name:<{widths[0]}}  {length:>{widths[1]}}  {title:<{widths[2]}}  {where}"
        for name, length, title, where in table
    ]


def _home_short(folder: Path) -> str:
    home = Path.home()
    return f"~/{folder.relative_to(home)}" if folder.is_relative_to(home) else str(folder)


@cli.command()
@click.argument("script")
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
@click.option(
    "--plot",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Draw the practice into FILE (.png, .svg or .pdf) instead of printing it.",
)
@override_options
def show(script: str, as_json: bool, plot: Path | None, seed: int, **flags: Any) -> None:
    """Print the timeline of SCRIPT, or draw it with --plot."""
    if plot is not None:
        _show_plot(script, plot, as_json, make_overrides(**flags))
        return
    loaded = practice.load(script, make_overrides(**flags))
    timeline = practice.timeline_of(loaded)
    if as_json:
        click.echo(json.dumps(timeline.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(timeline.to_text())


def _show_plot(script: str, out: Path, as_json: bool, overrides: Overrides) -> None:
    from .output import plot

    if as_json:
        raise UsageError("--plot draws a picture and --json prints text; use one at a time")
    plot.picture_format(out)
    loaded = practice.load(script, overrides)
    timeline = plot.plot_practice(loaded, out, practice.timeline_of)
    click.echo(
        f"wrote {out} ({mm_ss(timeline.duration_samples)}, {len(timeline.chapters)} sections)"
    )


@cli.command("new")
@click.argument("name")
def new_command(name: str) -> None:
    """Write NAME.yaml here: a commented practice to change, valid as it is."""
    from .format.template import write_new

    path = write_new(name, Path.cwd())
    click.echo(
        f"wrote {path.name}; try: coreg-audio show {path.name} --plot "
        f"{path.stem}.png, then coreg-audio render {path.name}"
    )


@cli.command()
@click.argument("scripts", nargs=-1, required=True)
def validate(scripts: tuple[str, ...]) -> None:
    """Check each SCRIPT fully; print every problem."""
    worst = 0
    for ref in scripts:
        try:
            with _progress_bar() as progress:
                problems = practice.check_script(ref, progress)
        except CoregError as error:
            for line in error.lines():
                click.echo(line, err=True)
            worst = max(worst, error.exit_code)
            continue
        except Exception as error:  # a fault of ours in one file; the next is checked still
            click.echo(_unexpected(error), err=True)
            worst = max(worst, 1)
            continue
        for line in problems:
            click.echo(line, err=True)
        if problems:
            worst = max(worst, 1)
        else:
            click.echo(f"{ref}: valid")
    if worst:
        raise SystemExit(worst)


@cli.command()
@click.argument("script", required=False)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every practice on the search path, into --out-dir, with a playlist.",
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file, .mp3, .m4a, .opus or .wav [default: ./NAME.mp3].",
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --all: the folder [default: ./coreg-audio-tracks].",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --all: tracks rendered at once [default: one per core].",
)
@click.option(
    "--captions",
    is_flag=True,
    help="Also write NAME.lrc and NAME.vtt beside the track (--all always does).",
)
@click.option(
    "--html",
    "page",
    is_flag=True,
    help="Also write NAME.html beside the track: a pacer page for a browser (--all always does).",
)
@click.option("--album", metavar="TEXT", help="The album tag [default: coreg-audio practices].")
@click.option(
    "--bitrate",
    type=int,
    default=DEFAULT_BITRATE_KBPS,
    show_default=True,
    metavar="KBPS",
    help="Bitrate of MP3 (constant), M4A and Opus.",
)
@override_options
def render(
    script: str | None,
    every: bool,
    out: Path | None,
    out_dir: Path | None,
    jobs: int | None,
    captions: bool,
    page: bool,
    album: str | None,
    bitrate: int,
    seed: int,
    **flags: Any,
) -> None:
    """Render SCRIPT to an audio file, or every practice with --all."""
    overrides = make_overrides(**flags)
    if every:
        _render_all(script, out, out_dir, jobs, overrides, seed, bitrate, album)
        return
    if script is None:
        raise UsageError(
            "render needs a SCRIPT (a practice's name or .yaml file), or --all for every practice"
        )
    if out_dir is not None or jobs is not None:
        raise UsageError("--out-dir and --jobs go with --all; for one SCRIPT use -o")
    from .output import render as rendering
    from .output.captions import write_captions

    loaded = practice.load(script, overrides)
    target = out if out is not None else Path(f"{loaded.name}.mp3")
    options = rendering.RenderOptions(
        seed=seed, bitrate_kbps=bitrate, album=album or rendering.DEFAULT_ALBUM
    )
    with _progress_bar() as progress:
        timeline = rendering.render(loaded, target, options, progress)
    click.echo(
        f"wrote {target} ({mm_ss(timeline.duration_samples)}, {len(timeline.chapters)} chapters)"
    )
    if captions:
        lrc_path, vtt_path = write_captions(timeline, target)
        click.echo(f"wrote {lrc_path} and {vtt_path}")
    if page:
        from .output.page import write_page

        click.echo(f"wrote {write_page(timeline, target)}")


def _render_all(
    script: str | None,
    out: Path | None,
    out_dir: Path | None,
    jobs: int | None,
    overrides: Overrides,
    seed: int,
    bitrate: int,
    album: str | None,
) -> None:
    from .output import batch
    from .output.render import DEFAULT_ALBUM, RenderOptions

    if script is not None:
        raise UsageError(f"render takes a SCRIPT or --all, not both ('{script}' and --all)")
    if out is not None:
        raise UsageError(
            "--all writes NAME.mp3 for each practice into --out-dir; -o is for one SCRIPT"
        )
    options = batch.BatchOptions(
        render=RenderOptions(seed=seed, bitrate_kbps=bitrate, album=album or DEFAULT_ALBUM),
        out_dir=out_dir or batch.DEFAULT_OUT_DIR,
        overrides=overrides,
        jobs=jobs,
    )
    with _progress_bar() as progress:
        report = batch.render_all(options, progress)
    for track in report.tracks:
        click.echo(batch.describe(track))
        for line in track.problems:
            click.echo(line, err=True)
    for path in report.removed:
        click.echo(f"removed    {path.name}")
    index = f" and {report.index.name}" if report.index is not None else ""
    click.echo(
        f"wrote {report.playlist}{index} ({len(report.tracks)} practices: "
        f"{report.count('rendered')} rendered, {report.count('renumbered')} renumbered, "
        f"{report.count('unchanged')} unchanged, "
        f"{report.count('failed')} failed)"
    )
    if report.exit_code:
        raise SystemExit(report.exit_code)


@cli.command("voices")
@click.option(
    "--engine",
    type=click.Choice(ENGINES.choices),
    help="Only this engine's voices [default: every engine's; auto: the same].",
)
def voices_command(engine: str | None) -> None:
    """The voices each speech engine offers (use an id with --voice or 'voice: {name: ID}')."""
    from .speech import voices_by_engine

    for heading, listed in voices_by_engine(engine):
        if heading is not None:
            click.echo(heading)
        for info in listed:
            languages = ",".join(info.languages)
            line = f"{info.id:<28} {languages:<14} {info.gender or '':<7} {info.name}"
            click.echo(f"{line}  ({info.source})" if info.source else line)


@cli.command("play")
@click.argument("script")
@click.option(
    "--device",
    metavar="ID|NAME",
    help="Output device, an index or name from 'devices' [default: the system's].",
)
@click.option(
    "--no-tap",
    is_flag=True,
    help="At tap steps, use the script's 'meet' (or --met) instead of taps on the space bar.",
)
@override_options
def play_command(script: str, device: str | None, no_tap: bool, seed: int, **flags: Any) -> None:
    """Play SCRIPT through the sound card, with a breath pacer on screen."""
    from .live import play as playing
    from .live import screen

    overrides = make_overrides(**flags)
    loaded = practice.load(script, overrides)
    tapping = not no_tap and overrides.met is None and sys.stdin.isatty()
    try:
        with _progress_bar() as progress:
            session = playing.prepare(
                loaded,
                playing.PlayOptions(seed=seed, device=device, tapping=tapping),
                progress=progress,
            )
        result = playing.play(session, view=screen.open_view)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None
    if result.underruns:
        count = len(result.underruns)
        click.echo(
            f"{count} underrun{'s' if count > 1 else ''} (the first at "
            f"{mm_ss_tenths(result.underruns[0])}): the sound stopped for a moment while "
            "the computer was busy",
            err=True,
        )


@cli.command("devices")
def devices_command() -> None:
    """The sound output devices; * marks the default (use one with 'play --device')."""
    from .live.devices import no_device_error, output_devices

    listed = output_devices()
    if not listed:
        raise no_device_error("none is listed")
    for device in listed:
        mark = "*" if device.default else " "
        click.echo(
            f"{mark} {device.index:>3}  {device.name:<32} {device.channels:>3} ch  "
            f"{device.host_api}"
        )


@cli.command("cache")
@click.option("--clear", is_flag=True, help="Delete every cached clip, loop and gain.")
def cache_command(clear: bool) -> None:
    """Where speech, ambience loops and track gains are cached, and how much space they take."""
    from . import cache

    if clear:
        removed = cache.clear_cache()
        click.echo(f"cleared {removed} cached files from {cache.cache_root()}")
        return
    size_mb = cache.cache_size_bytes() / 1e6
    click.echo(f"{cache.cache_root()}  {size_mb:.1f} MB")


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn
    from rich.progress import Progress as Bar

    labels = {
        "speech": "Speaking",
        "measure": "Measuring",
        "adjust": "Adjusting",
        "write": "Writing",
        "tracks": "Rendering",
        "practices": "Reading",
    }
    with Bar(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TaskProgressColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                if total <= 0:
                    return  # nothing to do: no bar
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns (and exits with) the exit code."""
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    memory.return_large_blocks_when_freed()
    try:
        cli.main(args=argv, prog_name="coreg-audio", standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return int(error.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted; nothing was written", err=True)
        return EXIT_INTERRUPTED
    except CoregError as error:
        for line in error.lines():
            click.echo(line, err=True)
        return error.exit_code
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        click.echo(_unexpected(error), err=True)
        return 1
    return 0


def _unexpected(error: Exception) -> str:
    """The one line for a fault of coreg-audio's own (re-raised under COREG_AUDIO_DEBUG)."""
    if os.environ.get("COREG_AUDIO_DEBUG"):
        raise error
    return (
        f"coreg-audio: unexpected {type(error).__name__}: {error} "
        "(set COREG_AUDIO_DEBUG=1 for details, and please report it)"
    )


__all__ = ["cli", "main"]
