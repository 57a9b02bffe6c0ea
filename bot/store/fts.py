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


def speaker_token(key: str) -> str:
    """The full-text token of a character's name or alias key (quotes.speaker, migration 0010):
    one word to FTS5's and PostgreSQL's tokenizers, and no two keys share one. User words are
    matched in the text column only (said_query), so typing such a token finds nothing."""
    return "zq" + key.encode("utf-8").hex()


def said_query(text: str | None, name: str | None) -> str | None:
    """fts_query(text) restricted to the quotes' text column and, with a character `name`, that a
    character of that name (or alias) said the line: one MATCH over quotes_fts for words said by a
    name. None when there are no words.

    The shape is fixed, `text : (WORDS)` or `text : (WORDS) AND speaker : "TOKEN"`: FTS5 reads
    the column filters, and PostgreSQL's storybot_tsquery (migration 0011) takes it apart the same
    way (the words against the text's lexemes, the token against the speakers' own lexemes)."""
    words = fts_query(text or "")
    if words is None:
        return None
    words = f"text : ({words})"
    if name is None:
        return words
    return f'{words} AND speaker : "{speaker_token(" ".join(name.split()).casefold())}"'
