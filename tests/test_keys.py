"""Key presses on a real pseudo-terminal, and the terminal put back as it was."""

from __future__ import annotations

import io
import os
import pty
import termios
from collections.abc import Iterator

import pytest

from coreg_audio.live.keys import Keys, commands_in


@pytest.mark.parametrize(
    ("typed", "commands"),
    [
        (" ", ["space"]),
        ("rRnNqQ", ["restart", "restart", "next", "next", "quit", "quit"]),
        ("x7\t", []),
        ("\x1b[A\x1b[Bq", ["quit"]),
        ("\x1bOP n", ["space", "next"]),
        ("\x1b[1;5R r", ["space", "restart"]),
    ],
)
def test_keys_become_commands(typed: str, commands: list[str]) -> None:
    assert commands_in(typed) == commands


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    master, slave = pty.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


def test_keys_read_single_presses_without_echo_and_restore_the_terminal(
    terminal: tuple[int, int],
) -> None:
    master, slave = terminal
    before = termios.tcgetattr(slave)
    assert before[3] & termios.ECHO and before[3] & termios.ICANON
    with os.fdopen(os.dup(slave), "r") as stream, Keys(stream) as keys:
        assert keys.active
        during = termios.tcgetattr(slave)
        assert not during[3] & termios.ECHO and not during[3] & termios.ICANON
        assert during[3] & termios.ISIG, "Ctrl-C must still interrupt"
        assert keys.read(0.01) == []
        os.write(master, b" n")
        assert keys.read(1.0) == ["space", "next"]
    assert termios.tcgetattr(slave) == before


def test_the_terminal_is_restored_when_the_block_fails(terminal: tuple[int, int]) -> None:
    _, slave = terminal
    before = termios.tcgetattr(slave)
    with pytest.raises(KeyboardInterrupt), os.fdopen(os.dup(slave), "r") as stream, Keys(stream):
        raise KeyboardInterrupt
    assert termios.tcgetattr(slave) == before


def test_without_a_terminal_keys_are_inactive() -> None:
    with Keys(io.StringIO("q")) as keys:
        assert not keys.active
        assert keys.read(0.0) == []
    read, write = os.pipe()
    os.write(write, b"q")
    with os.fdopen(read, "r") as stream, Keys(stream) as keys:
        assert not keys.active and keys.read(0.0) == []
    os.close(write)
