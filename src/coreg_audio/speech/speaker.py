"""The one speech object the rest of coreg-audio uses: text and voice in, finished clip out.

A clip comes from memory, else from the disk cache, else from its engine (then
processed and cached). Problems that belong to one spoken item (a voice the engine
lacks, a text that makes no sound) are raised by ``clip`` for that item, so the
compiler can report each at its own line; problems of the machine (no engine,
an engine that fails) are raised at once.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import CoregError
from .cache import ClipCache, clip_key
from .clips import NoAudibleSound, process_clip
from .engine import (
    EngineAudio,
    SilentSpeech,
    SpeechEngine,
    UnknownEngine,
    VoiceInfo,
    VoiceNotFound,
)
from .espeak_engine import EspeakEngine
from .pyttsx3_engine import Pyttsx3Engine
from .voice import ENGINE_NAMES, VoiceSettings

ENGINES: tuple[str, ...] = ENGINE_NAMES

EngineFactory = Callable[[str], SpeechEngine]
Item = tuple[str, VoiceSettings]


def create_engine(name: str) -> SpeechEngine:
    """A new engine by name; raises UnknownEngine (a usage error) for any other name."""
    if name == "pyttsx3":
        return Pyttsx3Engine()
    if name == "espeak":
        return EspeakEngine()
    raise UnknownEngine(f"unknown speech engine {name!r}; choose one of: {', '.join(ENGINES)}")


def voices(engine: str) -> list[VoiceInfo]:
    """Every voice ``engine`` offers, by language, variants last, for ``coreg-audio voices``."""
    speech_engine = create_engine(engine)
    try:
        listed = speech_engine.voices()
    finally:
        speech_engine.close()
    return sorted(
        listed, key=lambda v: (v.is_variant, v.languages[:1], v.name.lower(), v.id.lower())
    )


class Speaker:
    """Finished speech clips: mono float32 at SAMPLE_RATE_HZ, trimmed, at speech loudness.

    Clips are shared and read-only. Engines start on the first cache miss and stop at
    ``close()`` (or the end of a ``with`` block).
    """

    def __init__(
        self, cache_dir: Path | None = None, *, engine_factory: EngineFactory = create_engine
    ) -> None:
        self._cache = ClipCache(cache_dir)
        self._engine_factory = engine_factory
        self._engines: dict[str, SpeechEngine] = {}
        self._clips: dict[Item, np.ndarray] = {}
        self._failures: dict[Item, CoregError] = {}

    def prepare(
        self,
        items: Iterable[tuple[str, VoiceSettings]],
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Synthesize every (text, voice) not yet cached, one engine process for the batch.

        The engine speaks one text at a time while threads finish the clips it has
        already spoken (trimming, evening out), so both cores work.

        ``progress(done, total)`` counts the items that need the engine. An item's own
        problem is kept and raised when ``clip`` asks for that item.
        """
        missing: list[Item] = []
        for item in dict.fromkeys(items):
            if item in self._clips or item in self._failures:
                continue
            if self._from_disk(item) is None and item not in self._failures:
                missing.append(item)
        if progress is not None:
            progress(0, len(missing))
        workers = os.cpu_count() or 1
        finishing: deque[tuple[Item, Future[np.ndarray]]] = deque()
        completed = 0

        def completed_one() -> None:
            nonlocal completed
            completed += 1
            if progress is not None:
                progress(completed, len(missing))

        def finish_oldest() -> None:
            item, future = finishing.popleft()
            try:
                self._keep(item, self._processed(item, future.result))
            except SilentSpeech as problem:
                self._failures[item] = problem
            completed_one()

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for item in missing:
                try:
                    audio = self._speak(item)
                except (VoiceNotFound, SilentSpeech) as problem:
                    self._failures[item] = problem
                    completed_one()
                    continue
                finishing.append(
                    (item, pool.submit(process_clip, audio.samples, audio.sample_rate_hz))
                )
                while finishing and (finishing[0][1].done() or len(finishing) > 2 * workers):
                    finish_oldest()
            while finishing:
                finish_oldest()

    def clip(self, text: str, voice: VoiceSettings) -> np.ndarray:
        """Mono float32 at SAMPLE_RATE_HZ: trimmed, loudness-normalized, faded; cached."""
        item = (text, voice)
        found = self._clips.get(item)
        if found is not None:
            return found
        failure = self._failures.get(item)
        if failure is not None:
            raise failure.with_traceback(None)
        cached = self._from_disk(item)
        if cached is not None:
            return cached
        try:
            return self._synthesize(item)
        except (VoiceNotFound, SilentSpeech) as problem:
            self._failures[item] = problem
            raise

    def close(self) -> None:
        """Stop every engine process; the Speaker can still serve clips it already has."""
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _engine(self, voice: VoiceSettings) -> SpeechEngine:
        engine = self._engines.get(voice.engine)
        if engine is None:
            try:
                engine = self._engine_factory(voice.engine)
            except UnknownEngine as error:
                raise VoiceNotFound(voice, str(error)) from error
            self._engines[voice.engine] = engine
        return engine

    def _key(self, item: Item) -> str:
        text, voice = item
        return clip_key(text, voice, self._engine(voice).version())

    def _from_disk(self, item: Item) -> np.ndarray | None:
        try:
            key = self._key(item)
        except VoiceNotFound as problem:
            self._failures[item] = problem
            return None
        clip = self._cache.get(key)
        if clip is not None:
            clip.flags.writeable = False
            self._clips[item] = clip
        return clip

    def _synthesize(self, item: Item) -> np.ndarray:
        audio = self._speak(item)
        return self._keep(
            item, self._processed(item, lambda: process_clip(audio.samples, audio.sample_rate_hz))
        )

    def _speak(self, item: Item) -> EngineAudio:
        """The engine's raw speech for ``item``."""
        text, voice = item
        failure = self._failures.get(item)
        if failure is not None:
            raise failure.with_traceback(None)
        if not text.strip():
            raise SilentSpeech(text, "there is nothing to speak: the text is empty")
        return self._engine(voice).synthesize(text, voice)

    @staticmethod
    def _processed(item: Item, process: Callable[[], np.ndarray]) -> np.ndarray:
        """The finished clip, or SilentSpeech when the engine's audio holds no sound."""
        text, voice = item
        try:
            return process()
        except NoAudibleSound as error:
            raise SilentSpeech(
                text, f"the {voice.engine} speech engine made no sound for {text!r}; give it words"
            ) from error

    def _keep(self, item: Item, clip: np.ndarray) -> np.ndarray:
        self._cache.put(self._key(item), clip)
        clip.flags.writeable = False
        self._clips[item] = clip
        return clip
