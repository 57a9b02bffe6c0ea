"""What importing the parser compiles, compiled once when the bot is built instead of in every process.

Two things that importing the parser and the story-file readers compiles, in pure Python, in
every process: about 110 regular expressions (`re` compiles a pattern in Python: ~13 ms of CPU)
and the methods of about 25 dataclasses (`dataclasses` writes each class's `__init__`, `__eq__`,
... as source and compiles it: ~6 ms). Together as much as parsing a 100 KB story, for
`python -m bot parse` of a short file most of its own work.

`record()` (run by `make` through bot/build_parser.py) imports those modules in a fresh
interpreter and keeps, for every pattern they compile, what `re` hands its C engine (`_sre`: the
engine's code, the flags, the groups), and for every piece of source `dataclasses` runs, its
code object. They go to build/precompiled.marshal, tagged with the interpreter that made them.
Within `precompiled()` (bot/__main__.py, bot.parsing and bot.formats import inside it),
`re.compile` and `dataclasses`' `exec` take what the file has, when this very interpreter made it
(its version, optimisation level, and `_sre`'s MAGIC and code size), and compile everything else
as usual. What they make is what they would have made: Patterns compare their flags and code, and
record() keeps a form only when it gives a Pattern equal to re.compile's with the same groups; a
code object is the one compile() gives for that source (tests/test_precompiled.py checks the
file's every entry again). The regular-expression engine checks every code it is given, so a
damaged form raises (that pattern is then compiled by `re`), never runs wrong.
"""
from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # re's C engine (no stubs)
import builtins
import dataclasses
import importlib
import marshal
import os
import re
import sys
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import CodeType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

# A path as text: `python -m bot parse` does not load pathlib (bot/cli.py).
FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "build", "precompiled.marshal")
# What record() imports, as `python -m bot parse` does: the command line, the readers, the parser.
MODULES = ("bot.cli", "bot.formats", "bot.formats.sidecar")

# (pattern, flags) -> (flags as compiled, the engine's code as array("I") bytes, groups, group index)
_Forms = dict[tuple[Any, int], tuple[int, bytes, int, dict[str, int]]]
# source -> its code object
_Codes = dict[str, CodeType]


class _Recorded:
    def __init__(self, forms: _Forms | None = None, codes: _Codes | None = None) -> None:
        self.forms: _Forms = forms if forms is not None else {}
        self.codes: _Codes = codes if codes is not None else {}


_loaded: _Recorded | None = None  # FILE, read once
_recording: _Recorded | None = None  # set by record()


def interpreter() -> str:
    """What a recorded form is valid for: this interpreter, its compiler and its regular-expression engine."""
    return (f"{sys.version} {sys.implementation.cache_tag} optimize={sys.flags.optimize}"
            f" {_sre.MAGIC} {_sre.CODESIZE}")


def _load() -> _Recorded:
    global _loaded
    if _loaded is None:
        _loaded = _Recorded()
        try:
            # Read whole, then unmarshalled: marshal.load(file) reads the file a few bytes at a
            # time (1.5 ms more for its ~200 KB).
            with open(FILE, "rb") as file:
                tag, forms, codes = marshal.loads(file.read())
        except (OSError, EOFError, ValueError, TypeError):
            return _loaded
        if tag == interpreter() and isinstance(forms, dict) and isinstance(codes, dict):
            _loaded = _Recorded(forms, codes)
    return _loaded


def _from_form(pattern: str | bytes, form: tuple[int, bytes, int, dict[str, int]]) -> re.Pattern:
    flags, code, groups, groupindex = form
    indexgroup: list[str | None] = [None] * (groups + 1)
    for name, index in groupindex.items():
        indexgroup[index] = name
    return _sre.compile(pattern, flags, array("I", code).tolist(), groups, groupindex, tuple(indexgroup))


def _form_of(pattern: str | bytes, flags: int) -> tuple[int, bytes, int, dict[str, int]]:
    """What re.compile hands _sre.compile for the pattern (as re._compiler.compile makes it)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    return flags | parsed.state.flags, array("I", code).tobytes(), parsed.state.groups - 1, dict(parsed.state.groupdict)


def _code_of(source: str) -> CodeType:
    """What exec(source) compiles, called from dataclasses (a module with no __future__ imports)."""
    return compile(source, "<string>", "exec", dont_inherit=True)


@contextmanager
def precompiled() -> Iterator[None]:
    """Within the block (imports), re.compile and dataclasses take what FILE recorded."""
    recording = _recording
    found = _load() if recording is None else _Recorded()
    if not found.forms and not found.codes and recording is None:
        yield
        return
    forms, codes = found.forms, found.codes
    original: Callable[..., re.Pattern] = re.compile

    def compile_pattern(pattern: Any, flags: int = 0) -> re.Pattern:
        if type(pattern) in (str, bytes) and not flags & re.DEBUG:
            key = (pattern, int(flags))
            if (form := forms.get(key)) is not None:
                try:
                    return _from_form(pattern, form)
                except (RuntimeError, TypeError, ValueError, OverflowError):
                    del forms[key]  # not what this engine takes: re compiles it
            elif recording is not None:
                recording.forms[key] = _form_of(pattern, key[1])
        return original(pattern, flags)

    def exec_code(source: Any, globals: dict | None = None, locals: Any = None, /) -> None:
        if type(source) is str:
            code = codes.get(source)
            if code is None:
                code = _code_of(source)
                if recording is not None:
                    recording.codes[source] = code
            source = code
        builtins.exec(source, globals, locals)

    shadowed = vars(dataclasses).get("exec")
    re.compile = compile_pattern  # type: ignore[assignment]
    dataclasses.exec = exec_code  # type: ignore[attr-defined]
    try:
        yield
    finally:
        re.compile = original
        if shadowed is None:
            del dataclasses.exec  # type: ignore[attr-defined]
        else:
            dataclasses.exec = shadowed  # type: ignore[attr-defined]


def record(file: Path | str = FILE) -> tuple[int, int]:
    """Import MODULES in this fresh interpreter and write what they compile to `file`; returns
    how many patterns and code objects. Each kept form gives a Pattern equal to re.compile's."""
    global _recording
    from pathlib import Path

    file = Path(file)
    if any(name in sys.modules for name in MODULES):
        raise RuntimeError("record() needs an interpreter that has not imported the bot yet")
    recorded = _recording = _Recorded()
    try:
        with precompiled():
            for name in MODULES:
                importlib.import_module(name)
    finally:
        _recording = None
    forms: _Forms = {}
    for (pattern, flags), form in recorded.forms.items():
        compiled = re.compile(pattern, flags)
        made = _from_form(pattern, form)
        if made == compiled and made.groupindex == compiled.groupindex and made.groups == compiled.groups:
            forms[pattern, flags] = form
    file.parent.mkdir(parents=True, exist_ok=True)
    part = file.with_name(f"{file.name}.{os.getpid()}")
    part.write_bytes(marshal.dumps((interpreter(), forms, recorded.codes)))
    os.replace(part, file)
    return len(forms), len(recorded.codes)
