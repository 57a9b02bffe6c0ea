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
import copyreg
import importlib
import marshal
import os
import sys
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import CodeType

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    import re
    from pathlib import Path
    from typing import Any

    # (pattern, flags) -> (flags as compiled, the engine's code as array("I") bytes, groups, group index)
    _Forms = dict[tuple[Any, int], tuple[int, bytes, int, dict[str, int]]]
    # source -> its code object
    _Codes = dict[str, CodeType]

# A path as text: `python -m bot parse` does not load pathlib (bot/cli.py).
FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "build", "precompiled.marshal")
# What record() imports, as `python -m bot parse` does: the command line, the readers, the parser.
MODULES = ("bot.cli", "bot.formats", "bot.formats.sidecar")


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


def _pickled_pattern(pattern: re.Pattern) -> tuple[Callable[..., re.Pattern], tuple[Any, int]]:
    """How re pickles a Pattern (re._pickle), for one made while re is not executed; naming
    re._compile executes it."""
    import re

    return re._compile, (pattern.pattern, pattern.flags)  # type: ignore[attr-defined]


# re's flags, as numbers (re.RegexFlag's values): what the modules `parse` loads read from an `re`
# not yet executed (below). tests/test_precompiled.py checks them against re's.
FLAGS = {"A": 256, "ASCII": 256, "I": 2, "IGNORECASE": 2, "L": 4, "LOCALE": 4, "M": 8, "MULTILINE": 8,
         "S": 16, "DOTALL": 16, "U": 32, "UNICODE": 32, "X": 64, "VERBOSE": 64}
_DEBUG = 128  # re.DEBUG: printed as it is compiled, never taken from FILE
_depth = 0  # precompiled() blocks open: the outermost one does the work


@contextmanager
def precompiled() -> Iterator[None]:
    """Within the block (imports), re.compile and dataclasses take what FILE recorded.

    `python -m bot parse` puts `re` in sys.modules unexecuted (bot/__main__.py, bot/startup.py):
    re with enum, its parser and its compiler are ~2 ms of CPU, and a pattern made from what FILE
    recorded needs none of them (only _sre). Within the block such an `re` has `compile` and the
    flags (as numbers); any other attribute, or a pattern FILE lacks, executes it (after the block,
    any attribute does), so whatever needs re gets all of it."""
    global _depth
    recording = _recording
    found = _load() if recording is None else _Recorded()
    if _depth or (not found.forms and not found.codes and recording is None):
        yield
        return
    forms, codes = found.forms, found.codes
    import re  # unexecuted in `python -m bot parse` (bot/__main__.py)

    from bot.startup import ExecutedOnFirstUse

    unexecuted = type(re) is ExecutedOnFirstUse
    real: list[Callable[..., re.Pattern]] = [] if unexecuted else [re.compile]

    def real_compile(pattern: Any, flags: int) -> re.Pattern:
        if not real:
            if type(re) is ExecutedOnFirstUse:
                vars(re).pop("compile", None)  # so that asking for it executes re
            real.append(re.compile)  # re's own, put back by executing it
            if opened:  # for the rest of the block, not after it (`from re import compile` kept)
                re.compile = compile_pattern  # type: ignore[assignment]
        return real[0](pattern, flags)

    def compile_pattern(pattern: Any, flags: int = 0) -> re.Pattern:
        if type(pattern) in (str, bytes) and not flags & _DEBUG:
            key = (pattern, int(flags))
            if (form := forms.get(key)) is not None:
                try:
                    made = _from_form(pattern, form)
                except (RuntimeError, TypeError, ValueError, OverflowError):
                    del forms[key]  # not what this engine takes: re compiles it
                else:
                    if unexecuted and type(made) not in copyreg.dispatch_table:
                        copyreg.pickle(type(made), _pickled_pattern)  # as re does when executed
                    return made
            elif recording is not None:
                recording.forms[key] = _form_of(pattern, key[1])
        return real_compile(pattern, flags)

    def exec_code(source: Any, globals: dict | None = None, locals: Any = None, /) -> None:
        if type(source) is str:
            code = codes.get(source)
            if code is None:
                code = _code_of(source)
                if recording is not None:
                    recording.codes[source] = code
            source = code
        builtins.exec(source, globals, locals)

    if unexecuted:
        vars(re).update(FLAGS)
    re.compile = compile_pattern  # type: ignore[assignment]
    opened = True
    _depth += 1
    try:
        import dataclasses  # here: its own pattern is taken from FILE too

        shadowed = vars(dataclasses).get("exec")
        dataclasses.exec = exec_code  # type: ignore[attr-defined]
        try:
            yield
        finally:
            if shadowed is None:
                del dataclasses.exec  # type: ignore[attr-defined]
            else:
                dataclasses.exec = shadowed  # type: ignore[attr-defined]
    finally:
        _depth -= 1
        opened = False
        if type(re) is ExecutedOnFirstUse:  # still: what was put in goes, the next use executes it
            for name in ("compile", *FLAGS):
                vars(re).pop(name, None)
        elif vars(re).get("compile") is compile_pattern:
            re.compile = real[0]  # type: ignore[assignment]


def record(file: Path | str = FILE) -> tuple[int, int]:
    """Import MODULES in this fresh interpreter and write what they compile to `file`; returns
    how many patterns and code objects. Each kept form gives a Pattern equal to re.compile's."""
    global _recording
    import re
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
