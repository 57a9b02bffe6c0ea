"""The speaker in /quote's full-text index (migration 0010): each line carries a token per key its
character answers to (name and aliases), written by the loader and by the migration for existing
rows, so "words said by a character called X" is one full-text query, and a character+words cycle
walks exactly those lines."""
from __future__ import annotations

import dataclasses

import pytest

from bot.errors import NothingMatches
from bot.parsing.model import Character
from bot.store import Store, quotes
from bot.store.audience import Audience
from bot.store.fts import said_query, speaker_token
from bot.store.migrate import MIGRATIONS_DIR, POSTGRES_MIGRATIONS_DIR, split_statements
from bot.store.quotes import QuoteFilters, pick_quote
from tests.quotes.helpers import add, dialogue_story
from tests.store.helpers import assert_fts_in_sync

GUILD = 111


def _with_alias(tag: str):
    story = dialogue_story(tag, lines=9, speakers=("Naruto", "Sasuke", None))
    characters = (Character("Naruto", aliases=("Uzumaki Naruto",)), Character("Sasuke"))
    return dataclasses.replace(story, characters=characters)


async def _said(store: Store, words: str, name: str | None) -> set[str]:
    rows = await store.db.execute_fetchall(
        "SELECT q.text FROM quotes_fts JOIN quotes AS q ON q.id = quotes_fts.rowid WHERE quotes_fts MATCH ?",
        (said_query(words, name),),
    )
    return {row[0] for row in rows}


async def _expected(store: Store, word: str, name: str) -> set[str]:
    rows = await store.db.execute_fetchall(
        "SELECT q.text FROM quotes AS q JOIN characters AS c ON c.id = q.character_id WHERE (c.name_key = ?"
        " OR EXISTS (SELECT 1 FROM aliases AS a WHERE a.character_id = c.id AND a.alias_key = ?))",
        (name.casefold(), name.casefold()),
    )
    return {row[0] for row in rows if word in row[0].split()}


async def _check_index(store: Store) -> None:
    for name in ("Naruto", "uzumaki  naruto", "SASUKE"):
        expected = await _expected(store, "number", " ".join(name.split()))
        assert expected and await _said(store, "number", name) == expected
    # Alias tokens belong to the story whose character has the alias only.
    assert {t.split()[0] for t in await _said(store, "number", "Uzumaki Naruto")} == {"alpha"}
    assert await _said(store, "number", "Gaara") == set()


async def test_the_loader_indexes_each_line_under_its_speakers_name_and_aliases(store: Store) -> None:
    await add(store, _with_alias("alpha"))
    beta = await add(store, dialogue_story("beta", lines=6, speakers=("Naruto", "Hinata")), guild_id=GUILD)
    rows = await store.db.execute_fetchall("SELECT speaker FROM quotes WHERE text LIKE 'alpha line number 0 %'")
    assert rows[0][0].split() == [speaker_token("naruto"), speaker_token("uzumaki naruto")]
    await _check_index(store)
    await store.db.execute("DELETE FROM stories WHERE id = ?", (beta,))
    await assert_fts_in_sync(store)
    await _check_index(store)


async def test_a_speaker_token_typed_as_words_finds_nothing(store: Store) -> None:
    """User words match the text only: a speaker's token typed in `contains:` (or with a name)
    finds none of that speaker's lines, and the internal "said by" query still does."""
    await add(store, _with_alias("alpha"))
    token = speaker_token("naruto")
    assert await _said(store, "number", "Naruto")  # the speaker column is still searched for names
    for words, name in ((token, None), (token, "Naruto"), (f"number {token}", "Naruto"),
                        (speaker_token("uzumaki naruto"), None), (token.upper(), None)):
        assert await _said(store, words, name) == set(), (words, name)
    for filters in (QuoteFilters(contains=token), QuoteFilters(character="Sasuke", contains=token)):
        with pytest.raises(NothingMatches):
            await pick_quote(store, Audience(None), filters)


async def test_migration_0010_indexes_the_speakers_of_existing_lines(store: Store) -> None:
    """Existing rows as 0009 left them (no speaker column, the text alone indexed) get their tokens."""
    await add(store, _with_alias("alpha"))
    await add(store, dialogue_story("beta", lines=6, speakers=("Naruto", "Hinata")), guild_id=GUILD)
    if store.dialect == "sqlite":
        undo = [
            "DROP TRIGGER quotes_fts_delete", "DROP TRIGGER quotes_fts_update", "DROP TABLE quotes_fts",
            "ALTER TABLE quotes DROP COLUMN speaker",
            "CREATE VIRTUAL TABLE quotes_fts USING fts5 (text, content = 'quotes', content_rowid = 'id',"
            " tokenize = 'unicode61 remove_diacritics 2')",
            "INSERT INTO quotes_fts (quotes_fts) VALUES ('rebuild')",
            *split_statements((MIGRATIONS_DIR / "0002_quotes.sql").read_text(encoding="utf-8"))[2:4],
        ]
        folder = MIGRATIONS_DIR
    else:
        undo = [
            "DROP VIEW quotes_fts", "ALTER TABLE quotes DROP COLUMN tsv", "ALTER TABLE quotes DROP COLUMN speaker",
            "ALTER TABLE quotes ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED",
            "CREATE VIEW quotes_fts AS SELECT id AS rowid, text, tsv FROM quotes",
        ]
        folder = POSTGRES_MIGRATIONS_DIR
    for statement in undo:
        await store.db.execute(statement)
    (migration,) = folder.glob("0010_*.sql")
    for statement in split_statements(migration.read_text(encoding="utf-8")):
        await store.db.execute(statement)
    if store.dialect == "postgresql":  # 0011 builds the tsvector this store's queries read
        (later,) = folder.glob("0011_*.sql")
        await store.db.executescript(later.read_text(encoding="utf-8"))
    await assert_fts_in_sync(store)
    await _check_index(store)


async def test_a_character_with_words_walks_only_the_lines_that_name_said(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cycle walks the word's matches said by the name (blocks of ids over one full-text
    # query), not every match of the word: beta's 30 lines are never read.
    monkeypatch.setattr(quotes, "_SAID_BLOCK_MATCHES", 1)
    await add(store, _with_alias("alpha"))
    await add(store, dialogue_story("beta", lines=30, speakers=("Hinata", "Sasuke")))
    filters = QuoteFilters(character="Naruto", contains="number")
    for _ in range(2):  # Naruto's lines 0, 3 and 6 of alpha, once per cycle
        picked = [(await pick_quote(store, Audience(GUILD), filters)).quote for _ in range(3)]
        assert {q.speaker for q in picked} == {"Naruto"} and len({q.id for q in picked}) == 3
    await store.write_behind.flush()
    ((domain,),) = await store.db.execute_fetchall("SELECT domain FROM quote_cycles")
    assert quotes._block_bits(domain) is not None
