"""index.html for the phone folder: every track with its cover, title, length and summary.

Like the pacer pages it is one self-contained file (the covers are small JPEG
``data:`` URLs inside it), so it opens from the folder without any network,
and each entry links to its practice's page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from ..time_text import length_m_ss
from .page import asset, fill

INDEX_NAME = "index.html"
THUMBNAIL_PX = 192
"""Twice the size the index shows a cover at, for sharp screens."""


@dataclass(frozen=True)
class PageFacts:
    """What the folder's index shows of a track besides its title and length."""

    summary: str = ""
    subtitle: str = ""
    thumbnail: str = ""
    """The cover as a small JPEG ``data:`` URL."""


@dataclass(frozen=True)
class IndexEntry:
    """One practice of the folder, as the index lists it."""

    title: str
    duration_samples: int
    page: str
    """The page's file name, beside the index."""
    summary: str = ""
    subtitle: str = ""
    thumbnail: str = ""
    """The cover as a ``data:`` URL, or empty."""


def _entry_html(entry: IndexEntry) -> str:
    title = html.escape(" ".join(entry.title.split()) or entry.page)
    facts = (length_m_ss(entry.duration_samples), entry.subtitle)
    meta = " · ".join(part for part in facts if part)
    image = (
        f'<img src="{html.escape(entry.thumbnail)}" alt="" width="96" height="96">'
        if entry.thumbnail
        else '<span class="no-cover" aria-hidden="true"></span>'
    )
    summary = (
        f'<span class="summary">{html.escape(" ".join(entry.summary.split()))}</span>'
        if entry.summary.strip()
        else ""
    )
    return (
        f'<li><a class="card" href="{html.escape(entry.page)}">{image}'
        f'<span class="text"><span class="name">{title}</span>'
        f'<span class="meta">{html.escape(meta)}</span>{summary}</span></a></li>'
    )


def index_html(entries: Iterable[IndexEntry], album: str) -> str:
    """The folder's index page: the album's title, then one entry per track, in order."""
    items = "\n".join(_entry_html(entry) for entry in entries)
    return fill(
        asset("index.html"),
        {
            "title": html.escape(album),
            "style": asset("theme.css") + asset("index.css"),
            "items": items,
        },
    )
