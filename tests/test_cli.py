"""The command line (CONTRACT §3): parse, ingest, stats, exit codes, one-line errors, kill -9."""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import pty
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
import tomllib
from pathlib import Path

import pytest

from bot.cli import main
from bot.parsing import parse_story, story_to_json

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


def run_cli(*args: str | Path, db: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("STORIES_DIR", "DISCORD_TOKEN")}
    env["DATABASE_PATH"] = str(db)
    return subprocess.run([sys.executable, "-m", "bot", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def table_rows(db: Path) -> dict[str, list[tuple]]:
    connection = sqlite3.connect(db)
    try:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                                   " AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")]
        return {t: connection.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
    finally:
        connection.close()


def assert_one_clean_line(stderr: str) -> None:
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_parse_json_is_exactly_story_to_json(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(seed), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    story = parse_story(seed.read_bytes(), filename=seed.name)
    # A bundled story's metadata is its .toml's (title included); the text names none of its own.
    toml = tomllib.loads(seed.with_suffix(".toml").read_text("utf-8"))
    story = dataclasses.replace(story, title=toml.get("title") or story.title)
    expected = json.loads(json.dumps(story_to_json(story, printed["metadata"])))
    assert printed == expected
    assert {"title", "summary", "notes", "chapters", "quotes", "characters", "metadata"} <= printed.keys()
    assert printed["metadata"]["fandom"] == toml.get("fandom")
    assert printed["metadata"]["rating"] == toml.get("rating")
    assert printed["metadata"]["summary"] == story.summary


def test_parse_json_takes_no_content_hash(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`parse` stores nothing, so it spends nothing on the hash that names a stored story."""
    import bot.formats

    def refused(data: bytes) -> str:
        raise AssertionError("parse hashed the story")

    monkeypatch.setattr(bot.formats, "content_hash", refused)
    assert main(["parse", str(SEEDS[0]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["chapters"]
    with pytest.raises(AssertionError, match="hashed"):
        bot.formats.stream_upload(SEEDS[0].name, SEEDS[0].read_bytes())


@pytest.mark.parametrize(("size", "collected"), [(1000, False), (5 << 20, True)])
def test_standalone_parse_of_a_small_file_runs_without_the_collector(
    size: int, collected: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file under FIXED_MMAP_BYTES: its few MB of reference cycles wait for the process's end."""
    import gc

    from bot import cli

    story = tmp_path / "story.txt"
    story.write_bytes(b"x" * size)
    seen: list[bool] = []
    monkeypatch.setattr(cli, "parse_command", lambda path, as_json: seen.append(gc.isenabled()) or 0)
    monkeypatch.setattr(cli, "_exit_now", lambda status: None)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the test process's objects stay collectable
    was = gc.isenabled()
    gc.disable()  # as bot/__main__.py imports the bot
    try:
        assert cli.main(["parse", str(story), "--json"], standalone=True) == 0
    finally:
        gc.enable() if was else gc.disable()
    assert seen == [collected]


def test_parse_summary_names_title_and_chapter(capsys: pytest.CaptureFixture[str]) -> None:
    seed = next(p for p in SEEDS if p.name.startswith("001"))
    assert main(["parse", str(seed)]) == 0
    out = capsys.readouterr().out
    assert "Naruto: The Return of Darkness" in out
    assert "number 7: The Smallest Spark" in out


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary\x00" * 50], ids=["empty", "binary"])
def test_parse_bad_file_is_one_line_and_exit_2(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = run_cli("parse", bad, db=tmp_path / "x.db", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert_one_clean_line(result.stderr)
    assert "bad.txt" in result.stderr
    assert not (tmp_path / "x.db").exists()  # parse never touches the database


def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    for args in (["frobnicate"], ["parse"], ["parse", tmp_path / "missing.txt"], ["ingest"]):
        result = run_cli(*args, db=tmp_path / "x.db", cwd=tmp_path)
        assert result.returncode == 2, args
        assert_one_clean_line(result.stderr)


def test_ingest_of_a_folder_without_stories_says_so_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.pdf").write_bytes(b"%PDF-1.4")
    result = run_cli("ingest", tmp_path / "empty", db=tmp_path / "x.db", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_clean_line(result.stderr)
    assert "no story files" in result.stderr and "empty" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_path_too_long_for_the_system_is_one_line_and_exit_2(tmp_path: Path) -> None:
    too_long = str(tmp_path / ("a" * 300))
    for args in (["ingest", too_long], ["copy-db", "--to", too_long], ["parse", too_long]):
        result = run_cli(*args, db=tmp_path / "x.db", cwd=tmp_path)
        assert result.returncode == 2, (args[0], result.stderr)
        assert_one_clean_line(result.stderr)
        assert "too long" in result.stderr


def test_bad_configuration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "folder.db").mkdir()
    result = run_cli("stats", db=tmp_path / "folder.db", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_clean_line(result.stderr)
    assert "DATABASE_PATH" in result.stderr


def test_ingest_twice_leaves_every_table_and_the_file_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "data" / "bot.db"
    first = run_cli("ingest", ROOT / "seeds", db=db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "4 added" in first.stdout
    before, digest = table_rows(db), hashlib.sha256(db.read_bytes()).hexdigest()
    assert len(before["stories"]) == 4 and len(before["paragraphs"]) > 400
    second = run_cli("ingest", ROOT / "seeds", db=db, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "4 unchanged" in second.stdout
    assert table_rows(db) == before
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    stats = run_cli("stats", db=db, cwd=tmp_path)
    assert stats.returncode == 0
    assert "stories:    4 (4 bundled" in stats.stdout
    assert f"paragraphs               {len(before['paragraphs'])}" in stats.stdout


def test_ingest_bad_file_fails_alone(tmp_path: Path) -> None:
    folder = tmp_path / "stories"
    folder.mkdir()
    good = next(p for p in SEEDS if p.name.startswith("003"))
    (folder / good.name).write_bytes(good.read_bytes())
    (folder / good.with_suffix(".toml").name).write_bytes(good.with_suffix(".toml").read_bytes())
    (folder / "broken.txt").write_bytes(b"\x00\xff\x00\xfe" * 100)
    db = tmp_path / "bot.db"
    result = run_cli("ingest", folder, tmp_path / "nowhere.txt", db=db, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in result.stderr
    assert any("broken.txt" in line for line in lines) and any("nowhere.txt" in line for line in lines)
    assert "1 added" in result.stdout and "2 failed" in result.stdout
    assert [r[0] for r in sqlite3.connect(db).execute("SELECT title FROM stories")] == ["Itachi's Deal"]


def test_ingest_changed_file_replaces_old_version(tmp_path: Path) -> None:
    story = tmp_path / "tale.txt"
    story.write_text('"Hello there," Naruto said.\n\nThe wind blew over the village.\n')
    (tmp_path / "tale.toml").write_text('title = "A Tale"\nrating = "K"\n')
    db = tmp_path / "bot.db"
    assert run_cli("ingest", story, db=db, cwd=tmp_path).returncode == 0
    story.write_text('"Goodbye," Sasuke said.\n\nRain fell on the empty road.\n')
    result = run_cli("ingest", story, db=db, cwd=tmp_path)
    assert result.returncode == 0 and "1 replaced" in result.stdout
    connection = sqlite3.connect(db)
    assert connection.execute("SELECT id, title, rating FROM stories").fetchall() == [(1, "A Tale", "K")]
    texts = [r[0] for r in connection.execute("SELECT text FROM paragraphs ORDER BY seq")]
    assert texts and not any("Hello" in t or "wind" in t for t in texts)


def run_ingest_on_a_terminal(path: Path, db: Path, cwd: Path) -> tuple[int, str, str]:
    """`ingest path` with stderr on a pseudo-terminal of 100 columns: (status, stdout, terminal output)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("STORIES_DIR", "DISCORD_TOKEN")}
    env["DATABASE_PATH"] = str(db)
    process = subprocess.Popen([sys.executable, "-m", "bot", "ingest", str(path)], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    written = b""
    try:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            written += chunk
        stdout = process.communicate(timeout=120)[0]
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, stdout.decode(), written.decode()


def test_ingest_shows_progress_within_a_big_file_on_a_terminal(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big_story(big, 2.5)
    status, stdout, terminal = run_ingest_on_a_terminal(big, tmp_path / "bot.db", tmp_path)
    assert status == 0, terminal
    assert "1 added" in stdout
    frames = terminal.replace("\r\n", "\r").split("\r")
    # Bytes done of all, time left, files done; and frames part of the way through the one file.
    assert any(re.search(r"ingest: 100%.*M/2\.\d+M \[\d\d:\d\d<00:00.*1/1 files big\.txt", f) for f in frames), frames
    partial = [f for f in frames if re.search(r"ingest: +[1-9]\d?%.*0/1 files", f)]
    assert partial and all(re.search(r"<\d\d:\d\d", f) for f in partial), frames


def test_ingest_through_a_pipe_prints_no_progress(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big_story(big, 1)
    result = run_cli("ingest", big, db=tmp_path / "bot.db", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.splitlines() == [f"{tmp_path / 'bot.db'}: 1 files: 1 added, 0 replaced, 0 updated, 0 unchanged, 0 failed"]


def big_story(path: Path, megabytes: float) -> None:
    """A long multi-chapter story made of the seeds' text, written in chunks."""
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in SEEDS if not p.name.startswith("001"))
    body = "\n\n".join(block for block in text.split("\n\n") if not block.lstrip().startswith(("Disclaim", "Summary")))
    with path.open("w", encoding="utf-8") as out:
        out.write("A Very Long Story\n\n")
        chapter = 1
        while out.tell() < megabytes * 1_000_000:
            out.write(f"\n\nChapter {chapter}\n\n{body}\n")
            chapter += 1


def test_kill_9_during_ingest_leaves_no_partial_story(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    small = next(p for p in SEEDS if p.name.startswith("000"))
    assert run_cli("ingest", small, db=db, cwd=tmp_path).returncode == 0
    big = tmp_path / "big.txt"
    big_story(big, 2.5)
    wal = Path(f"{db}-wal")
    env = {**os.environ, "DATABASE_PATH": str(db)}
    process = subprocess.Popen([sys.executable, "-m", "bot", "ingest", str(big)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        # Past 1 MB of WAL the story's transaction is writing (migrations and the seed are
        # checkpointed away at the previous close); kill it right there.
        while not (wal.exists() and wal.stat().st_size > 1_000_000):
            assert process.poll() is None, "ingest finished before it could be killed; make the file bigger"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("SELECT title FROM stories").fetchall() == [("After the Invasion",)]
        (paragraphs,) = connection.execute("SELECT paragraph_count FROM stories").fetchone()
        assert connection.execute("SELECT count(*) FROM paragraphs").fetchone() == (paragraphs,)
        assert connection.execute("SELECT count(DISTINCT story_id) FROM quotes").fetchone() == (1,)
        connection.execute("INSERT INTO paragraphs_fts (paragraphs_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        connection.close()
    # The interrupted story loads cleanly afterwards.
    again = run_cli("ingest", big, db=db, cwd=tmp_path)
    assert again.returncode == 0 and "1 added" in again.stdout


def test_parse_json_into_a_closed_pipe_is_one_line_not_a_traceback() -> None:
    # `python -m bot parse FILE --json | head -c 100`: the reader goes away after a few bytes.
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "parse", str(max(SEEDS, key=lambda p: p.stat().st_size)), "--json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.read(100)
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert "Traceback" not in err
    assert err.strip() == "output closed early (broken pipe)"


def test_parse_into_a_pipe_closed_before_it_starts_is_the_same_line(tmp_path: Path) -> None:
    # A short story's output is all in the buffer until the last flush, which fails there.
    story = tmp_path / "short.txt"
    story.write_text('"Hello," said Tom.\n\n"Hi," said Ann.\n', encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    try:
        child = subprocess.run(
            [sys.executable, "-m", "bot", "parse", str(story), "--json"],
            cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, env=env, timeout=60,
        )
    finally:
        os.close(write_end)
    assert child.returncode == 1
    assert child.stderr.decode().strip() == "output closed early (broken pipe)"
