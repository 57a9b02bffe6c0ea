"""fts_query / fts_phrase: user text can never be read as FTS5 syntax."""
from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from bot.store.fts import fts_phrase, fts_query

_db = sqlite3.connect(":memory:")
_db.execute("CREATE VIRTUAL TABLE t USING fts5 (text)")
_db.executemany("INSERT INTO t (text) VALUES (?)", [("Naruto said hello",), ("NEAR the OR gate",), ('a "quoted" word',)])


def matches(query: str) -> list[str]:
    return [r[0] for r in _db.execute("SELECT text FROM t WHERE t MATCH ? ORDER BY rowid", (query,))]


def test_operators_are_plain_words() -> None:
    assert matches(fts_query("near OR")) == ["NEAR the OR gate"]
    assert matches(fts_query("hello naruto")) == ["Naruto said hello"]
    assert matches(fts_query('"quoted"')) == ['a "quoted" word']
    assert matches(fts_query("text:naruto")) == []


def test_prefix_last_and_phrase() -> None:
    assert matches(fts_query("naruto hel", prefix_last=True)) == ["Naruto said hello"]
    assert matches(fts_phrase("said hello")) == ["Naruto said hello"]
    assert matches(fts_phrase("hello said")) == []
    assert fts_query("   ") is None and fts_phrase("") is None


@given(st.text())
def test_any_text_is_a_valid_query(text: str) -> None:
    for query in (fts_query(text), fts_query(text, prefix_last=True), fts_phrase(text)):
        if query is not None:
            matches(query)  # must not raise sqlite3.OperationalError
