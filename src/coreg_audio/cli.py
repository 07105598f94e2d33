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

from . import __version__, practice
from .errors import CoregError, UsageError
from .overrides import Overrides
from .practice import Progress
from .speech.voice import ENGINE_NAMES
from .timeline import clock_mm_ss

EXIT_INTERRUPTED = 130
DEFAULT_SEED = 1
DEFAULT_BITRATE_KBPS = 128
F = TypeVar("F", bound=Callable[..., Any])


def override_options(command: F) -> F:
    """The flags that change a script for one run (cli.md, OVERRIDES)."""
    options = [
        click.option("--pace", metavar="PATTERN",
                     help="Starting pattern of every breathe step, e.g. 4-6 or 4-7-8."),
        click.option("--set", "params", metavar="NAME=VALUE", multiple=True,
                     help="Fill a {NAME} placeholder; repeatable."),
        click.option("--engine", type=click.Choice(ENGINE_NAMES), help="Speech engine."),
        click.option("--voice", metavar="ID", help="The engine's voice id (see 'voices')."),
        click.option("--rate", type=int, metavar="WPM", help="Speaking rate, words a minute."),
        click.option("--ambience", metavar="NAME|PATH|none", help="Replace the ambience."),
        click.option("--tones", type=click.Choice(("glide", "chime", "none")),
                     help="Breath tone style of every breathe step."),
        click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
                     help="Seed of generated ambience."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def make_overrides(pace: str | None, params: tuple[str, ...], engine: str | None,
                   voice: str | None, rate: int | None, ambience: str | None,
                   tones: str | None) -> Overrides:
    values: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set takes NAME=VALUE, not '{item}'")
        values[name.strip()] = value
    return Overrides(pace=pace, params=values, engine=engine, voice=voice, rate_wpm=rate,
                     ambience=ambience, tones=tones)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="coreg-audio")
def cli() -> None:
    """Guided co-regulation practice audio from YAML scripts."""


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_command(as_json: bool) -> None:
    """The practices on the search path."""
    rows = practice.list_practices()
    if as_json:
        click.echo(json.dumps([row.to_json() for row in rows], indent=2, ensure_ascii=False))
        return
    for row in rows:
        length = clock_mm_ss(row.duration_samples)[:5] if row.duration_samples else "  ?  "
        click.echo(f"{row.name:<20} {length}  {row.title}  [{row.origin}]")


@cli.command()
@click.argument("script")
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
@override_options
def show(script: str, as_json: bool, seed: int, **flags: Any) -> None:
    """Print the timeline of SCRIPT."""
    loaded = practice.load(script, make_overrides(**flags))
    timeline = practice.timeline_of(loaded)
    if as_json:
        click.echo(json.dumps(timeline.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(timeline.to_text())


@cli.command()
@click.argument("scripts", nargs=-1, required=True)
def validate(scripts: tuple[str, ...]) -> None:
    """Check each SCRIPT fully; print every problem."""
    worst = 0
    for ref in scripts:
        try:
            problems = practice.check_script(ref)
        except CoregError as error:
            for line in error.lines():
                click.echo(line, err=True)
            worst = max(worst, error.exit_code)
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
@click.argument("script")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file, .mp3 or .wav [default: ./NAME.mp3].")
@click.option("--bitrate", type=int, default=DEFAULT_BITRATE_KBPS, show_default=True,
              metavar="KBPS", help="MP3 constant bitrate.")
@override_options
def render(script: str, out: Path | None, bitrate: int, seed: int, **flags: Any) -> None:
    """Render SCRIPT to an audio file."""
    from . import render as rendering

    loaded = practice.load(script, make_overrides(**flags))
    target = out if out is not None else Path(f"{loaded.name}.mp3")
    with _progress_bar() as progress:
        timeline = rendering.render(loaded, target, rendering.RenderOptions(
            seed=seed, bitrate_kbps=bitrate), progress)
    click.echo(f"wrote {target} ({clock_mm_ss(timeline.duration_samples)[:5]}, "
               f"{len(timeline.chapters)} chapters)")


@cli.command("voices")
@click.option("--engine", type=click.Choice(ENGINE_NAMES), default=ENGINE_NAMES[0],
              show_default=True)
def voices_command(engine: str) -> None:
    """The voices a speech engine offers (use an id with --voice or 'voice: {name: ID}')."""
    from .speech import voices

    for info in voices(engine):
        languages = ",".join(info.languages)
        click.echo(f"{info.id:<28} {languages:<14} {info.gender or '':<7} {info.name}")


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn
    from rich.progress import Progress as Bar

    labels = {"speech": "Speaking", "measure": "Measuring", "write": "Writing"}
    with Bar(TextColumn("{task.description:<10}"), BarColumn(), TaskProgressColumn(),
             console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=max(total, 1))
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
        if os.environ.get("COREG_AUDIO_DEBUG"):
            raise
        click.echo(f"coreg-audio: unexpected {type(error).__name__}: {error} "
                   "(set COREG_AUDIO_DEBUG=1 for details, and please report it)", err=True)
        return 1
    return 0


__all__ = ["cli", "main"]
