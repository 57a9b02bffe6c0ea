"""Regular expressions precompiled at build time (bot/precompiled.py, build/patterns.marshal):
each gives exactly the Pattern re.compile gives, importing the parser then compiles next to none,
and a file made by another interpreter or damaged is never used."""
from __future__ import annotations

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

# In a fresh interpreter: how many patterns re's own compiler compiles while the parser and the
# story-file readers are imported, with the recorded patterns read from sys.argv[1].
COUNT = """
import json, sys
from pathlib import Path
import re._compiler
from bot import precompiled
precompiled.FILE = Path(sys.argv[1])
compiled = []
real = re._compiler.compile
re._compiler.compile = lambda pattern, flags=0: compiled.append(pattern) or real(pattern, flags)
import bot.formats
print(json.dumps(len(compiled)))
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout


def test_every_recorded_pattern_is_the_one_re_compiles() -> None:
    forms = precompiled._load()
    if not forms:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{precompiled.FILE} is missing or was made by another interpreter")
        pytest.skip("no precompiled patterns here (make records them)")
    assert len(forms) > 50
    for (pattern, flags), form in forms.items():
        made, compiled = precompiled._from_form(pattern, form), re.compile(pattern, flags)
        assert made == compiled and made is not compiled, pattern
        assert (made.flags, made.groups, made.groupindex) == (compiled.flags, compiled.groups, compiled.groupindex)


def test_recorded_patterns_are_not_compiled_again(tmp_path: Path) -> None:
    recorded = tmp_path / "patterns.marshal"
    count = int(_run(f"from bot.precompiled import record; from pathlib import Path; print(record(Path({str(recorded)!r})))"))
    assert count > 50
    # What the standard library compiles as it is imported is left to re (it loads before the
    # parser's imports); the parser's and the readers' patterns are read from the file.
    without, with_file = int(_run(COUNT, str(tmp_path / "none.marshal"))), int(_run(COUNT, str(recorded)))
    assert without > 80 and with_file < 20


def test_a_file_of_another_interpreter_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    form = precompiled._form_of("ab+c", 0)
    file = tmp_path / "patterns.marshal"
    monkeypatch.setattr(precompiled, "FILE", file)
    for tag, expected in (("CPython 2.7", {}), (precompiled.interpreter(), {("ab+c", 0): form})):
        file.write_bytes(marshal.dumps((tag, {("ab+c", 0): form})))
        monkeypatch.setattr(precompiled, "_forms", None)
        assert precompiled._load() == expected


def test_a_damaged_form_falls_back_to_re(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine refuses code it cannot run; that pattern is compiled by re instead."""
    broken = (0, b"\xff" * 16, 0, {})
    monkeypatch.setattr(precompiled, "_forms", {("x(y)z", 0): broken, ("q+", 0): precompiled._form_of("q+", 0)})
    with precompiled.patterns():
        damaged, kept = re.compile("x(y)z"), re.compile("q+")
    assert re.compile is not None and damaged.fullmatch("xyz")[1] == "y" and kept.fullmatch("qqq")
    assert ("x(y)z", 0) not in precompiled._forms
    # Outside the block re.compile is re's own again.
    assert re.compile.__module__ == "re"


def test_the_build_records_them() -> None:
    """bot/build_parser.py records the patterns each time make runs it (into FILE)."""
    assert json.loads(_run("import json, bot.build_parser as b; print(json.dumps(callable(b.record_patterns)))"))
