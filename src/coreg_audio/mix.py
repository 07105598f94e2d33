"""Mix a timeline into stereo float32 blocks, any block on demand.

``Mixer.block`` is a pure function of its position, so a render can measure
the track in one pass and write it in a second, and live playback can jump,
without ever holding the whole track. Each block sums only the events that
overlap it: the cost grows with the track's length plus the sounds' lengths.
"""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from . import ambience as ambience_sources
from . import sounds
from .speech.voice import VoiceSettings
from .timeline import AmbienceBed, Event, Timeline
from .units import CHANNELS, db_to_gain, ms_to_samples, seconds_to_samples

BLOCK_SAMPLES = seconds_to_samples(4)
BELL_LEVEL_DB = -8.0
"""The bowl's strike is about 6.5 LU above its whole ring; this puts the strike near speech."""
BEAT_LEVEL_DB = -9.0
"""Movement beats are felt more than heard, under the voice."""
DUCK_ATTACK_MS = 150.0
DUCK_RELEASE_MS = 600.0
DEFAULT_SEED = 1
"""The ambience seed when none is given, so renders repeat exactly (cli.py says it too)."""
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

    def __init__(self, capacity_bytes: int = 64 * 1024 * 1024) -> None:
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

    def __init__(self, timeline: Timeline, clips: ClipSource, seed: int = DEFAULT_SEED) -> None:
        self.timeline = timeline
        self._clips = clips
        self._events = [event for event in timeline.events
                        if event.kind != "section" and event.length_samples > 0]
        self._starts = [event.start_samples for event in self._events]
        self._longest = max((event.length_samples for event in self._events), default=0)
        self._sounds = _SoundCache()
        self._speech: dict[tuple[str, VoiceSettings, float], np.ndarray] = {}
        self._bed = timeline.ambience
        self._ambience = _open_ambience(self._bed, seed) if self._bed is not None else None
        self._speaking = _merge_intervals(
            [(event.start_samples, event.end_samples) for event in timeline.spoken_events()],
            ms_to_samples(DUCK_ATTACK_MS + DUCK_RELEASE_MS))
        self._speaking_ends = [end for _, end in self._speaking]

    @property
    def length_samples(self) -> int:
        return self.timeline.duration_samples

    def blocks(self, start_samples: int = 0,
               block_samples: int = BLOCK_SAMPLES) -> Iterator[tuple[int, np.ndarray]]:
        """(position, block) from ``start_samples`` to the end of the track."""
        for position in range(start_samples, self.length_samples, block_samples):
            yield position, self.block(position, min(block_samples,
                                                     self.length_samples - position))

    def block(self, start_samples: int, length_samples: int) -> np.ndarray:
        out = np.zeros((length_samples, CHANNELS), dtype=np.float32)
        end_samples = start_samples + length_samples
        first = bisect.bisect_left(self._starts, start_samples - self._longest)
        last = bisect.bisect_left(self._starts, end_samples)
        for event in self._events[first:last]:
            if event.end_samples <= start_samples:
                continue
            sound = self._sound(event)
            begin = max(start_samples, event.start_samples)
            stop = min(end_samples, event.start_samples + sound.shape[0])
            if stop > begin:
                out[begin - start_samples:stop - start_samples] += \
                    sound[begin - event.start_samples:stop - event.start_samples]
        if self._ambience is not None and self._bed is not None:
            out += self._ambience_block(start_samples, length_samples)
        return out

    def _sound(self, event: Event) -> np.ndarray:
        """The event's stereo sound at its mix level (level 0 dB = as loud as speech)."""
        if event.spoken:
            assert event.text is not None and event.voice is not None
            key = (event.text, event.voice, event.volume)
            if key not in self._speech:
                clip = self._clips.clip(event.text, event.voice) * (_CENTRE_GAIN * event.volume)
                self._speech[key] = np.repeat(clip[:, None], CHANNELS, axis=1)
            return self._speech[key]
        if event.kind == "tone":
            def tone() -> np.ndarray:
                length = event.length_samples
                pitch = event.pitch_hz or 196.0
                mono = (sounds.glide_tone(length, event.phase or "inhale", pitch)
                        if event.style == "glide" else sounds.chime(length, pitch))
                return sounds.pan(mono * db_to_gain(event.level_db), 0.0)
            return self._sounds.get(("tone", event.style, event.phase, event.length_samples,
                                     event.pitch_hz, event.level_db), tone)
        if event.kind == "beat":
            return self._sounds.get(
                ("beat", event.accent, event.pan),
                lambda: sounds.pan(sounds.movement_beat(bool(event.accent))
                                   * db_to_gain(BEAT_LEVEL_DB), event.pan or 0.0))
        if event.kind == "bell":
            return self._sounds.get(
                ("bell", event.length_samples),
                lambda: sounds.pan(sounds.bell(event.length_samples) * db_to_gain(BELL_LEVEL_DB),
                                   0.0))
        raise ValueError(f"nothing to mix for a {event.kind} event")

    def _ambience_block(self, start_samples: int, length_samples: int) -> np.ndarray:
        assert self._ambience is not None and self._bed is not None
        bed = self._bed
        positions = np.arange(start_samples, start_samples + length_samples, dtype=np.float64)
        gain = np.full(length_samples, db_to_gain(bed.level_db), dtype=np.float64)
        gain *= _fade_in_out(positions, bed.fade_in_samples, bed.fade_out_samples,
                             self.length_samples)
        gain *= self._duck_gain(positions)
        block = self._ambience.block(start_samples, length_samples)
        return (block * gain[:, None]).astype(np.float32)

    def _duck_gain(self, positions: np.ndarray) -> np.ndarray:
        """Ambience gain under speech: down ``duck_db`` while a voice speaks, eased in and out."""
        assert self._bed is not None
        depth = np.zeros(positions.shape[0], dtype=np.float64)
        if self._bed.duck_db <= 0 or not self._speaking:
            return np.ones_like(depth)
        attack = ms_to_samples(DUCK_ATTACK_MS)
        release = ms_to_samples(DUCK_RELEASE_MS)
        first_position, last_position = positions[0], positions[-1]
        index = bisect.bisect_left(self._speaking_ends, first_position - release)
        while index < len(self._speaking):
            start, end = self._speaking[index]
            if start - attack > last_position:
                break
            rising = (positions - (start - attack)) / attack
            falling = 1.0 - (positions - end) / release
            np.maximum(depth, sounds.ease(np.minimum(rising, falling)), out=depth)
            index += 1
        return np.power(10.0, -self._bed.duck_db * depth / 20.0)


def _open_ambience(bed: AmbienceBed, seed: int) -> ambience_sources.AmbienceSource:
    if bed.sound in ambience_sources.BUILT_IN_AMBIENCES:
        return ambience_sources.built_in(bed.sound, seed)
    return ambience_sources.from_file(Path(bed.sound))


def _fade_in_out(positions: np.ndarray, fade_in_samples: int, fade_out_samples: int,
                 length_samples: int) -> np.ndarray:
    """Raised-cosine fade in from the start and out to the end of the track."""
    gain = np.ones(positions.shape[0], dtype=np.float64)
    if fade_in_samples > 0:
        gain *= sounds.ease(positions / fade_in_samples)
    if fade_out_samples > 0:
        gain *= sounds.ease((length_samples - positions) / fade_out_samples)
    return gain


def _merge_intervals(intervals: list[tuple[int, int]], join_samples: int) -> list[tuple[int, int]]:
    """Sorted, non-overlapping intervals; those closer than ``join_samples`` become one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start - merged[-1][1] <= join_samples:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
