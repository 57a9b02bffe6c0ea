"""Bulk loads (load_paths over many files) loosen FTS5's merge schedule, then put it back: same
search results, the default setting afterwards (also after a failure), and nothing written at all
when every file is unchanged."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.store import Store, loader
from tests.store.helpers import assert_fts_in_sync, dump

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
WORDS = ("naruto", "sasuke", "the", '"said naruto"', "sharingan", "kakashi")


# FTS5's merge setting and statement tracing: SQLite's own.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


def texts_by_size(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.txt"), key=lambda p: (p.stat().st_size, p.name))


async def automerge(store: Store) -> dict[str, int | None]:
    found = {}
    for table in ("paragraphs_fts", "quotes_fts"):
        async with store.db.execute(f"SELECT v FROM {table}_config WHERE k = 'automerge'") as cur:
            row = await cur.fetchone()
        found[table] = None if row is None else int(row[0])
    return found


async def hits(store: Store) -> dict[str, list]:
    found = {}
    for word in WORDS:
        async with store.db.execute(
            "SELECT rowid, snippet(paragraphs_fts, 0, '[', ']', '...', 8) FROM paragraphs_fts"
            " WHERE paragraphs_fts MATCH ? ORDER BY rank, rowid", (word,),
        ) as cur:
            found[f"p {word}"] = [tuple(r) for r in await cur.fetchall()]
        async with store.db.execute("SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH ? ORDER BY rowid", (word,)) as cur:
            found[f"q {word}"] = [r[0] for r in await cur.fetchall()]
    return found


async def traced(store: Store) -> list[str]:
    statements: list[str] = []
    await store.db.set_trace_callback(statements.append)
    return statements


async def test_bulk_load_finds_what_one_file_at_a_time_finds(tmp_path: Path, seeds_copy: Path) -> None:
    async with Store.open(tmp_path / "single.db") as single:
        for path in sorted(texts_by_size(seeds_copy)):
            assert (await loader.load_file(single, path)).status == "added"
        expected = await hits(single)
        assert await automerge(single) == {"paragraphs_fts": None, "quotes_fts": None}  # never touched
    async with Store.open(tmp_path / "bulk.db") as bulk:
        statements = await traced(bulk)
        report = await loader.load_paths(bulk, [seeds_copy])
        assert [o.status for o in report.outcomes] == ["added"] * 4
        assert sum("'automerge'" in s for s in statements) == 4  # set once, put back once, per index
        assert await automerge(bulk) == {"paragraphs_fts": 4, "quotes_fts": 4}
        assert await hits(bulk) == expected
        assert all(found for key, found in expected.items() if key.startswith("p "))  # a real comparison
        await assert_fts_in_sync(bulk)


async def test_unchanged_files_write_nothing(store: Store, seeds_copy: Path) -> None:
    await loader.load_paths(store, [seeds_copy])
    before = await dump(store)
    statements = await traced(store)
    report = await loader.load_paths(store, [seeds_copy])
    assert [o.status for o in report.outcomes] == ["unchanged"] * 4
    assert not [s for s in statements if "automerge" in s]
    assert await dump(store) == before


async def test_an_interrupted_load_puts_the_default_back(store: Store, seeds_copy: Path) -> None:
    def stop(outcome: loader.FileOutcome, done: int, total: int) -> None:
        if done == 2:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        await loader.load_paths(store, [seeds_copy], progress=stop)
    assert await automerge(store) == {"paragraphs_fts": 4, "quotes_fts": 4}
    async with store.db.execute("SELECT count(*) FROM stories") as cur:
        assert (await cur.fetchone())[0] == 2
    await assert_fts_in_sync(store)
