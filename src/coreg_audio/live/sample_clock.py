"""The stream's own count of samples, as the one clock of live playback.

The screen reads the track position from it, so what is shown cannot drift
from what is heard, however long the practice.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class _Mark:
    frame: int
    track_samples: int
    advancing: bool


class SampleClock:
    """Which track sample the stream carried at each of its samples.

    The stream's count of samples is the clock; the marks record where that
    count stopped following the track (a pause, a jump, silence at the end).
    Marks older than ``keep_frames`` are dropped, so memory stays flat over any length.
    """

    def __init__(self, keep_frames: int) -> None:
        self._marks: list[_Mark] = [_Mark(0, 0, False)]
        self._keep_frames = keep_frames
        self._lock = threading.Lock()
        self.frames = 0

    def played(self, track_start_samples: int, count: int) -> None:
        """``count`` samples of the track from ``track_start_samples`` went out."""
        with self._lock:
            last = self._marks[-1]
            continuing = (
                last.advancing
                and last.track_samples + self.frames - last.frame == track_start_samples
            )
            if not continuing:
                self._append(_Mark(self.frames, track_start_samples, True))
            self.frames += count

    def held(self, count: int) -> None:
        """``count`` samples of silence went out; the track stood still."""
        with self._lock:
            last = self._marks[-1]
            if last.advancing:
                self._append(_Mark(self.frames, self._track_at(self.frames), False))
            self.frames += count

    def track_at(self, frame: int) -> int:
        with self._lock:
            return self._track_at(frame)

    def _track_at(self, frame: int) -> int:
        index = bisect.bisect_right([mark.frame for mark in self._marks], frame) - 1
        mark = self._marks[max(index, 0)]
        if not mark.advancing or frame < mark.frame:
            return mark.track_samples
        return mark.track_samples + frame - mark.frame

    def _append(self, mark: _Mark) -> None:
        self._marks.append(mark)
        while len(self._marks) > 2 and self._marks[1].frame < mark.frame - self._keep_frames:
            del self._marks[0]
