"""What importing the parser compiles, precompiled at build time (bot/precompiled.py,
build/precompiled.marshal): each regular expression is exactly the Pattern re.compile gives and
each dataclass method's code what compile() gives, importing the bot then compiles next to none
of them, and a file made by another interpreter or damaged is never used."""
from __future__ import annotations

import dataclasses
import json
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import precompiled

ROOT = Path(__file__).resolve().parent.parent

# In a fresh interpreter, importing as `python -m bot parse` does (bot/__main__.py) with what is
# recorded read from sys.argv[1]: how many patterns re's own compiler compiles, and how many
# sources dataclasses has compiled from text.
COUNT = """
import builtins, json, sys
from pathlib import Path
import re._compiler
from bot import precompiled
precompiled.FILE = Path(sys.argv[1])
patterns, sources = [], []
real_compile, real_exec = re._compiler.compile, builtins.exec
re._compiler.compile = lambda pattern, flags=0: patterns.append(pattern) or real_compile(pattern, flags)
builtins.exec = lambda source, *a: (isinstance(source, str) and sources.append(source)) or real_exec(source, *a)
with precompiled.precompiled():
    import bot.cli
    bot.cli._import_parse_modules()
print(json.dumps([len(patterns), len(sources)]))
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout


def test_everything_recorded_is_what_would_be_compiled() -> None:
    found = precompiled._load()
    if not found.forms:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{precompiled.FILE} is missing or was made by another interpreter")
        pytest.skip("nothing precompiled here (make records it)")
    assert len(found.forms) > 80 and len(found.codes) > 80
    for (pattern, flags), form in found.forms.items():
        made, compiled = precompiled._from_form(pattern, form), re.compile(pattern, flags)
        assert made == compiled and made is not compiled, pattern
        assert (made.flags, made.groups, made.groupindex) == (compiled.flags, compiled.groups, compiled.groupindex)
    for source, code in found.codes.items():
        assert code == compile(source, "<string>", "exec", dont_inherit=True), source


def test_what_is_recorded_is_not_compiled_again(tmp_path: Path) -> None:
    recorded = tmp_path / "precompiled.marshal"
    patterns, codes = map(int, _run(
        f"from bot.precompiled import record; from pathlib import Path; print(*record(Path({str(recorded)!r})))"
    ).split())
    assert patterns > 80 and codes > 80
    without = json.loads(_run(COUNT, str(tmp_path / "none.marshal")))
    with_file = json.loads(_run(COUNT, str(recorded)))
    # Without the file each is compiled (re's cache and dataclasses' repeats aside); with it only
    # what the standard library compiles before the first import of the bot.
    assert without[0] > 80 and without[1] > 80
    assert with_file[0] < 5 and with_file[1] == 0


def test_a_file_of_another_interpreter_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    form, code = precompiled._form_of("ab+c", 0), precompiled._code_of("x = 1\n")
    file = tmp_path / "precompiled.marshal"
    monkeypatch.setattr(precompiled, "FILE", file)
    for tag, expected in (("CPython 2.7", 0), (precompiled.interpreter(), 1)):
        file.write_bytes(marshal.dumps((tag, {("ab+c", 0): form}, {"x = 1\n": code})))
        monkeypatch.setattr(precompiled, "_loaded", None)
        found = precompiled._load()
        assert (len(found.forms), len(found.codes)) == (expected, expected)


def test_a_damaged_form_falls_back_to_re(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine refuses code it cannot run; that pattern is compiled by re instead."""
    broken = (0, b"\xff" * 16, 0, {})
    forms = {("x(y)z", 0): broken, ("q+", 0): precompiled._form_of("q+", 0)}
    monkeypatch.setattr(precompiled, "_loaded", precompiled._Recorded(forms, {}))
    with precompiled.precompiled():
        damaged, kept = re.compile("x(y)z"), re.compile("q+")
    assert damaged.fullmatch("xyz")[1] == "y" and kept.fullmatch("qqq")
    assert ("x(y)z", 0) not in forms
    # Outside the block re.compile and dataclasses' exec are their own again.
    assert re.compile.__module__ == "re" and "exec" not in vars(dataclasses)


def test_dataclasses_made_within_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dataclass made with recorded code behaves as one made without (frozen, slots, order)."""

    def make() -> type:
        @dataclasses.dataclass(frozen=True, slots=True, order=True)
        class Point:
            x: int
            y: int = 2
        return Point

    plain = make()
    sources: dict = {}
    monkeypatch.setattr(precompiled, "_loaded", None)
    monkeypatch.setattr(precompiled, "_recording", precompiled._Recorded(codes=sources))
    with precompiled.precompiled():
        make()
    monkeypatch.setattr(precompiled, "_recording", None)
    monkeypatch.setattr(precompiled, "_loaded", precompiled._Recorded({}, dict(sources)))
    with precompiled.precompiled():
        ready = make()
    assert len(sources) >= 5
    assert (repr(ready(1)), ready(1) == ready(1, 2), ready(1) < ready(2)) == (repr(plain(1)), True, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ready(1).x = 3  # type: ignore[misc]


def test_the_flags_given_to_an_unexecuted_re_are_re_s() -> None:
    assert {name: int(getattr(re, name)) for name in precompiled.FLAGS} == precompiled.FLAGS
    assert precompiled._DEBUG == re.DEBUG


# In a fresh interpreter, `re` put in sys.modules unexecuted as `python -m bot parse` does
# (bot/__main__.py), then patterns made within precompiled() with two recorded forms (one is
# dataclasses', which precompiled() imports).
UNEXECUTED = """
import sys
from bot import precompiled
from bot.startup import import_later
for name in ("inspect", "copy", "re"):  # as bot/__main__.py (dataclasses imports inspect)
    import_later(name)
re = sys.modules["re"]
def executed():
    return type(re).__name__ == "module"
precompiled._loaded = precompiled._Recorded(FORMS, {})
seen = []
with precompiled.precompiled():
    recorded = re.compile("a(b)+", re.IGNORECASE)
    seen.append(executed())
    if sys.argv[1] == "pickle":
        import pickle
    copied = pickle.loads(pickle.dumps(recorded)) if sys.argv[1] == "pickle" else None
    seen.append(executed())
    other = re.compile("c+d") if sys.argv[1] == "other" else None
    seen.append(executed())
    later = re.compile("e+") if sys.argv[1] == "other" else None
    kept = re.compile if sys.argv[1] == "kept" else None  # as `from re import compile` keeps it
seen.append(executed())
late = kept("g+") if kept else None  # kept past the block: re's own compile, re's for good
outside = re.compile("f+")
import json  # it imports re: only now
print(json.dumps({"seen": seen, "flags": recorded.flags, "match": recorded.fullmatch("ABb")[1],
                  "copied": copied == recorded if copied else None, "other": bool(other and other.fullmatch("ccd")),
                  "later": bool(later and later.fullmatch("ee")), "outside": bool(outside.fullmatch("ff")),
                  "late": bool(late and late.fullmatch("gg")),
                  "own": re.compile.__module__, "flag": type(re.IGNORECASE).__name__}))
"""


@pytest.mark.parametrize("case", ["recorded", "pickle", "other", "kept"])
def test_an_unexecuted_re_is_executed_only_for_what_was_not_recorded(case: str) -> None:
    """A recorded pattern needs no `re`; pickling one, a pattern not recorded, or any use after
    the block executes it, and then everything is re's own (compile, RegexFlag)."""
    forms = {(pattern, flags): precompiled._form_of(pattern, flags)
             for pattern, flags in (("a(b)+", 2), (dataclasses._MODULE_IDENTIFIER_RE.pattern, 0))}
    found = json.loads(_run(UNEXECUTED.replace("FORMS", repr(forms)), case))
    executed_from = {"recorded": 4, "pickle": 1, "other": 2, "kept": 4}[case]
    assert found["seen"] == [index >= executed_from for index in range(4)]
    assert (found["flags"], found["match"]) == (re.compile("a(b)+", re.IGNORECASE).flags, "b")
    assert found["copied"] is (True if case == "pickle" else None)
    assert (found["other"], found["later"]) == ((True, True) if case == "other" else (False, False))
    assert (found["outside"], found["own"], found["flag"]) == (True, "re", "RegexFlag")
    assert found["late"] is (case == "kept")
