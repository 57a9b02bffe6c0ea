"""FTS5 helpers: turn user text into a MATCH expression that cannot inject FTS syntax."""
from __future__ import annotations

import re

_TERM = re.compile(r"\S+")


def _words(text: str) -> list[str]:
    # FTS5 reads a NUL as the end of the query, which would leave a string unterminated.
    return _TERM.findall(text.replace("\x00", " "))


def fts_query(text: str, *, prefix_last: bool = False) -> str | None:
    """Each whitespace-separated word becomes a quoted string (all must match, any order).

    Inside FTS5 double quotes every character is literal except '"' itself, which is doubled, so
    operators (AND, OR, NOT, NEAR), column filters, '*' and '^' in user text are plain words.
    With `prefix_last`, the last word also matches as a prefix (for search-as-you-type).
    None when the text has no words.
    """
    terms = ['"' + term.replace('"', '""') + '"' for term in _words(text)]
    if not terms:
        return None
    if prefix_last:
        terms[-1] += "*"
    return " ".join(terms)


def fts_phrase(text: str) -> str | None:
    """The whole text as one phrase (words adjacent, in order), quoted the same safe way."""
    words = _words(text)
    if not words:
        return None
    return '"' + " ".join(words).replace('"', '""') + '"'
