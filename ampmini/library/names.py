"""Name normalisation shared by the scanner: Ampache's leading-article split for sorting."""

from __future__ import annotations

# Ampache's default catalog prefix list (config `catalog_prefix_pattern`); case-insensitive
# and only when followed by a space, so "Theatre" or "Ah" never lose letters.
_PREFIXES = ("the", "an", "a", "die", "das", "ein", "eine", "les", "le", "la")


def split_prefix(name: str) -> tuple[str | None, str]:
    """Split a leading article: "The Beatles" -> ("The", "Beatles"); else (None, name).

    The prefix keeps the casing it was written with; a name that is only an article
    ("The", "The ") is left whole so basename is never empty.
    """
    head, sep, rest = name.partition(" ")
    if sep and head.lower() in _PREFIXES:
        rest = rest.lstrip(" ")
        if rest:
            return head, rest
    return None, name
