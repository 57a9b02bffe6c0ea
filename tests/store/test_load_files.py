"""load_directory / load_paths on real files: metadata, idempotence, failures, worker processes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.store import Store, loader, stories
from tests.quotes.test_quote_name_lines import assert_lines_dense as assert_name_lines_dense
from tests.store.helpers import assert_fts_in_sync, assert_lines_dense, dump, without_added_at

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


async def test_seeds_load_with_their_metadata_and_again_change_nothing(store: Store, seeds_copy: Path) -> None:
    report = await loader.load_directory(store, seeds_copy)
    assert [o.status for o in report.outcomes] == ["added"] * 4
    titles = {s.title: s for s in await stories.visible_stories(store, None)}
    assert set(titles) == {"After the Invasion", "Naruto: The Return of Darkness", "The Blood Clone", "Itachi's Deal"}
    deal = titles["Itachi's Deal"]
    assert (deal.author, deal.fandom, deal.rating, deal.source) == ("unknown", "Naruto", "K+", "003_1fad3d07719de6fa.txt")
    assert deal.summary and deal.summary.startswith("When Sasuke")
    await assert_lines_dense(store)
    await assert_fts_in_sync(store)
    before = await dump(store)
    again = await loader.load_directory(store, seeds_copy)
    assert [o.status for o in again.outcomes] == ["unchanged"] * 4
    assert await dump(store) == before


async def test_a_new_parser_version_parses_the_bundled_stories_again_in_place(
    store: Store, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await loader.load_directory(store, seeds_copy)
    ids = {s.title: s.id for s in await stories.visible_stories(store, None)}
    monkeypatch.setattr("bot.parsing.parser.PARSER_VERSION", "a later parser")
    again = await loader.load_directory(store, seeds_copy)
    assert [o.status for o in again.outcomes] == ["replaced"] * 4
    assert {s.title: s.id for s in await stories.visible_stories(store, None)} == ids
    third = await loader.load_directory(store, seeds_copy)
    assert [o.status for o in third.outcomes] == ["unchanged"] * 4


async def test_changed_metadata_updates_only_the_story_row(store: Store, seeds_copy: Path) -> None:
    await loader.load_directory(store, seeds_copy)
    before = await dump(store)
    toml = seeds_copy / "000_8a561bc99943fb79.toml"
    toml.write_text(toml.read_text().replace('rating = "T"', 'rating = "M"'))
    report = await loader.load_directory(store, seeds_copy)
    assert [o.status for o in report.outcomes].count("updated") == 1
    after = await dump(store)
    # Rated for adults now: its characters move to the gated name lines (migration 0013), nothing else changes.
    assert {t for t in after if after[t] != before[t]} == {"stories", "name_lines", "name_totals"}
    (story,) = [s for s in await stories.visible_stories(store, None) if s.title == "After the Invasion"]
    assert story.rating == "M"
    gated = await store.db.execute_fetchall("SELECT DISTINCT gated FROM name_lines WHERE story_id = ?", (story.id,))
    assert [tuple(r) for r in gated] == [(1,)]
    others = await store.db.execute_fetchall("SELECT DISTINCT gated FROM name_lines WHERE story_id <> ?", (story.id,))
    assert [tuple(r) for r in others] == [(0,)]
    await assert_name_lines_dense(store)


async def test_a_copy_under_another_name_changes_nothing(store: Store, tmp_path: Path) -> None:
    shutil.copy(SEEDS / "000_8a561bc99943fb79.txt", tmp_path / "a.txt")
    shutil.copy(SEEDS / "003_1fad3d07719de6fa.txt", tmp_path / "b.txt")
    await loader.load_directory(store, tmp_path)
    before = await dump(store)
    shutil.copy(SEEDS / "000_8a561bc99943fb79.txt", tmp_path / "b.txt")  # b now repeats a
    shutil.copy(SEEDS / "000_8a561bc99943fb79.txt", tmp_path / "c.txt")
    report = await loader.load_directory(store, tmp_path)
    assert [(o.path.name, o.status) for o in report.outcomes] == [
        ("a.txt", "unchanged"), ("b.txt", "unchanged"), ("c.txt", "unchanged")]
    assert await dump(store) == before


async def test_bad_files_fail_alone_with_one_line_each(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(SEEDS / "000_8a561bc99943fb79.txt", folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "meta.txt").write_text("Some story text that is fine.\n")
    (folder / "meta.toml").write_text("title = [1, 2\n")
    (folder / "typed.txt").write_text("Another fine story.\n")
    (folder / "typed.toml").write_text("title = 5\n")
    report = await loader.load_directory(store, folder)
    status = {o.path.name: o.status for o in report.outcomes}
    assert status == {"empty.txt": "failed", "good.txt": "added", "meta.txt": "failed", "typed.txt": "failed"}
    errors = {o.path.name: o.error for o in report.failed}
    assert all("\n" not in e and name.removesuffix(".txt") in e for name, e in errors.items())
    assert "TOML" in errors["meta.txt"] and "'title' must be text" in errors["typed.txt"]
    assert not any(o.unexpected for o in report.failed)
    assert (await loader.load_directory(store, tmp_path / "nope")).failed[0].error.endswith("not a folder")


async def test_title_falls_back_to_the_text_then_the_file_name(store: Store, tmp_path: Path) -> None:
    shutil.copy(SEEDS / "001_c873871c6bd971e6.txt", tmp_path / "001.txt")
    shutil.copy(SEEDS / "000_8a561bc99943fb79.txt", tmp_path / "after_the_war.txt")
    report = await loader.load_paths(store, [tmp_path / "001.txt", tmp_path / "after_the_war.txt"])
    assert [o.title for o in report.outcomes] == ["Naruto: The Return of Darkness", "after the war"]


@pytest.mark.parametrize("processes", [0, 1])
async def test_worker_processes_store_the_same_rows(tmp_path: Path, seeds_copy: Path, processes: int) -> None:
    async with Store.open(tmp_path / "a.db") as reference:
        await loader.load_paths(reference, [seeds_copy])
        expected = await dump(reference)
    seen: list[tuple[str, int, int]] = []
    async with Store.open(tmp_path / f"p{processes}.db") as store:
        report = await loader.load_paths(
            store, [seeds_copy], parse_processes=processes,
            progress=lambda outcome, done, total: seen.append((outcome.path.name, done, total)),
        )
        assert [o.status for o in report.outcomes] == ["added"] * 4
        got = await dump(store)
        got["stories"] = await without_added_at(store, got["stories"])
        expected["stories"] = await without_added_at(store, expected["stories"])
    assert got.pop("stories") == expected.pop("stories")
    got.pop("schema_migrations"), expected.pop("schema_migrations")
    assert got == expected
    names = sorted(p.name for p in SEEDS.iterdir() if p.suffix == ".txt")
    assert seen == [(name, i, 4) for i, name in enumerate(names, start=1)]


@pytest.mark.parametrize("processes", [0, 2])
async def test_file_progress_moves_within_each_file_and_stores_the_same_rows(
    tmp_path: Path, seeds_copy: Path, processes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small steps, so even the seeds are written in several parts of their one transaction.
    monkeypatch.setattr(loader, "PROGRESS_CHUNK_CHARS", 5_000)
    async with Store.open(tmp_path / "a.db") as reference:
        await loader.load_paths(reference, [seeds_copy])
        expected = await dump(reference)
    seen: dict[str, list[int]] = {}
    async with Store.open(tmp_path / "progress.db") as store:
        report = await loader.load_paths(
            store, [seeds_copy], parse_processes=processes,
            file_progress=lambda path, done, size: seen.setdefault(path.name, []).append(done),
        )
        assert [o.status for o in report.outcomes] == ["added"] * 4
        got = await dump(store)
        await assert_fts_in_sync(store)
        got["stories"] = await without_added_at(store, got["stories"])
        expected["stories"] = await without_added_at(store, expected["stories"])
    assert got.pop("stories") == expected.pop("stories")
    # Indexed in several steps, FTS5 keeps the same entries in other segments.
    for name in [*got, *expected]:
        if name == "schema_migrations" or "_fts_" in name:
            got.pop(name, None), expected.pop(name, None)
    assert got == expected
    sizes = {path.name: path.stat().st_size for path in loader.story_files([seeds_copy])}
    for name, size in sizes.items():
        assert seen[name] == sorted(seen[name]) and seen[name][-1] == size, name
    biggest, size = max(sizes.items(), key=lambda item: item[1])
    if processes == 0:
        # Parsed as it is written (_write_stream): the parse's own progress covers the file.
        assert len({d for d in seen[biggest] if 0 < d < size}) >= 3, seen[biggest]
        return
    parsing = [d for d in seen[biggest] if 0 < d < size * loader.PARSE_SHARE]
    writing = [d for d in seen[biggest] if size * loader.PARSE_SHARE < d < size]
    assert parsing and writing, seen[biggest]
