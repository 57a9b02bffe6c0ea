"""Regular expressions compiled once, when the bot is built, instead of in every process.

Python's `re` compiles a pattern in pure Python: the ~150 patterns the parser and the story-file
readers compile as they are imported cost about 13 ms of CPU in every process that imports them,
as much as parsing a 60 KB story (`python -m bot parse` of a short file takes a few tens of ms).

`record()` (run by `make` through bot/build_parser.py) imports those modules in a fresh
interpreter and keeps, for every pattern they compile, what `re` hands its C engine (`_sre`): the
engine's code, the flags and the groups. They go to build/patterns.marshal, tagged with the
interpreter that made them. While bot.parsing and bot.formats import, `patterns()` serves
`re.compile` from that file when it was made by this very interpreter (its version, and `_sre`'s
MAGIC and code size), and leaves every other pattern to `re`. The Pattern made is the one
`re.compile` makes: Patterns compare their flags and code, and record() keeps a form only when it
gives a Pattern equal to re.compile's, with the same groups (tests/test_precompiled.py checks the
file's every entry again). The engine checks every code it is given, so a damaged file raises
(that pattern is then compiled by `re`), never runs wrong.
"""
from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # re's C engine (no stubs)
import importlib
import marshal
import os
import re
import sys
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FILE = Path(__file__).resolve().parent.parent / "build" / "patterns.marshal"
# What record() imports: the modules bot.parsing and bot.formats import when they are imported.
MODULES = ("bot.parsing", "bot.formats")

# (pattern, flags) -> (flags as compiled, the engine's code as array("I") bytes, groups, group index)
_Forms = dict[tuple[Any, int], tuple[int, bytes, int, dict[str, int]]]

_forms: _Forms | None = None  # FILE, read once
_recording: _Forms | None = None  # set by record()


def interpreter() -> str:
    """What a recorded form is valid for: this interpreter and its regular-expression engine."""
    return f"{sys.version} {sys.implementation.cache_tag} {_sre.MAGIC} {_sre.CODESIZE}"


def _load() -> _Forms:
    global _forms
    if _forms is None:
        _forms = {}
        try:
            with FILE.open("rb") as file:
                tag, forms = marshal.load(file)
        except (OSError, EOFError, ValueError, TypeError):
            return _forms
        if tag == interpreter() and isinstance(forms, dict):
            _forms = forms
    return _forms


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


@contextmanager
def patterns() -> Iterator[None]:
    """Within the block (an import), re.compile takes recorded patterns from FILE."""
    forms = _load() if _recording is None else {}
    if not forms and _recording is None:
        yield
        return
    original: Callable[..., re.Pattern] = re.compile

    def compile(pattern: Any, flags: int = 0) -> re.Pattern:
        if type(pattern) in (str, bytes) and not flags & re.DEBUG:
            key = (pattern, int(flags))
            if (form := forms.get(key)) is not None:
                try:
                    return _from_form(pattern, form)
                except (RuntimeError, TypeError, ValueError, OverflowError):
                    del forms[key]  # not what this engine takes: re compiles it
            elif _recording is not None:
                _recording[key] = _form_of(pattern, key[1])
        return original(pattern, flags)

    re.compile = compile
    try:
        yield
    finally:
        re.compile = original


def record(file: Path = FILE) -> int:
    """Import MODULES in this fresh interpreter and write the forms of the patterns they compile
    to `file`; returns how many. Each kept form gives a Pattern equal to re.compile's."""
    global _recording
    if any(name in sys.modules for name in MODULES):
        raise RuntimeError("record() needs an interpreter that has not imported the parser yet")
    _recording = {}
    try:
        for name in MODULES:
            importlib.import_module(name)
        found = _recording
    finally:
        _recording = None
    forms: _Forms = {}
    for (pattern, flags), form in found.items():
        compiled = re.compile(pattern, flags)
        made = _from_form(pattern, form)
        if made == compiled and made.groupindex == compiled.groupindex and made.groups == compiled.groups:
            forms[pattern, flags] = form
    file.parent.mkdir(parents=True, exist_ok=True)
    part = file.with_name(f"{file.name}.{os.getpid()}")
    part.write_bytes(marshal.dumps((interpreter(), forms)))
    os.replace(part, file)
    return len(forms)
