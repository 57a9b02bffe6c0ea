"""The parser compiled to C with mypyc, used only while it matches the sources.

`make` (bot/build_parser.py) compiles the modules listed by `compiled_paths()` into build/mypyc/,
with a stamp holding a hash of every source file of bot/parsing (and each file's size and
modification time, taken before the hash). Importing this module (the first thing
bot/parsing/__init__.py does) puts a finder in front of the import system that loads those
modules from build/mypyc/ only when the stamp's hash is the current sources' hash (not computed
when every file's size and time are still the stamp's): edit any parser file and the pure Python
modules are what runs until the next build. STORYBOT_PURE_PYTHON=1 forces
the pure modules. Nothing here needs mypy: the compiled modules carry mypyc's runtime.
"""
from __future__ import annotations

import json
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from mypy_extensions import trait
else:
    def trait(cls: type) -> type:
        """mypyc's mark of a mixin class (read at compile time); nothing at run time, no mypy needed."""
        return cls

# Paths as text: a start-up loads no pathlib (bot/cli.py); the build's helpers below do.
PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))
BUILD_DIR = os.path.join(os.path.dirname(os.path.dirname(PACKAGE_DIR)), "build", "mypyc")
STAMP = os.path.join(BUILD_DIR, "stamp.json")
# The compiled modules share one library, bot/parsing/native_lib__mypyc.*.so in BUILD_DIR.
GROUP = "bot.parsing.native_lib"
# Kept pure: the package files, this loader, the dataclasses the rest of the bot builds and
# pickles, and the orchestration (parallel.py: a long story's blocks and their worker processes,
# whose results are pickled).
PURE = frozenset({"native.py", "parser.py", "model.py", "parallel.py"})


def _sources() -> list[Path]:
    from pathlib import Path

    return sorted(Path(PACKAGE_DIR).rglob("*.py"))


def compiled_paths() -> list[Path]:
    """The source files mypyc compiles."""
    return [
        path for path in _sources()
        if path.name != "__init__.py" and path.relative_to(PACKAGE_DIR).as_posix() not in PURE
    ]


def module_name(path: Path) -> str:
    return ".".join(("bot", "parsing", *path.relative_to(PACKAGE_DIR).with_suffix("").parts))


def source_stats() -> dict[str, list[int]]:
    """Size and modification time of every source file of the parser, by path: what the stamp
    also records, so a start-up whose sources are untouched since the build (the same files,
    sizes and times, as make judges them) need not read and hash them all."""
    found: dict[str, list[int]] = {}
    folders = [PACKAGE_DIR]
    for folder in folders:  # os.scandir's entries, not os.walk: a third less of every start-up
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(".py") and entry.is_file():
                    stat = entry.stat()
                    relative = entry.path[len(PACKAGE_DIR) + 1:].replace(os.sep, "/")  # as Path.relative_to, as_posix
                    found[relative] = [stat.st_size, stat.st_mtime_ns]
                elif entry.name != "__pycache__" and entry.is_dir(follow_symlinks=False):  # as os.walk
                    folders.append(entry.path)
    return found


def source_hash() -> str:
    """A hash of every source file of the parser (compiled or not: a compiled module relies on
    the types of the pure ones it calls) and of the interpreter's extension ABI."""
    import hashlib  # only here: a start-up whose sources match the stamp's stats never loads it

    digest = hashlib.blake2b(EXTENSION_SUFFIXES[0].encode(), digest_size=16)
    for path in _sources():
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


class _Finder:
    """Finds the compiled modules (and their shared library) in BUILD_DIR."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        file = self.files.get(name)
        if file is None:
            return None
        return ModuleSpec(name, ExtensionFileLoader(name, file), origin=file)


def _all_files(paths: Iterable[str]) -> bool:
    """Whether every path is a file (os.path.isfile), each folder listed once instead of a stat
    of each of the 27 files."""
    listed: dict[str, set[str]] = {}
    for path in paths:
        folder, name = os.path.split(path)
        if folder not in listed:
            try:
                with os.scandir(folder) as entries:
                    listed[folder] = {entry.name for entry in entries if entry.is_file()}
            except OSError:
                return False
        if name not in listed[folder]:
            return False
    return True


def _install() -> list[str]:
    if os.environ.get("STORYBOT_PURE_PYTHON") == "1":
        return []
    try:
        with open(STAMP, encoding="utf-8") as file:
            stamp = json.loads(file.read())
    except (OSError, ValueError):
        return []
    if not isinstance(stamp, dict):
        return []
    if stamp.get("stats") != source_stats() and stamp.get("sources") != source_hash():
        return []
    files = {name: os.path.join(BUILD_DIR, file) for name, file in stamp.get("modules", {}).items()}
    if not files or not _all_files(files.values()):
        return []
    sys.meta_path.insert(0, _Finder(files))
    return sorted(name for name in files if not name.endswith("__mypyc"))


# The modules loaded compiled ([] when the pure ones run).
COMPILED: list[str] = _install()
