"""Where the keys jump to: the start of the step being heard, or of the next section."""

from __future__ import annotations

import bisect

from ..timeline.events import CycleEvent, Event, SectionEvent, SpeechEvent, Timeline


def step_runs(timeline: Timeline) -> list[int]:
    """The start of every step as it plays: each repeat's pass of a step is its own run.

    Events share the path of their step (a repeat's inner steps are dotted
    paths); a new run begins where the path changes, at every spoken ``say``
    (one per pass; words spoken over a step are part of its run), and where a
    step's cycle count starts again.
    """
    starts: list[int] = []
    previous: Event | None = None
    for event in timeline.events:
        if isinstance(event, SectionEvent):
            continue
        new_run = (
            previous is None
            or event.step != previous.step
            or (isinstance(event, SpeechEvent) and not isinstance(event, CycleEvent))
            or (
                isinstance(event, CycleEvent)
                and isinstance(previous, CycleEvent)
                and event.cycle < previous.cycle
            )
        )
        if new_run:
            starts.append(event.start_samples)
        previous = event
    return starts


def step_start(timeline: Timeline, position_samples: int) -> int:
    """Where the step being heard at ``position_samples`` began (0 before the first)."""
    starts = step_runs(timeline)
    index = bisect.bisect_right(starts, position_samples) - 1
    return starts[index] if index >= 0 else 0


def next_section_start(timeline: Timeline, position_samples: int) -> int | None:
    """The start of the first section after ``position_samples``; None in the last one."""
    for chapter in timeline.chapters:
        if chapter.start_samples > position_samples:
            return chapter.start_samples
    return None
