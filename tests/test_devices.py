"""Choosing the sound output device by index or name, and saying what to do without one."""

from __future__ import annotations

import pytest

from coreg_audio.errors import MissingComponent, UsageError
from coreg_audio.live.devices import OutputDevice, choose_device

DEVICES = [
    OutputDevice(0, "pulse", 32, "ALSA", False),
    OutputDevice(1, "default", 32, "ALSA", True),
    OutputDevice(4, "HDA Intel PCH: ALC892 Analog (hw:0,0)", 2, "ALSA", False),
    OutputDevice(5, "HDA Intel PCH: HDMI 0 (hw:0,3)", 8, "ALSA", False),
]


def test_a_device_is_chosen_by_index_or_name() -> None:
    assert choose_device(None, DEVICES) is None
    assert choose_device("4", DEVICES) == 4
    assert choose_device("PULSE", DEVICES) == 0
    assert choose_device("hdmi", DEVICES) == 5
    assert choose_device(None, DEVICES[2:]) == 4


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("9", "is not an output device"),
        ("hda intel", "matches more than one"),
        ("speakers", "is not an output device"),
    ],
)
def test_an_unknown_device_lists_the_devices(spec: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        choose_device(spec, DEVICES)
    message = str(caught.value)
    assert words in message and "0 pulse; 1 default; 4 HDA" in message


def test_no_device_at_all_is_a_missing_component() -> None:
    with pytest.raises(MissingComponent, match=r"no sound output device.*coreg-audio render"):
        choose_device(None, [])
