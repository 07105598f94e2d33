"""The library's front door: listing reports its progress as it goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from coreg_audio.library import available
from coreg_audio.practice import list_practices


@pytest.mark.slow
def test_listing_reports_each_practice_then_the_end(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Slow only when the speech cache is cold: listing speaks every practice once."""
    monkeypatch.setenv("COREG_AUDIO_PATH", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "broken.yaml").write_text("title: Broken\nsteps: []\n")
    calls: list[tuple[str, int, int]] = []
    rows = list_practices(lambda stage, done, total: calls.append((stage, done, total)))
    total = len(available())
    assert len(rows) == total
    assert calls == [("practices", done, total) for done in range(total + 1)]
    broken = next(row for row in rows if row.name == "broken")
    assert broken.problem is not None and broken.problem.endswith("add at least one step")
    assert broken.to_json()["valid"] is False
