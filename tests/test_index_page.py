"""index.html of the phone folder: each track's cover, title, length and summary, and its page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coreg_audio.output.cover import cover_for
from coreg_audio.output.index_page import THUMBNAIL_PX, IndexEntry, index_html
from coreg_audio.timeline.compile import compile_timeline
from coreg_audio.units import SAMPLE_RATE_HZ

from .browser import chromium, console_problems, open_file, requested_urls
from .conftest import FakeSpeech, script_from
from .test_page import parse

SR = SAMPLE_RATE_HZ


def entry(title: str, seconds: int, page: str, **extra: str) -> IndexEntry:
    return IndexEntry(title=title, duration_samples=seconds * SR, page=page, **extra)


def thumbnail(text: str) -> str:
    return cover_for(compile_timeline(script_from(text), FakeSpeech())).data_url(THUMBNAIL_PX)


def test_every_track_is_listed_in_order_with_its_facts_and_link() -> None:
    first = entry(
        "Breath <Sync>", 573, "breath-sync.html", summary="Sit & breathe.", subtitle="4-6"
    )
    entries = [first, entry("Walking", 448, "walk together.html", subtitle="walking")]
    page = index_html(entries, "Evening & practices")
    parsed = parse(page)
    links = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert links == ["breath-sync.html", "walk together.html"]
    assert "<title>Evening &amp; practices</title>" in page
    assert "<h1>Evening &amp; practices</h1>" in page
    text = re.sub(r"<[^>]+>", "\n", page)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    start = lines.index("Breath &lt;Sync&gt;")
    assert lines[start : start + 5] == [
        "Breath &lt;Sync&gt;",
        "9:33 · 4-6",
        "Sit &amp; breathe.",
        "Walking",
        "7:28 · walking",
    ]


def test_covers_are_small_images_inside_the_page() -> None:
    cover = thumbnail("title: T\nsteps:\n  - breathe: {cycles: 3}\n")
    page = index_html([entry("T", 30, "t.html", thumbnail=cover)], "A")
    images = [attrs for tag, attrs in parse(page).tags if tag == "img"]
    assert [image["src"] for image in images] == [cover]
    assert images[0]["alt"] == ""
    assert len(cover) < 16_000
    assert not re.search(r"\b(https?|wss?|ftp):", page.replace(cover, ""))
    assert "default-src 'none'" in page


def test_a_track_without_a_cover_still_has_its_place() -> None:
    page = index_html([entry("T", 30, "t.html")], "A")
    assert 'class="no-cover"' in page and "<img" not in page


@pytest.mark.slow
def test_the_index_opens_from_the_folder_and_leads_to_each_page(tmp_path: Path) -> None:
    cover = thumbnail("title: T\nsteps:\n  - rock: {period: 4, cycles: 4}\n")
    for name in ("one", "two"):
        (tmp_path / f"{name}.html").write_text(
            f"<!doctype html><title>{name}</title><p id='name'>{name}</p>", encoding="utf-8"
        )
    entries = [entry("One", 61, "one.html", thumbnail=cover), entry("Two", 5, "two.html")]
    (tmp_path / "index.html").write_text(index_html(entries, "Practices"), encoding="utf-8")
    with chromium() as browser:
        open_file(browser, tmp_path / "index.html")
        cards = browser.find_elements("css selector", "a.card")
        assert [card.find_element("css selector", ".name").text for card in cards] == [
            "One",
            "Two",
        ]
        height = browser.execute_script(
            "return arguments[0].getBoundingClientRect().height", cards[1]
        )
        assert height >= 48, "large enough to tap"
        assert browser.execute_script("return document.querySelector('img').naturalWidth") == (
            THUMBNAIL_PX
        )
        cards[1].click()
        assert browser.find_element("id", "name").text == "two"
        urls = requested_urls(browser)
        assert {url for url in urls if not url.startswith("data:")} == {
            (tmp_path / "index.html").as_uri(),
            (tmp_path / "two.html").as_uri(),
        }
        assert console_problems(browser) == []
