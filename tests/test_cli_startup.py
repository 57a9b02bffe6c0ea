"""`python -m bot parse` starts quickly: it loads neither the store (asyncio, the database
drivers) nor the configuration and its libraries, which only ingest, stats and copy-db use, nor
for a text file the HTML and EPUB readers (an HTML parser, zipfile, ElementTree), nor
importlib.resources, tempfile or hashlib's OpenSSL (a short file's hash is taken by the interpreter's
own SHA-256), and what its imports compile comes precompiled (test_precompiled.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SEED = sorted((ROOT / "seeds").glob("*.txt"))[0]

# Run in a fresh interpreter: the test process itself has imported everything already.
PROBE = """
import contextlib, io, json, sys
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    status = main(["parse", sys.argv[1], "--json"])
print(json.dumps({"status": status, "chapters": len(json.loads(out.getvalue())["chapters"]),
                  "modules": sorted(sys.modules)}))
"""

HEAVY = ("asyncio", "aiosqlite", "asyncpg", "sqlite3", "bot.store", "bot.store.loader", "dotenv", "yarl",
         "tomllib", "discord", "bot.config", "bot.formats.html", "bot.formats.epub", "html.parser",
         "zipfile", "xml.etree.ElementTree", "importlib.resources", "tempfile", "_hashlib")


def probe(story: Path, cwd: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, str(story)], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout)


def test_parse_loads_no_store_nor_configuration_libraries(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_bytes(SEED.read_bytes())
    found = probe(story, tmp_path)
    assert found["status"] == 0 and found["chapters"] > 0
    assert [name for name in HEAVY if name in found["modules"]] == []


def test_parse_reads_the_toml_beside_the_file(tmp_path: Path) -> None:
    """tomllib is loaded when there is a .toml to read, and the .toml's title still wins."""
    story = tmp_path / "story.txt"
    story.write_bytes(SEED.read_bytes())
    story.with_suffix(".toml").write_text('title = "Another Title"\n', encoding="utf-8")
    found = probe(story, tmp_path)
    assert "tomllib" in found["modules"] and "bot.store" not in found["modules"]
    done = subprocess.run([sys.executable, "-m", "bot", "parse", str(story), "--json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout)["title"] == "Another Title"


def test_parse_in_its_own_process_prints_everything_before_it_ends(tmp_path: Path) -> None:
    """`python -m bot parse` ends its process without the interpreter's teardown: what it printed,
    to a pipe or a file, is all there, byte for byte what main() prints."""
    story = tmp_path / "story.txt"
    # Longer than a pipe's buffer once printed.
    story.write_bytes(b"\n\n".join(b"Chapter %d\n\n" % (n + 1) + SEED.read_bytes() for n in range(20)))
    expected = subprocess.run([sys.executable, "-c", PROBE.replace('"modules": sorted(sys.modules)', '"out": out.getvalue()'), str(story)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)
    printed = json.loads(expected.stdout)["out"]
    assert len(printed) > 100_000
    piped = subprocess.run([sys.executable, "-m", "bot", "parse", str(story), "--json"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, printed, "")
    with (tmp_path / "out.json").open("w") as file:
        status = subprocess.run([sys.executable, "-m", "bot", "parse", str(story), "--json"], cwd=tmp_path,
                                stdout=file, timeout=120).returncode
    assert status == 0 and (tmp_path / "out.json").read_text() == printed


# What `python -m bot parse FILE --json` does without (bot/__main__.py, bot/cli.py): argparse (and
# gettext's locale), shutil (argparse asks it the terminal's width), pathlib (with urllib.parse and
# ipaddress), setuptools' editable-install finder (pip install -e writes a plain .pth instead),
# typing (TYPE_CHECKING = False where it is imported), logging with traceback, string and threading
# (bot/lazylog.py, nothing logged).
NOT_AT_START = ("argparse", "gettext", "locale", "shutil", "pathlib", "urllib.parse", "ipaddress", "typing",
                "logging", "traceback", "string", "threading")
# What inspect, copy and re import: loaded only if they ran (bot/startup.py puts them in sys.modules
# unexecuted; every dataclass the compiled parse loads has a docstring, so dataclasses never calls
# inspect, nothing calls dataclasses.asdict, which uses copy, and every pattern compiled comes from
# build/precompiled.marshal, none at run time, so re is not needed).
NOT_RUN = ("ast", "dis", "linecache", "tokenize", "textwrap", "weakref", "enum", "re._parser", "re._compiler")


def _imported_by_parse(story: Path, cwd: Path, *args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot", "parse", *args, str(story), "--json"],
                          cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["chapters"], done.stderr[-2000:]
    return [line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]


def test_parse_in_its_own_process_loads_no_argparse_pathlib_nor_inspect(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_bytes(SEED.read_bytes())
    imported = _imported_by_parse(story, tmp_path)
    assert "bot.parsing.parser" in imported and "dataclasses" in imported  # importtime lists them
    assert [name for name in NOT_AT_START if name in imported] == []
    assert [name for name in imported if name.startswith("__editable__")] == []
    assert "inspect" not in imported and "copy" not in imported and "re" not in imported
    from bot.parsing import native

    # The pure parser's own dataclasses have no docstrings: there inspect runs (and imports ast, dis,
    # and tokenize, whose patterns need re).
    not_run = NOT_RUN if native.COMPILED else ("textwrap", "weakref")
    assert [name for name in not_run if name in imported] == []
    # An option before FILE goes through argparse, which reads it the same way.
    imported = _imported_by_parse(story, tmp_path, "--json")
    assert "argparse" in imported


FIRST_USE = """
import os, runpy, sys
def exit_now(status):
    raise SystemExit(status)
os._exit = exit_now  # parse ends its process there: here it comes back to this script
sys.argv = ["bot", *sys.argv[1:]]
try:
    runpy.run_module("bot", run_name="__main__")
except SystemExit as exit:
    status = exit.code
later = [sys.modules.get(name) for name in ("inspect", "copy", "re")]
ran = [None if module is None else attr in vars(module) for module, attr in zip(later, ["signature", "deepcopy", "sub"])]
import inspect, copy, re
used = [str(inspect.signature(lambda a, b=1: a)), copy.deepcopy([1, [2]]), re.sub("a+", r"<\\g<0>>", "caat"),
        re.IGNORECASE.name]
print(status, ran, [inspect, copy, re] == later, used, [type(module).__name__ for module in later], sep="; ")
"""


def test_what_parse_imports_later_runs_when_first_used(tmp_path: Path) -> None:
    """In a `python -m bot parse` process inspect, copy and re are there unexecuted; what uses
    them gets the real modules. Other commands import them as usual."""
    def run(*args: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", FIRST_USE, *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, check=True)
        return done.stdout.splitlines()[-1].split("; ")

    (tmp_path / "story.txt").write_bytes(SEED.read_bytes())
    from bot.parsing import native

    used = "['(a, b=1)', [1, [2]], 'c<aa>t', 'IGNORECASE']"
    # The pure parser's own dataclasses have no docstrings: there inspect runs, and its tokenize needs re.
    ran = "[False, False, False]" if native.COMPILED else "[True, False, True]"
    assert run("parse", "story.txt", "--json") == ["0", ran, "True", used, "['module', 'module', 'module']"]
    assert run("--help")[:4] == ["0", "[True, True, True]", "True", used]


def test_a_module_run_on_first_use_runs_once_whichever_thread_asks() -> None:
    code = """
import sys, threading
from bot.startup import import_later
import_later("tomllib")
module = sys.modules["tomllib"]
start, found = threading.Barrier(8), []
def use():
    start.wait()
    found.append(module.loads('a = 1')["a"])
threads = [threading.Thread(target=use) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(found, type(module).__name__, module is sys.modules["tomllib"])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["[1,", "1,", "1,", "1,", "1,", "1,", "1,", "1]", "module", "True"]


@pytest.mark.parametrize("argv", [
    ["parse", "story.txt"], ["parse", "story.txt", "--json"], ["parse", "--json", "story.txt"],
    ["parse", "./a b/story.md", "--json"], ["parse", "--json", "--json"], ["parse", "-x.txt"],
    ["parse", "--", "story.txt"], ["parse", "a.txt", "b.txt"], ["parse", "", "--json"], ["parse", "--js", "a.txt"],
    ["parse"], ["stats"], ["ingest", "a.txt"], [],
])
def test_the_short_reading_of_parse_is_argparse_s(argv: list[str]) -> None:
    """parse_arguments reads `parse FILE [--json]` itself; what it reads is what argparse reads,
    and every other command line is argparse's (its errors too)."""
    from bot.cli import UsageError, build_parser, parse_arguments

    def read(reader):
        try:
            return vars(reader(argv))
        except UsageError as exc:
            return str(exc)

    assert read(parse_arguments) == read(build_parser().parse_args)


# The file name's extension and the .toml beside a story file, worked out as text where `parse`
# used pathlib: the same answers for any name.
_NAME = st.text(alphabet="ab.\\/ Ćx", max_size=14)
_PART = st.text(alphabet="ab. Ć", min_size=1, max_size=6)


@given(_NAME)
def test_extension_of_is_pure_posix_path_s_suffix(filename: str) -> None:
    from bot.formats import extension_of

    assert extension_of(filename) == PurePosixPath(filename.replace("\\", "/")).suffix.lower()


@given(st.lists(st.sampled_from(["", ".", ".."]) | _PART, max_size=4), _PART.filter(lambda part: part != "."),
       st.booleans())
def test_the_toml_beside_a_file_is_path_with_suffix_s(folders: list[str], name: str, absolute: bool) -> None:
    from bot.formats.sidecar import toml_path_of

    path = ("/" if absolute else "") + "/".join([*folders, name])
    expected = Path(path).with_suffix(".toml")
    assert Path(toml_path_of(path)) == expected and toml_path_of(Path(path)) == str(expected)


def test_a_bad_toml_is_named_as_before(tmp_path: Path) -> None:
    """Messages name the .toml (and the file) as pathlib prints them, however the path was typed."""
    (tmp_path / "story.txt").write_bytes(SEED.read_bytes())
    (tmp_path / "story.toml").write_text("title = [\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bot", "parse", "./story.txt", "--json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("story.toml: not valid TOML metadata (")
    done = subprocess.run([sys.executable, "-m", "bot", "parse", ".//missing.txt"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (2, "missing.txt: cannot read (No such file or directory)\n")
