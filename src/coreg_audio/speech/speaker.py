"""The one speech object the rest of coreg-audio uses: text and voice in, finished clip out.

A clip comes from memory, else from the disk cache, else from its engine (then
processed and cached). Problems that belong to one spoken item (a voice the engine
lacks, a text that makes no sound) are raised by ``clip`` for that item, so the
compiler can report each at its own line; problems of the machine (no engine,
an engine that fails) are raised at once.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from ..errors import CoregError
from .cache import ClipCache, clip_key
from .choice import AUTO, concrete
from .clips import NoAudibleSound, process_clip
from .engine import (
    SilentSpeech,
    SpeechEngine,
    UnknownEngine,
    VoiceInfo,
    VoiceNotFound,
)
from .espeak_engine import EspeakEngine
from .piper_engine import PiperEngine
from .pyttsx3_engine import Pyttsx3Engine
from .voice import ENGINE_NAMES, FALLBACK_ENGINE, VoiceSettings

ENGINES: tuple[str, ...] = ENGINE_NAMES

EngineFactory = Callable[[str], SpeechEngine]
Item = tuple[str, VoiceSettings]


def create_engine(name: str) -> SpeechEngine:
    """A new engine by name; raises UnknownEngine (a usage error) for any other name.

    ``auto`` is a choice, not an engine: ``choice.concrete`` makes it one first.
    """
    if name == "pyttsx3":
        return Pyttsx3Engine()
    if name == "espeak":
        return EspeakEngine()
    if name == "piper":
        return PiperEngine()
    engines = [engine for engine in ENGINES if engine != AUTO]
    raise UnknownEngine(f"unknown speech engine {name!r}; choose one of: {', '.join(engines)}")


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


def voices_by_engine(engine: str | None = None) -> list[tuple[str | None, list[VoiceInfo]]]:
    """The voices of ``engine``, or of every engine under a heading each (``None`` or auto).

    pyttsx3 and the espeak program read the same espeak-ng voices on Linux: they are
    listed once, under one heading, when they agree. An engine that cannot start is
    listed with the reason and what to install.
    """
    if engine is not None and engine != AUTO:
        return [(None, voices(engine))]
    sections: list[tuple[str | None, list[VoiceInfo]]] = []
    try:
        natural = voices("piper")
        sections.append(
            (
                "piper: natural voices; auto speaks with the best one for the script's language",
                natural,
            )
            if natural
            else ("piper: no voice installed (the README says how to add one)", [])
        )
    except CoregError as problem:
        sections.append((f"piper: not available: {problem}", []))
    listed: dict[str, list[VoiceInfo] | CoregError] = {}
    for name in ("pyttsx3", "espeak"):
        try:
            listed[name] = voices(name)
        except CoregError as problem:
            listed[name] = problem
    if listed["pyttsx3"] == listed["espeak"]:
        both = listed["pyttsx3"]
        assert not isinstance(both, CoregError)
        sections.append(("pyttsx3 and espeak: espeak-ng voices; auto's fallback", both))
        return sections
    for name, found in listed.items():
        if isinstance(found, CoregError):
            sections.append((f"{name}: not available: {found}", []))
        else:
            role = "auto's fallback" if name == FALLBACK_ENGINE else "espeak-ng voices"
            sections.append((f"{name}: {role}", found))
    return sections


class Speaker:
    """Finished speech clips: mono float32 at our sample rate, trimmed, at speech loudness.

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
        """Synthesize every (text, voice) not yet cached, on one engine per core.

        Each engine (for Piper and pyttsx3, a worker process of its own) speaks one
        text at a time in its own thread, which then finishes the clip (trimming,
        evening out) while the other engines speak, so every core works.

        ``progress(done, total)`` counts the items that need an engine. An item's own
        problem is kept and raised when ``clip`` asks for that item.
        """
        missing: list[Item] = []
        for item in dict.fromkeys(self._concrete(item) for item in items):
            if item in self._clips or item in self._failures:
                continue
            if self._from_disk(item) is None and item not in self._failures:
                missing.append(item)
        if progress is not None:
            progress(0, len(missing))
        done = 0
        cores = os.cpu_count() or 1
        for engine_name in dict.fromkeys(voice.engine for _, voice in missing):
            # Longest first, so no engine is left with a long sentence while the others idle.
            batch = sorted(
                (item for item in missing if item[1].engine == engine_name),
                key=lambda item: -len(item[0]),
            )
            engines = self._engines_for(batch[0][1], min(cores, len(batch)))
            free: queue.SimpleQueue[SpeechEngine] = queue.SimpleQueue()
            for engine in engines:
                free.put(engine)
            try:
                with ThreadPoolExecutor(max_workers=len(engines)) as pool:
                    futures = [pool.submit(self._make_clip, item, free) for item in batch]
                    try:
                        for future in as_completed(futures):
                            future.result()
                            done += 1
                            if progress is not None:
                                progress(done, len(missing))
                    except BaseException:
                        for future in futures:
                            future.cancel()
                        raise
            finally:
                for extra in engines[1:]:
                    extra.close()

    def clip(self, text: str, voice: VoiceSettings) -> np.ndarray:
        """Mono float32 at our sample rate: trimmed, loudness-normalized, faded; cached."""
        item = self._concrete((text, voice))
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

    def cached(self, text: str, voice: VoiceSettings) -> np.ndarray | None:
        """The clip if it is in memory or in the disk cache; None, without speaking, if not."""
        item = self._concrete((text, voice))
        found = self._clips.get(item)
        if found is not None or item in self._failures:
            return found
        return self._from_disk(item)

    def concrete(self, voice: VoiceSettings) -> VoiceSettings:
        """``voice`` with ``auto`` made the engine it stands for."""
        return self._concrete(("", voice))[1]

    def close(self) -> None:
        """Stop every engine process; the Speaker can still serve clips it already has."""
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @staticmethod
    def _concrete(item: Item) -> Item:
        """``auto`` made an engine here too, for callers that did not resolve it first."""
        text, voice = item
        return (text, concrete(voice)) if voice.engine == AUTO else item

    def _engines_for(self, voice: VoiceSettings, count: int) -> list[SpeechEngine]:
        """This Speaker's engine for ``voice`` and up to ``count - 1`` more, for one batch."""
        first = self._engine(voice)
        extras: list[SpeechEngine] = []
        try:
            for _ in range(count - 1):
                extras.append(self._engine_factory(voice.engine))
        except BaseException:
            for extra in extras:
                extra.close()
            raise
        return [first, *extras]

    def _make_clip(self, item: Item, free: queue.SimpleQueue[SpeechEngine]) -> None:
        """Speak and finish one clip on whichever engine is free; keep an item's own problem."""
        engine = free.get()
        try:
            self._synthesize(item, engine)
        except (VoiceNotFound, SilentSpeech) as problem:
            self._failures[item] = problem
        finally:
            free.put(engine)

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

    def _synthesize(self, item: Item, engine: SpeechEngine | None = None) -> np.ndarray:
        """Speak and finish ``item`` (on ``engine``, else this Speaker's own) and keep it.

        The clip is finished here, in this thread (numpy lets the other threads run).
        """
        text, voice = item
        failure = self._failures.get(item)
        if failure is not None:
            raise failure.with_traceback(None)
        if not text.strip():
            raise SilentSpeech(text, "there is nothing to speak: the text is empty")
        speaker = engine or self._engine(voice)
        audio = speaker.synthesize(text, voice)
        return self._keep(
            item, self._processed(item, lambda: process_clip(audio.samples, audio.sample_rate_hz))
        )

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
