"""Compile the parser with mypyc into build/mypyc/ (`python -m bot.build_parser`; `make` runs it).

mypyc (part of mypy) compiles the type-annotated parser modules to C extensions: the same Python
code, several times faster on one core, and the bot needs no mypy to run them. The result is used
only while its stamp matches the sources (bot/parsing/native.py). Needs a C compiler and Python's
headers; when the build fails the bot runs the pure Python parser.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from bot.parsing import native

ROOT = Path(native.PACKAGE_DIR).parent.parent
BUILD_DIR, STAMP = Path(native.BUILD_DIR), Path(native.STAMP)
# mypy's options for the compiled modules: imports outside them are read for their types only.
MYPY_OPTIONS = ["--ignore-missing-imports", "--follow-imports=silent", "--python-version=3.11"]
# What mypy, mypyc and the C compiler print, shown only when the build fails.
LOG = BUILD_DIR.parent / "mypyc.log"


@contextlib.contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """This process's and its children's stdout and stderr into the log file."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("wb") as file:
        os.dup2(file.fileno(), 1)
        os.dup2(file.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def build() -> list[str]:
    """Compile into a temporary folder, then swap it in as BUILD_DIR with its stamp."""
    from mypyc.build import mypycify  # a development dependency: only the build needs it
    from setuptools import setup

    stats = native.source_stats()  # before the hash: an edit after it changes them
    sources = native.source_hash()
    paths = [path.relative_to(ROOT).as_posix() for path in native.compiled_paths()]
    build_root = BUILD_DIR.parent
    build_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mypyc-", dir=build_root))
    try:
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            extensions = mypycify(
                [*paths, *MYPY_OPTIONS], opt_level="3", group_name=native.GROUP,
                target_dir=str(work / "c"),
            )
            setup(
                name="storybot-parser", ext_modules=extensions,
                script_args=["-q", "build_ext", "--build-lib", str(work / "lib"),
                             "--build-temp", str(work / "tmp")],
            )
        finally:
            os.chdir(cwd)
        lib = work / "lib"
        suffix = EXTENSION_SUFFIXES[0]
        modules = {
            extension.name: Path(*extension.name.split(".")).as_posix() + suffix for extension in extensions
        }
        missing = [file for file in modules.values() if not (lib / file).is_file()]
        if missing:
            raise RuntimeError(f"mypyc built no {', '.join(missing)}")
        (lib / "stamp.json").write_text(json.dumps({"sources": sources, "stats": stats, "modules": modules}, indent=1))
        if BUILD_DIR.exists():
            shutil.rmtree(BUILD_DIR)
        lib.rename(BUILD_DIR)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return sorted(modules)


def _restamp() -> None:
    """Sources rewritten but unchanged (a checkout): the stamp takes their new sizes and times,
    so a start-up again need not hash them (bot/parsing/native.py)."""
    stamp = json.loads(STAMP.read_text())
    stats = native.source_stats()  # before the hash, as build() takes them
    if stamp.get("stats") != stats and stamp.get("sources") == native.source_hash():
        stamp["stats"] = stats
        part = STAMP.with_name(f"stamp.{os.getpid()}")
        part.write_text(json.dumps(stamp, indent=1))
        os.replace(part, STAMP)


def record_patterns() -> None:
    """What the parser and the file readers compile as they load (regular expressions,
    dataclasses' methods), compiled once for every later process (bot/precompiled.py): recorded
    in a fresh interpreter, which imports them."""
    from bot import precompiled

    done = subprocess.run(
        [sys.executable, "-c", "from bot.precompiled import record; print(*record())"], cwd=ROOT,
        capture_output=True, text=True, timeout=300,
    )
    if done.returncode == 0:
        patterns, codes = done.stdout.split()
        print(f"precompiled {patterns} regular expressions and {codes} dataclass methods into {precompiled.FILE}")
    else:
        print(f"precompiling failed (regular expressions and dataclasses compile as each process starts):"
              f" {(done.stderr.strip().splitlines() or ['no output'])[-1]}", file=sys.stderr)


def main() -> int:
    status = compile_parser()
    record_patterns()
    return status


def compile_parser() -> int:
    if native.COMPILED and "--force" not in sys.argv[1:]:
        _restamp()
        print(f"compiled parser up to date ({len(native.COMPILED)} modules)")
        return 0
    BUILD_DIR.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _output_to(LOG):
            modules = build()
    except (Exception, SystemExit) as error:  # setup() reports a compiler failure as SystemExit
        tail = LOG.read_text(errors="replace").splitlines()[-15:] if LOG.exists() else []
        print("\n".join(tail), file=sys.stderr)
        print(f"compiling the parser failed ({type(error).__name__}: {error}; all output in {LOG}):"
              " the bot runs the pure Python parser", file=sys.stderr)
        return 1
    print(f"compiled the parser with mypyc: {len(modules) - 1} modules in {BUILD_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
