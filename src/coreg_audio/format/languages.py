"""The words the format speaks by itself, in each language it has them for: one table.

A script's ``language`` chooses the row: the cue words of a ``breathe`` or
``rock`` step that gives none of its own. Each word is what a breathing
teacher who speaks the language says as a cue, short enough to be said in
the second before the first count at a calm 120 words a minute. A code with a
region (de-at, pt-br) takes its base language's words unless the table has
the region's own; a language without a row has no default words (a step that
speaks cues then gives its own, ``values.CueWords``).

Counts are not here: they are written as digits ("2"), which every engine
(espeak-ng, and Piper through espeak-ng's phonemizer) reads as a number in its
voice's language, and the voice follows the script's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from ..speech.voice import language_then_base

WORD_PARTS = ("inhale", "hold", "exhale", "left", "right")
"""The phases and sides with a default word; ``rest`` is silent unless a step gives it one."""


@dataclass(frozen=True)
class LanguageWords:
    """One language's default cue words, and the language's name in English (for the docs)."""

    name: str
    inhale: str
    hold: str
    exhale: str
    left: str
    right: str

    def word(self, part: str) -> str | None:
        """The default word of a phase or side; ``None`` for a part without one (rest)."""
        return getattr(self, part) if part in WORD_PARTS else None


_TABLE = {
    "en": LanguageWords("English", "In", "Hold", "Out", "Left", "Right"),
    "de": LanguageWords("German", "Ein", "Halten", "Aus", "Links", "Rechts"),
    "fr": LanguageWords("French", "Inspirez", "Retenez", "Expirez", "Gauche", "Droite"),
    "es": LanguageWords("Spanish", "Inhala", "Sostén", "Exhala", "Izquierda", "Derecha"),
    "it": LanguageWords("Italian", "Inspira", "Trattieni", "Espira", "Sinistra", "Destra"),
    "pt": LanguageWords("Portuguese", "Inspire", "Segure", "Expire", "Esquerda", "Direita"),
    "nl": LanguageWords("Dutch", "In", "Vasthouden", "Uit", "Links", "Rechts"),
    "sv": LanguageWords("Swedish", "In", "Håll", "Ut", "Vänster", "Höger"),
    "da": LanguageWords("Danish", "Ind", "Hold", "Ud", "Venstre", "Højre"),
    "nb": LanguageWords("Norwegian Bokmål", "Inn", "Hold", "Ut", "Venstre", "Høyre"),
    "fi": LanguageWords("Finnish", "Sisään", "Pidätä", "Ulos", "Vasen", "Oikea"),
    "pl": LanguageWords("Polish", "Wdech", "Wstrzymaj", "Wydech", "Lewo", "Prawo"),
}
LANGUAGE_WORDS: MappingProxyType[str, LanguageWords] = MappingProxyType(_TABLE)
"""Every language with default words, by its code (ISO 639-1)."""
ALIASES = MappingProxyType({"no": "nb"})
"""Codes that name a language of the table by another code: Norwegian is written in Bokmål."""
WORDED = tuple(LANGUAGE_WORDS)
"""The codes of the table, in its order (English first), for messages and the schema."""


def words_for(language: str) -> LanguageWords | None:
    """The default words of a language code (any case, ``-`` or ``_``); ``None`` without any.

    The full code is looked up first (a region could have words of its own), then its base.
    """
    for candidate in language_then_base(language):
        found = LANGUAGE_WORDS.get(ALIASES.get(candidate, candidate))
        if found is not None:
            return found
    return None


def default_word_phrase(part: str) -> str:
    """The default words of ``part`` in every language, as the schema and docs show them."""
    return ", ".join(f"{words.word(part)} ({code})" for code, words in LANGUAGE_WORDS.items())
