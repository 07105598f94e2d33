"""Sound output devices: which there are, which one to play on, and its stream.

``sounddevice`` is imported only here and only when playing or listing
devices: without PortAudio it fails at import, and every other command must
still work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from ..errors import MissingComponent, UsageError
from ..units import CHANNELS

OUTPUT_LATENCY_S = 0.3
"""The sound card's buffer: room for the callback to be late on a busy machine.

With PortAudio's "high" default (35 ms through ALSA to PulseAudio) a two-core
machine loaded by other work underran a few times a minute, and at 0.2 s now
and then; the screen subtracts this latency, and keys still act within 0.3 s.
"""

NO_PORTAUDIO = (
    "cannot play: the PortAudio library is missing; install libportaudio2 "
    "(sudo apt-get install libportaudio2), or use 'coreg-audio render' to make a file"
)


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
StreamFactory = Callable[[Callback, int], OutputStream]
"""Opens a stream that calls the callback, at a sample rate in Hz."""


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
    """Opens a float32 stereo stream on ``device``, at the rate the player asks for."""
    sd = sounddevice_module()

    def open_stream(callback: Callback, sample_rate_hz: int) -> OutputStream:
        try:
            stream: OutputStream = sd.OutputStream(
                samplerate=sample_rate_hz,
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
