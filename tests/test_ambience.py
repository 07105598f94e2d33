"""Ambience sources: seamless loops addressed by position, by name or file, kept in the cache."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coreg_audio import cache as cache_module
from coreg_audio.audio import ambience_generated
from coreg_audio.audio.ambience import (
    LoopedAmbience,
    built_in,
    from_file,
    open_ambience,
)
from coreg_audio.cache import ArrayStore
from coreg_audio.errors import MissingComponent, UsageError
from coreg_audio.format.sounds import BUILT_IN_AMBIENCES

from .ambience_support import SR, built_in_sources, naive_loop, whole_loop
from .test_ambience_file import sine_file


@pytest.fixture(scope="module")
def sources() -> dict[str, LoopedAmbience]:
    """Every built-in, built once for the module."""
    return built_in_sources()


def test_the_built_in_names() -> None:
    assert BUILT_IN_AMBIENCES == ("ocean", "rain", "brown-noise", "pink-noise")


def test_an_unknown_name_is_a_usage_error_with_a_suggestion() -> None:
    with pytest.raises(UsageError) as caught:
        built_in("ocaen", 1)
    message = str(caught.value)
    assert "ocaen" in message and "did you mean 'ocean'" in message
    assert "\n" not in message
    assert caught.value.exit_code == 2


def test_a_block_across_the_wrap_joins_the_end_to_the_start(
    sources: dict[str, LoopedAmbience],
) -> None:
    source = sources["rain"]
    loop = whole_loop(source)
    block = source.block(source.loop_samples - 1000, 3000)
    assert np.array_equal(block, np.concatenate([loop[-1000:], loop[:2000]]))


def test_a_block_longer_than_the_loop_repeats_it() -> None:
    loop = np.random.default_rng(1).standard_normal((977, 2)).astype(np.float32)
    source = naive_loop(loop)
    assert np.array_equal(source.block(500, 5000), np.tile(loop, (7, 1))[500:5500])
    assert source.block(10, 0).shape == (0, 2)


@settings(max_examples=200, deadline=None)
@given(
    first=st.integers(min_value=-5000, max_value=5000),
    first_length=st.integers(min_value=0, max_value=3000),
    offset=st.integers(min_value=0, max_value=3000),
    second_length=st.integers(min_value=0, max_value=3000),
    first_asked_first=st.booleans(),
)
def test_overlapping_blocks_agree_whatever_the_order(
    first: int, first_length: int, offset: int, second_length: int, first_asked_first: bool
) -> None:
    loop = np.random.default_rng(2).standard_normal((1009, 2)).astype(np.float32)
    source = naive_loop(loop)
    second = first + min(offset, first_length)
    if first_asked_first:
        a, b = source.block(first, first_length), source.block(second, second_length)
    else:
        b, a = source.block(second, second_length), source.block(first, first_length)
    overlap = min(first + first_length, second + second_length) - second
    if overlap > 0:
        assert np.array_equal(a[second - first : second - first + overlap], b[:overlap])
    positions = (first + np.arange(first_length)) % loop.shape[0]
    assert np.array_equal(a, loop[positions])


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(min_value=-10 * SR, max_value=200 * SR),
    length=st.integers(min_value=1, max_value=5 * SR),
    inner=st.integers(min_value=0, max_value=5 * SR),
)
def test_a_real_ambience_is_a_pure_function_of_position(
    sources: dict[str, LoopedAmbience], start: int, length: int, inner: int
) -> None:
    source = sources["ocean"]
    inner = min(inner, length - 1)
    part = source.block(start + inner, length - inner)
    whole = source.block(start, length)
    assert np.array_equal(whole[inner:], part)


def test_blocks_are_fresh_arrays(sources: dict[str, LoopedAmbience]) -> None:
    source = sources["pink-noise"]
    block = source.block(0, 1000)
    expected = block.copy()
    block *= 0.0
    assert np.array_equal(source.block(0, 1000), expected)


def test_nothing_is_built_until_used_and_then_only_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = ambience_generated.GENERATORS["pink-noise"]

    def counting(rng: np.random.Generator, loop_samples: int) -> np.ndarray:
        calls.append(loop_samples)
        return real(rng, loop_samples)

    monkeypatch.setitem(ambience_generated.GENERATORS, "pink-noise", counting)
    source = built_in("pink-noise", 3)
    assert calls == []
    threads = [threading.Thread(target=source.block, args=(i * SR, SR)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    source.block(0, 10)
    assert len(calls) == 1


def test_a_negative_length_is_a_programming_error(sources: dict[str, LoopedAmbience]) -> None:
    with pytest.raises(ValueError):
        sources["rain"].block(0, -1)


def test_a_decoded_file_is_cached_by_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second use of a file needs no decoding (no ffmpeg at all), a changed file does."""
    monkeypatch.setenv("COREG_AUDIO_CACHE_DIR", str(tmp_path / "cache"))
    path = sine_file(tmp_path / "tone.mp3")
    first = from_file(path).block(0, SR)
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    np.testing.assert_array_equal(from_file(path).block(0, SR), first)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(MissingComponent):
        from_file(path)


def test_built_in_loops_are_cached_and_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COREG_AUDIO_CACHE_DIR", str(tmp_path / "cache"))
    made = built_in("rain", 3).block(0, SR)
    again = built_in("rain", 3)
    np.testing.assert_array_equal(again.block(0, SR), made)
    loop = again._get_loop()
    assert not loop.flags.owndata and isinstance(loop.base, np.memmap), "mapped from the cache"
    assert len(list((tmp_path / "cache" / "ambience").rglob("*.npy"))) == 1


def test_a_file_ambience_is_random_access_too(tmp_path: Path) -> None:
    source = from_file(sine_file(tmp_path / "tone.ogg", "-c:a", "libvorbis"))
    make: Callable[[int, int], np.ndarray] = source.block
    assert np.array_equal(make(-500, 4 * SR)[700:], make(200, 4 * SR - 700))


def test_a_sound_is_a_built_in_by_name_else_a_file(tmp_path: Path) -> None:
    assert open_ambience("rain", 3).name == "rain"
    tone = sine_file(tmp_path / "tone.flac")
    assert open_ambience(str(tone), 3).name == "tone.flac"
    with pytest.raises(UsageError, match="not found"):
        open_ambience(str(tmp_path / "rainy.wav"), 3)


@pytest.mark.parametrize("sealed", [True, False], ids=["written-so", "damaged-on-disk"])
def test_a_nan_in_a_cached_loop_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sealed: bool
) -> None:
    monkeypatch.setenv("COREG_AUDIO_CACHE_DIR", str(tmp_path / "cache"))
    made = built_in("rain", 3).block(0, 5 * SR)
    (entry,) = (tmp_path / "cache" / "ambience").rglob("*.npy")
    entries = ArrayStore(entry.parent.parent)
    loop = np.array(entries.get(entry.stem))
    loop[SR, 0] = np.nan
    if sealed:
        entries.put(entry.stem, loop)
    else:
        data = bytearray(entry.read_bytes())
        offset = len(data) - cache_module._SEAL_BYTES - loop.nbytes + SR * 2 * 4
        data[offset : offset + 4] = np.float32(np.nan).tobytes()
        entry.write_bytes(bytes(data))
    again = built_in("rain", 3).block(0, 5 * SR)
    assert np.isfinite(again).all()
    np.testing.assert_array_equal(again, made)
