"""The child side of the Piper engine: a worker process that holds one Piper voice in memory.

A Piper voice takes about 200 MB once loaded, so it lives here, never in the
process that mixes the track. The worker keeps the last voice it loaded and
loads another only when asked for it.

Piper draws random noise inside its model (the voice's small variations of pitch
and timing), from generators that onnxruntime seeds when the model is loaded and
that move on with every clip. To make every clip a function of its text, voice
and model alone, whatever was spoken before it, the worker seeds them, loads the
model, and never speaks itself: each clip is spoken in a child forked for it
alone, which starts from the same seeded state. (The worker runs onnxruntime on
one thread, so nothing else is running when it forks.) Where there is no fork,
clips are spoken here, and may differ slightly from run to run.

Messages over the connection (file descriptor argv[1])::

    on start  -> ("ready", {"piper-tts": VERSION, "onnxruntime": VERSION})
                 | ("missing", reason)
    ("speak", text, model, config, length_scale, timeout_s)
              -> ("ok", (float32 samples, sample rate)) | ("error", reason)
    ("quit",), or the parent gone -> the process exits

The clip is finished (trimmed, evened out) by the process that asked for it,
not here: the DSP it needs (scipy, some 70 MB) stays out of the worker, so a
worker and each clip's child stay within 300 MB beside the voice's 200.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import signal
import sys
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .worker_child import in_forked_child, reply

NOISE_SEED = 1
"""The seed of the model's noise generators: one fixed voice, run after run."""
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Set to 1 by the parent: one worker per core, each on one thread (and safe to fork)."""
MEMORY_VARIABLES = {"MALLOC_MMAP_THRESHOLD_": "131072"}
"""Set by the parent: a sentence's large buffers are mapped and unmapped, never kept in the heap.

The model's working memory grows with the sentence (some 15 MB a second of
speech); onnxruntime's own arena would keep it and round it up to a power of
two, and glibc's heap would keep what it gave back, so both are left out
(the clips do not change: only where memory comes from)."""


class LoadedVoice:
    """One Piper voice, loaded with seeded noise on a single thread."""

    def __init__(self, model: str, config: str) -> None:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        with open(config, encoding="utf-8") as file:
            settings = PiperConfig.from_dict(json.load(file))
        onnxruntime.set_seed(NOISE_SEED)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        session = onnxruntime.InferenceSession(
            model, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.key = (model, config)
        self.voice = PiperVoice(
            session=session, config=settings, download_dir=Path(tempfile.gettempdir())
        )
        self.voice.phonemize("ready")  # starts espeak-ng's phonemizer once, before any fork

    def speak(self, text: str, length_scale: float) -> tuple[Any, Any]:
        """Mono float32 samples in [-1, 1] and their rate (sentences joined as Piper speaks
        them)."""
        import numpy as np
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=length_scale, normalize_audio=False)
        chunks = [chunk.audio_float_array for chunk in self.voice.synthesize(text, config)]
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        return samples.astype(np.float32, copy=False), self.voice.config.sample_rate


def versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in ("piper-tts", "onnxruntime")}


def serve(conn: Connection) -> None:
    """Answer requests from ``conn`` until "quit" or until the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import onnxruntime  # noqa: F401
        import piper  # noqa: F401

        found = versions()
    except Exception as exc:
        reply(conn, ("missing", f"{type(exc).__name__}: {exc}"))
        os._exit(0)
    reply(conn, ("ready", found))
    loaded: LoadedVoice | None = None
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request[0] == "quit":
            break
        try:
            if request[0] != "speak":
                raise ValueError(f"unknown request {request[0]!r}")
            _, text, model, config, length_scale, timeout_s = request
            if loaded is None or loaded.key != (model, config):
                loaded = None  # one voice in memory at a time: let the last one go first
                loaded = LoadedVoice(model, config)
            speak = functools.partial(loaded.speak, text, length_scale)
            result = in_forked_child(speak, timeout_s) if hasattr(os, "fork") else speak()
            answer: tuple[str, Any] = ("ok", result)
        except Exception as exc:
            answer = ("error", f"{type(exc).__name__}: {exc}")
        if not reply(conn, answer):
            break
    os._exit(0)


def main(argv: list[str]) -> None:
    """Entry point: ``argv`` is ``[package root, connection fd]``."""
    serve(Connection(int(argv[1])))


if __name__ == "__main__":
    main(sys.argv)
