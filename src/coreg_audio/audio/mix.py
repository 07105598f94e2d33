"""Mix a timeline into stereo float32 blocks, any block on demand.

``Mixer.block`` is a pure function of its position, so a render can measure
the track in one pass and write it in a second, and live playback can jump,
without ever holding the whole track. Each block sums only the events that
overlap it: the cost grows with the track's length plus the sounds' lengths.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .. import cache
from ..speech.voice import VoiceSettings
from ..timeline.events import (
    BeatEvent,
    BellEvent,
    Event,
    SpokenEvent,
    Timeline,
    ToneEvent,
)
from ..units import CHANNELS, db_to_gain, ms_to_samples, seconds_to_samples
from . import ambience as ambience_sources
from . import sounds

BLOCK_SAMPLES = seconds_to_samples(4)
BELL_LEVEL_DB = -8.0
"""The bowl's strike is about 6.5 LU above its whole ring; this puts the strike near speech."""
BEAT_LEVEL_DB = -9.0
"""Movement beats are felt more than heard, under the voice."""
DUCK_ATTACK_MS = 150.0
DUCK_RELEASE_MS = 600.0
_CENTRE_GAIN = math.sqrt(0.5)


class ClipSource(Protocol):
    """Speech clips: mono float32, trimmed and at the speech reference loudness."""

    def clip(self, text: str, voice: VoiceSettings) -> np.ndarray: ...


@dataclass(frozen=True)
class _Placed:
    start_samples: int
    end_samples: int
    event: Event


class _SoundCache:
    """The most recently used generated sounds, up to a size in bytes.

    A ramp of long tones makes every length different, so a count limit alone
    could hold a great deal; the newest sound always stays.
    """

    def __init__(self, capacity_bytes: int = 16 * 1024 * 1024) -> None:
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._capacity_bytes = capacity_bytes
        self._held_bytes = 0

    def get(self, key: Hashable, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self._items[key] = value
        self._held_bytes += value.nbytes
        while self._held_bytes > self._capacity_bytes and len(self._items) > 1:
            _, dropped = self._items.popitem(last=False)
            self._held_bytes -= dropped.nbytes
        return value


class Mixer:
    """The timeline's sound, before the master gain, as random-access stereo blocks."""

    def __init__(self, timeline: Timeline, clips: ClipSource, seed: int) -> None:
        self.timeline = timeline
        self._clips = clips
        self._events = [
            event for event in timeline.events if event.sounds and event.length_samples > 0
        ]
        self._starts = [event.start_samples for event in self._events]
        self._longest = max((event.length_samples for event in self._events), default=0)
        self._sounds = _SoundCache()
        self._bed = timeline.ambience
        self._seed = seed
        self._ambience = (
            ambience_sources.open_ambience(self._bed.sound, seed) if self._bed is not None else None
        )
        self._speaking = _merge_intervals(
            [(event.start_samples, event.end_samples) for event in timeline.spoken_events()],
            ms_to_samples(DUCK_ATTACK_MS + DUCK_RELEASE_MS),
        )
        self._speaking_ends = [end for _, end in self._speaking]

    @property
    def length_samples(self) -> int:
        return self.timeline.duration_samples

    @property
    def sample_rate_hz(self) -> int:
        return self.timeline.sample_rate_hz

    def fingerprint(self) -> str:
        """A hash of everything that decides the samples this mixer makes.

        The events, the speech clips' own samples (so a new engine or voice
        changes it), the ambience loop and the mixing code: two mixers with the
        same fingerprint make the same track, so its loudness can be measured once.
        """
        digest = hashlib.sha256()
        digest.update(
            cache.source_fingerprint(
                __file__, sounds.__file__, *ambience_sources.SOURCE_FILES
            ).encode()
        )
        digest.update(repr((self.timeline.duration_samples, self._bed)).encode())
        clips: dict[tuple[str, VoiceSettings], str] = {}
        for event in self._events:
            digest.update(repr(event).encode())
            if isinstance(event, SpokenEvent):
                key = (event.text, event.voice)
                if key not in clips:
                    clip = self._clips.clip(event.text, event.voice)
                    clips[key] = hashlib.sha256(np.ascontiguousarray(clip).data).hexdigest()
                digest.update(clips[key].encode())
        if self._bed is not None:
            digest.update(str(self._seed).encode())
            if self._ambience is not None and self._ambience.content is not None:
                digest.update(self._ambience.content.encode())
        return digest.hexdigest()

    def blocks(
        self, start_samples: int = 0, block_samples: int = BLOCK_SAMPLES
    ) -> Iterator[tuple[int, np.ndarray]]:
        """(position, block) from ``start_samples`` to the end of the track."""
        for position in range(start_samples, self.length_samples, block_samples):
            yield position, self.block(position, min(block_samples, self.length_samples - position))

    def block(self, start_samples: int, length_samples: int) -> np.ndarray:
        out = np.zeros((length_samples, CHANNELS), dtype=np.float32)
        end_samples = start_samples + length_samples
        first = bisect.bisect_left(self._starts, start_samples - self._longest)
        last = bisect.bisect_left(self._starts, end_samples)
        for event in self._events[first:last]:
            if event.end_samples <= start_samples:
                continue
            centre: np.float32 | None = None
            if isinstance(event, SpokenEvent):
                sound = self._clips.clip(event.text, event.voice)
                centre = np.float32(_CENTRE_GAIN * event.volume)
            else:
                sound = self.sound(event)
            begin = max(start_samples, event.start_samples)
            stop = min(end_samples, event.start_samples + sound.shape[0])
            if stop <= begin:
                continue
            part = sound[begin - event.start_samples : stop - event.start_samples]
            if centre is not None:
                part = (part * centre)[:, None]
            out[begin - start_samples : stop - start_samples] += part
        if self._ambience is not None and self._bed is not None:
            out += self._ambience_block(start_samples, length_samples)
        return out

    def sound(self, event: Event) -> np.ndarray:
        """The event's stereo sound at its mix level (level 0 dB = as loud as speech).

        Speech is mixed from its mono clip as it is (``block``); this stereo copy
        is for callers that want one sound alone.
        """
        if isinstance(event, SpokenEvent):
            clip = self._clips.clip(event.text, event.voice) * np.float32(
                _CENTRE_GAIN * event.volume
            )
            return np.repeat(clip[:, None], CHANNELS, axis=1)
        if isinstance(event, ToneEvent):

            def tone() -> np.ndarray:
                length = event.length_samples
                mono = (
                    sounds.glide_tone(length, event.phase, event.pitch_hz)
                    if event.style == "glide"
                    else sounds.chime(length, event.pitch_hz)
                )
                return sounds.pan(mono * db_to_gain(event.level_db), 0.0)

            return self._sounds.get(
                (
                    "tone",
                    event.style,
                    event.phase,
                    event.length_samples,
                    event.pitch_hz,
                    event.level_db,
                ),
                tone,
            )
        if isinstance(event, BeatEvent):
            return self._sounds.get(
                ("beat", event.accent, event.pan),
                lambda: sounds.pan(
                    sounds.movement_beat(bool(event.accent)) * db_to_gain(BEAT_LEVEL_DB), event.pan
                ),
            )
        if isinstance(event, BellEvent):
            return self._sounds.get(
                ("bell", event.length_samples),
                lambda: sounds.pan(
                    sounds.bell(event.length_samples) * db_to_gain(BELL_LEVEL_DB), 0.0
                ),
            )
        raise ValueError(f"nothing to mix for a {event.kind} event")

    def _ambience_block(self, start_samples: int, length_samples: int) -> np.ndarray:
        assert self._ambience is not None and self._bed is not None
        block = self._ambience.block(start_samples, length_samples)
        gain = self._ambience_gain(start_samples, length_samples)
        if isinstance(gain, float):
            block *= np.float32(gain)
        else:
            block *= gain[:, None]
        return block

    def _ambience_gain(self, start_samples: int, length_samples: int) -> float | np.ndarray:
        """The ambience's level, fades and ducking over one block.

        Most blocks lie wholly inside a steady stretch, so the gain is built as a
        constant and only the ramps that cross the block are computed.
        """
        assert self._bed is not None
        bed = self._bed
        gain = _Envelope(start_samples, length_samples, db_to_gain(bed.level_db))
        gain.ramp(0, bed.fade_in_samples, rising=True)
        gain.ramp(self.length_samples - bed.fade_out_samples, bed.fade_out_samples, rising=False)
        if bed.duck_db > 0:
            ducked = db_to_gain(-bed.duck_db)
            attack = ms_to_samples(DUCK_ATTACK_MS)
            release = ms_to_samples(DUCK_RELEASE_MS)
            end_samples = start_samples + length_samples
            index = bisect.bisect_left(self._speaking_ends, start_samples - release)
            while index < len(self._speaking):
                start, end = self._speaking[index]
                if start - attack >= end_samples:
                    break
                gain.duck(start - attack, attack, ducked, rising=True)
                gain.scale(start, end, ducked)
                gain.duck(end, release, ducked, rising=False)
                index += 1
        return gain.value()


class _Envelope:
    """A gain over one block, kept as a single number until some part of it varies."""

    def __init__(self, start_samples: int, length_samples: int, level: float) -> None:
        self._start = start_samples
        self._length = length_samples
        self._level = level
        self._curve: np.ndarray | None = None

    def _span(self, from_samples: int, to_samples: int) -> tuple[int, int] | None:
        begin = max(from_samples - self._start, 0)
        end = min(to_samples - self._start, self._length)
        return (begin, end) if end > begin else None

    def _curve_array(self) -> np.ndarray:
        if self._curve is None:
            self._curve = np.full(self._length, self._level, dtype=np.float32)
        return self._curve

    def scale(self, from_samples: int, to_samples: int, factor: float) -> None:
        span = self._span(from_samples, to_samples)
        if span is None:
            return
        if span == (0, self._length) and self._curve is None:
            self._level *= factor
            return
        self._curve_array()[span[0] : span[1]] *= np.float32(factor)

    def _shape(
        self, at_samples: int, length_samples: int, rising: bool
    ) -> tuple[tuple[int, int], np.ndarray] | None:
        span = self._span(at_samples, at_samples + length_samples)
        if span is None or length_samples <= 0:
            return None
        offsets = np.arange(span[0], span[1], dtype=np.float64) + self._start - at_samples
        position = offsets / length_samples
        return span, sounds.ease(position if rising else 1.0 - position)

    def ramp(self, at_samples: int, length_samples: int, rising: bool) -> None:
        """A fade: 0 → 1 across the ramp when rising (a fade in), 1 → 0 when not.

        Fades sit at the very start and end of the track, so nothing lies beyond them.
        """
        shaped = self._shape(at_samples, length_samples, rising)
        if shaped is not None:
            (begin, end), curve = shaped
            self._curve_array()[begin:end] *= curve.astype(np.float32)

    def duck(self, at_samples: int, length_samples: int, ducked: float, rising: bool) -> None:
        """Easing into the duck (rising) or out of it, in decibels so it sounds even."""
        shaped = self._shape(at_samples, length_samples, rising)
        if shaped is not None:
            (begin, end), depth = shaped
            factor = np.exp(np.log(ducked) * depth)
            self._curve_array()[begin:end] *= factor.astype(np.float32)

    def value(self) -> float | np.ndarray:
        return self._level if self._curve is None else self._curve


def _merge_intervals(intervals: list[tuple[int, int]], join_samples: int) -> list[tuple[int, int]]:
    """Sorted, non-overlapping intervals; those closer than ``join_samples`` become one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start - merged[-1][1] <= join_samples:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
