"""Command line (CONTRACT §3): run | ingest PATH... | parse FILE [--json] | stats | copy-db --to TARGET.

Exit status: 0 success, 2 bad input or configuration (one clear line on stderr), 1 unexpected.
"""
from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections import Counter
from types import SimpleNamespace

from bot.lazylog import Logger, basic_config_later
from bot.parsing.model import NotAStory, Story
from bot.parsing.parallel import ParseWorkerFailed, stop_fork_server

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    import argparse
    from pathlib import Path
    from typing import NoReturn, TextIO

    from bot.config import Settings
    from bot.store import Store
    from bot.store.loader import FileOutcome, LoadReport

log = Logger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
_LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


class UsageError(Exception):
    """Bad command-line input; the message is the one line printed."""


def build_parser() -> argparse.ArgumentParser:
    # Imported here: `parse FILE [--json]` is read without them (parse_arguments).
    import argparse
    from pathlib import Path

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            # argparse would print the usage block as well; CONTRACT §3 wants one clear line.
            raise UsageError(f"{message} (see `python -m bot --help`)")

    parser = _Parser(prog="python -m bot", description="StoryBot: a Discord bot for a library of stories.")
    # prog given: argparse would make a help formatter to work it out ("python -m bot"), which
    # loads shutil (and bz2, lzma) to ask for the terminal's width.
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, prog=parser.prog)
    commands.add_parser("run", help="connect to Discord and serve (the default)")
    ingest = commands.add_parser("ingest", help="load story files or folders into the database")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="story files (.txt, .md, .html, .epub; .toml metadata beside) or folders")
    parse = commands.add_parser("parse", help="show how a story file is understood, without touching the database")
    parse.add_argument("file", metavar="FILE")
    parse.add_argument("--json", action="store_true", help="print the parse as one JSON object (CONTRACT §5)")
    commands.add_parser("stats", help="what the database holds")
    copy = commands.add_parser(
        "copy-db", help="copy everything from the configured database into TARGET; refuses a non-empty target"
    )
    copy.add_argument("--to", required=True, dest="target", metavar="TARGET",
                      help="a SQLite file path or a postgresql:// URL")
    return parser


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace | SimpleNamespace:
    """The command line read. `parse FILE`, with `--json` before or after FILE, is read without
    argparse (which with gettext and locale is ~4 ms of CPU, a tenth of a short parse process);
    any other shape (an option, a FILE starting with "-", an empty one) goes to build_parser(),
    which reads these the same way (tests/test_cli_startup.py)."""
    words = sys.argv[1:] if argv is None else argv
    if words and words[0] == "parse" and 2 <= len(words) <= 3:
        rest = [word for word in words[1:] if word != "--json"]
        if len(rest) == 1 and rest[0] and not rest[0].startswith("-"):
            return SimpleNamespace(command="parse", file=rest[0], json=len(words) == 3)
    return build_parser().parse_args(argv)


def main(argv: list[str] | None = None, *, standalone: bool = False) -> int:
    """Run one command. `standalone`: the process is this command alone (`python -m bot`,
    bot/__main__.py), which imports with the cyclic garbage collector off: it is turned back on
    once the command's modules are loaded, and `parse` ends the process as soon as its output is
    written (_exit_now)."""
    try:
        args = parse_arguments(argv)
        if standalone:
            if args.command == "parse":
                _import_parse_modules()
            gc.freeze()  # what the imports made stays: never walked by a collection
            if not (args.command == "parse" and _parsed_without_collector(args.file)):
                gc.enable()
        if args.command in (None, "run"):
            from bot.runtime import run_cli  # discord.py loads only when serving

            return run_cli()
        if args.command == "parse":
            # Configured when a message first loads logging (bot/lazylog.py): `parse` starts without it.
            basic_config_later(level="WARNING", format=_LOG_FORMAT)
            status = parse_command(args.file, as_json=args.json)
            if standalone:
                _exit_now(status)
            return status
        import logging

        logging.basicConfig(level=logging.WARNING, format=_LOG_FORMAT)
        return database_command(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except ParseWorkerFailed as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        # `parse --json | head`: the reader has gone; no traceback for that. What is still
        # buffered for stdout goes nowhere, so the interpreter's last flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("output closed early (broken pipe)", file=sys.stderr)
        return EXIT_FAILURE
    except Exception:
        log.exception("unexpected failure")
        return EXIT_FAILURE
    finally:
        stop_fork_server()  # a long story's worker processes were forked from it


def _parsed_without_collector(path: str) -> bool:
    """Whether a standalone `parse` of this file runs with the cyclic garbage collector off: a file
    under FIXED_MMAP_BYTES. The reference cycles its parse leaves (the outline's, about a byte and
    a half per byte of text) wait for the end of the process, a few MB at most, and the parse is
    spared the collector's walks over every object it holds (0.6 ms of a novel)."""
    try:
        return os.stat(path).st_size < FIXED_MMAP_BYTES
    except (OSError, ValueError):
        return False  # parse_command says why


def _exit_now(status: int) -> None:
    """End the process once its output is out, skipping the interpreter's teardown: a last
    garbage collection, then every module and object freed one by one (about 10 ms, as much as
    parsing a short story). A reader gone (BrokenPipeError) goes to main's handler; any other
    failure to flush returns, leaving the interpreter's own exit to report it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        raise
    except OSError:
        return
    if "logging" in sys.modules:  # loaded by a message (bot/lazylog.py)
        sys.modules["logging"].shutdown()
    os._exit(status)


def database_command(args: argparse.Namespace | SimpleNamespace) -> int:
    """ingest, stats and copy-db. The store and the configuration are imported here, not at the
    top: `parse` never touches them and starts faster without (asyncio, the database drivers)."""
    import asyncio

    from bot.config import ConfigError
    from bot.store import StoreError

    try:
        settings = database_settings()
        if args.command == "ingest":
            return asyncio.run(ingest_command(settings, args.paths))
        if args.command == "copy-db":
            return copy_command(settings, args.target)
        return asyncio.run(stats_command(settings))
    except (ConfigError, StoreError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT


def database_settings() -> Settings:
    """Settings for ingest and stats, which never read STORIES_DIR: a missing bundled-stories
    folder (say, when run from another directory) must not stop them."""
    from bot.config import load_settings

    return load_settings({**os.environ, "STORIES_DIR": os.curdir})


# ---------------------------------------------------------------- parse


def _import_parse_modules() -> None:
    """What parse_command imports, loaded while a standalone process has the collector off, and
    with what they compile taken from what was recorded when built (bot/precompiled.py: bot.formats'
    own dataclasses, ~0.6 ms of CPU compiled here)."""
    from bot.precompiled import precompiled

    with precompiled():
        import bot.formats
        import bot.formats.sidecar
        import bot.parsing.parser  # noqa: F401


# `parse` of a file this big keeps glibc's mmap threshold fixed (bot/memory.py); smaller files do not
# load ctypes (a few ms of every start-up) for it.
FIXED_MMAP_BYTES = 4 << 20


def parse_command(path: str | os.PathLike[str], *, as_json: bool) -> int:
    """`parse FILE`. The path is worked on as text (os.path), not as a pathlib.Path: pathlib (with
    urllib.parse and ipaddress) is ~2.5 ms of CPU a process, and only a message naming the path
    loads it, to name it as before (_shown)."""
    from bot.formats import Metadata, UploadRejected, stream_upload
    from bot.formats.sidecar import BadStoryFile, read_toml_metadata, toml_metadata
    from bot.parsing.parser import write_story_json

    path = os.fspath(path) or os.curdir  # as Path("") is Path(".")
    try:
        if os.stat(path).st_size >= FIXED_MMAP_BYTES:
            from bot.memory import fix_mmap_threshold

            fix_mmap_threshold()  # what the first pass frees goes back to the system (bot/memory.py)
        data = _read_into_bytearray(path)
    except OSError as exc:
        raise UsageError(f"{_shown(path)}: cannot read ({exc.strerror})") from exc
    try:
        # The reading path of `ingest` and `/story add`: every format, no upload size limit.
        # Parsed a chapter at a time: each is printed as it is done, so memory holds one chapter;
        # a bytearray, which the parse empties once it has decoded the text.
        # A long story's blocks of chapters are read in one worker process per core.
        # Nothing is stored: no content hash.
        upload = stream_upload(
            os.path.basename(path), data, max_bytes=None, any_extension=True, processes=os.cpu_count() or 1,
            hashed=False,
        )
    except (NotAStory, UploadRejected) as exc:
        raise UsageError(f"{_shown(path)}: {exc}") from exc
    del data  # read: the parse holds what it needs
    try:
        overrides = read_toml_metadata(path)
    except BadStoryFile as exc:
        raise UsageError(str(exc)) from exc
    story = upload.story
    # What the file says of itself, the .toml beside it overriding (as `ingest` stores them).
    metadata = toml_metadata(overrides).merged(upload.metadata.merged(Metadata(summary=story.summary)))
    if metadata.title and metadata.title != story.title:
        story.title = metadata.title
    if "summary" in overrides:  # CONTRACT §3: the .toml's summary is the story's
        story.summary = metadata.summary
    if as_json:
        write_story_json(sys.stdout, story, metadata.as_json())
        sys.stdout.write("\n")
    else:
        from pathlib import Path

        sys.stdout.write(describe_story(story.story(), Path(path), metadata.as_json()))
    return EXIT_OK


def _shown(path: str) -> str:
    """A path as a message names it: as pathlib.Path prints it (`./a//b.txt` as `a/b.txt`)."""
    from pathlib import Path

    return str(Path(path))


def _read_into_bytearray(path: str) -> bytearray:
    """The file's bytes, read straight into a bytearray (no second copy)."""
    with open(path, "rb") as file:
        data = bytearray(os.fstat(file.fileno()).st_size)
        size = file.readinto(data)
        del data[size:]
        if rest := file.read():
            data += rest  # grew while read
    return data


def describe_story(story: Story, path: Path, metadata: dict | None = None) -> str:
    """A human summary of a parse: title, metadata, chapters with scenes, notes, quotes and characters."""
    paragraphs = sum(len(c.paragraphs) for c in story.chapters)
    words = sum(len(p.split()) for c in story.chapters for p in c.paragraphs)
    metadata = metadata or {}
    given = [
        f"{key} {_clip(str(metadata[key]), 40)}" for key in ("author", "fandom", "rating", "language", "source")
        if metadata.get(key)
    ]
    if metadata.get("tags"):
        given.append(f"{len(metadata['tags'])} tags")
    lines = [
        f"{path.name}",
        f"  title:      {story.title or '(none stated)'}",
        f"  metadata:   {'; '.join(given) if given else '(none)'}",
        f"  summary:    {_clip(story.summary) if story.summary else '(none)'}",
        f"  chapters:   {len(story.chapters)}, paragraphs: {paragraphs}, words: {words}",
    ]
    for index, chapter in enumerate(story.chapters):
        number = chapter.number if chapter.number is not None else "-"
        headings = [s.heading for s in chapter.scenes if s.heading]
        lines.append(
            f"    [{index}] number {number}: {chapter.title or '(untitled)'}"
            f" - {len(chapter.scenes)} scenes, {len(chapter.paragraphs)} paragraphs"
            + (f"; headings: {', '.join(headings)}" if headings else "")
        )
    kinds = Counter(note.kind for note in story.notes)
    lines.append(f"  notes:      {len(story.notes)}" + (f" ({_counts(kinds)})" if kinds else ""))
    for note in story.notes:
        lines.append(f"    chapter {note.chapter} {note.position} [{note.kind}]: {_clip(note.text)}")
    quote_kinds = Counter(q.kind for q in story.quotes)
    attributed = sum(1 for q in story.quotes if q.speaker)
    lines.append(
        f"  quotes:     {len(story.quotes)}" + (f" ({_counts(quote_kinds)}), {attributed} with a speaker" if story.quotes else "")
    )
    speakers = Counter(q.speaker for q in story.quotes if q.speaker)
    lines.append(f"  characters: {len(story.characters)}")
    for character in story.characters[:12]:
        aliases = f" (also {', '.join(character.aliases)})" if character.aliases else ""
        lines.append(
            f"    {character.name}{aliases}: {character.mentions} mentions, {speakers.get(character.name, 0)} lines"
        )
    if len(story.characters) > 12:
        lines.append(f"    ... and {len(story.characters) - 12} more")
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _counts(counter: Counter) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in counter.most_common())


# ---------------------------------------------------------------- ingest


class IngestProgress:
    """On a terminal, one tqdm bar for an ingest: bytes of all the files done (moving within a big
    file as it is parsed and written), the rate, the time left, and files done. Nothing at all
    when the stream is not a terminal (a pipe, a file, a log collector)."""

    def __init__(self, stream: TextIO, files: list[Path]) -> None:
        from tqdm import tqdm  # only the ingest command needs it

        self.sizes = {path: path.stat().st_size if path.is_file() else 0 for path in files}
        self.done: dict[Path, int] = {}
        self.files = len(files)
        self.enabled = stream.isatty()
        self.bar = tqdm(
            total=sum(self.sizes.values()), unit="B", unit_scale=True, unit_divisor=1024,
            desc="ingest", file=stream, disable=not self.enabled, dynamic_ncols=True,
            postfix=f"0/{self.files} files",
        )

    def within(self, path: Path, done: int, size: int) -> None:
        """load_paths' file_progress: `done` of the file's `size` bytes parsed and written."""
        self._advance(path, done)

    def __call__(self, outcome: FileOutcome, done: int, total: int) -> None:
        """load_paths' progress: a file finished (loaded, unchanged or failed)."""
        self._advance(outcome.path, self.sizes.get(outcome.path, 0))
        self.bar.set_postfix_str(f"{done}/{total} files {_clip(outcome.path.name, 30)}", refresh=False)
        self.bar.refresh()

    def _advance(self, path: Path, done: int) -> None:
        step = done - self.done.get(path, 0)
        if step > 0:
            self.done[path] = done
            self.bar.update(step)

    def logging(self) -> contextlib.AbstractContextManager:
        """While the bar is drawn, log lines are written above it instead of through it."""
        from tqdm.contrib.logging import logging_redirect_tqdm

        return logging_redirect_tqdm() if self.enabled else contextlib.nullcontext()

    def close(self) -> None:
        self.bar.close()


# Below this much text, starting worker processes costs more than it saves.
PROCESS_POOL_BYTES = 8_000_000


def parse_processes_for(files: list[Path]) -> int:
    """Worker processes for parsing: one per core for a big ingest, none for a small one.

    One per core rather than per spare core: storing takes about two thirds of the CPU that
    parsing does, so the main process would otherwise sit idle a third of the time.
    """
    total = sum(p.stat().st_size for p in files if p.is_file())
    return min(os.cpu_count() or 1, 4) if total >= PROCESS_POOL_BYTES and len(files) > 1 else 0


async def ingest_command(settings: Settings, paths: list[Path]) -> int:
    from bot.memory import fix_mmap_threshold
    from bot.store import Store
    from bot.store.loader import load_paths, story_files

    for path in paths:
        try:
            path.stat()
        except FileNotFoundError:
            pass  # reported as that file's failure, like any file that cannot be loaded
        except OSError as exc:  # a name too long, a loop of links: nothing could be read there
            raise UsageError(f"{_clip(str(path), 80)}: cannot read ({exc.strerror or exc})") from None
    files = story_files(paths)
    if not files:
        # Only empty folders: nothing to load is bad input, and says so (CONTRACT §3).
        from bot.formats import SUPPORTED_EXTENSIONS

        shown = ", ".join(str(path) for path in paths)
        raise UsageError(f"{shown}: no story files ({', '.join(SUPPORTED_EXTENSIONS)}) to load")
    fix_mmap_threshold()  # the streamed parse frees big blocks from worker threads
    bar = IngestProgress(sys.stderr, files)
    async with Store.open(settings.database, pool_size=settings.database_pool_size) as store:
        try:
            with bar.logging():
                report = await load_paths(
                    store, files, progress=bar, parse_processes=parse_processes_for(files),
                    file_progress=bar.within if bar.enabled else None, block_processes=os.cpu_count() or 1,
                )
        finally:
            bar.close()
    for outcome in report.failed:
        print(outcome.error, file=sys.stderr)
    print(f"{settings.database_name}: {report.summary()}")
    return ingest_status(report)


def ingest_status(report: LoadReport) -> int:
    if any(o.unexpected for o in report.failed):
        return EXIT_FAILURE
    if report.failed or not report.outcomes:
        return EXIT_BAD_INPUT
    return EXIT_OK


# ---------------------------------------------------------------- stats


async def stats_command(settings: Settings) -> int:
    from bot.store import Store

    path = settings.database_path
    if settings.database_url is None and not path.exists():
        print(f"{path}: no database yet (run `python -m bot ingest PATH` or `python -m bot run`)")
        return EXIT_OK
    async with Store.open(settings.database, pool_size=settings.database_pool_size) as store:
        sys.stdout.write(await describe_database(store))
    return EXIT_OK


async def describe_database(store: Store) -> str:
    from bot.store.loader import STAGED_PREFIX

    """Story totals, then a row count for every table (feature tables included)."""
    db = store.db
    # An upload being stored (or left by a crash until the next start) is staged: invisible
    # everywhere, so it is counted apart rather than as a story.
    async with db.execute(
        "SELECT count(*), coalesce(sum(CASE WHEN guild_id IS NULL THEN 1 ELSE 0 END), 0), count(DISTINCT guild_id),"
        " coalesce(sum(word_count), 0), coalesce(sum(paragraph_count), 0), coalesce(sum(quote_count), 0)"
        " FROM stories WHERE content_hash NOT LIKE ?",
        (f"{STAGED_PREFIX}%",),
    ) as cur:
        stories, bundled, guilds, words, paragraphs, quotes = await cur.fetchone()
    async with db.execute("SELECT count(*) FROM stories WHERE content_hash LIKE ?", (f"{STAGED_PREFIX}%",)) as cur:
        (staged,) = await cur.fetchone()
    lines = [
        f"database:   {store.display_name} (schema {await store.schema_version():04d})",
        f"stories:    {stories} ({bundled} bundled, {stories - bundled} added in {guilds} servers)",
        f"words:      {words}, paragraphs: {paragraphs}, quotes: {quotes}",
    ]
    if staged:
        lines.append(f"staged:     {staged} upload(s) being stored, or left by a crash until the next start")
    lines.append("tables:")
    # Internal tables of FTS5 and SQLite are left out: they are implementation, not content.
    tables = await store.tables()
    for table in tables:
        async with db.execute(f'SELECT count(*) FROM "{table}"') as cur:
            (rows,) = await cur.fetchone()
        lines.append(f"  {table:<24} {rows}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- copy-db


def copy_command(settings: Settings, target: str) -> int:
    """Copy the configured database into TARGET (either engine to either), all or nothing."""
    import asyncio

    from bot.store.postgres import is_url, redact

    if is_url(target):
        shown = redact(target)
        if target == settings.database_url:
            raise UsageError("copy-db: TARGET is the configured database itself")
    else:
        from pathlib import Path

        path = Path(target).expanduser()
        shown = str(path)
        try:
            is_dir = path.is_dir()
        except OSError as exc:  # a name too long
            raise UsageError(f"copy-db: {_clip(target, 80)}: {exc.strerror or exc}") from None
        if is_dir:
            raise UsageError(f"copy-db: {target} is a folder, expected a database file path or a postgresql:// URL")
        if settings.database_url is None and path.exists() and path.resolve() == settings.database_path.resolve():
            raise UsageError("copy-db: TARGET is the configured database itself")
        target = str(path)
    if settings.database_url is None and not settings.database_path.exists():
        raise UsageError(f"copy-db: {settings.database_path}: no database to copy yet")
    copied = asyncio.run(_copy(settings, target, shown))
    total = sum(copied.values())
    detail = ", ".join(f"{table} {rows}" for table, rows in copied.items() if rows)
    print(f"copied {total} rows from {settings.database_name} to {shown}" + (f" ({detail})" if detail else ""))
    return EXIT_OK


async def _copy(settings: Settings, target: str, shown: str) -> dict[str, int]:
    from bot.store import Store
    from bot.store.copy import SchemaMismatch, TargetNotEmpty, copy_database

    try:
        async with Store.open(settings.database, pool_size=settings.database_pool_size) as origin, \
                Store.open(target, pool_size=settings.database_pool_size) as destination:
            return await copy_database(origin, destination)
    except (TargetNotEmpty, SchemaMismatch) as exc:
        raise UsageError(f"copy-db: {shown}: {exc}") from exc
