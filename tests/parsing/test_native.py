"""The parser compiled with mypyc (bot/parsing/native.py, bot/build_parser.py): used under `make
test` when built (always under CI), never in place of edited sources, and giving exactly what the
pure Python parser gives."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from bot.parsing import native, parse_story, story_to_json

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SHORT_TEXTS = [
    '"Come here," said Emma. "Now."\n\n"Why?" he asked.\n\n"Because I say so."\n\n"Fine."\n',
    "Chapter 1\n\n'I am tired,' I said to Marla.\n\nMarla sighed. 'So am I.'\n\n"
    "Chapter 2\n\nThe old man looked up. \"Who goes there?\"\n\n\"Only me,\" said the girl.\n",
    "A/N: thanks for reading!\n\n*Where is he?* Naruto thought.\n\n\"Naruto-kun!\" Hinata called.\n"
    "\n\"Hinata-chan,\" he answered, and she smiled.\n\n* * *\n\nLater, Sasuke said nothing.\n",
    "Mr. Darcy bowed. \"Miss Bennet.\"\n\n\"Mr. Darcy,\" replied Elizabeth coldly, \"you are late.\"\n"
    "\n\"I am,\" he admitted.\n\nHer mother said, \"Lizzy!\"\n",
]


def _needs_build() -> None:
    if os.environ.get("STORYBOT_PURE_PYTHON") == "1":
        pytest.skip("STORYBOT_PURE_PYTHON=1: the pure parser on purpose")
    if not os.path.exists(native.STAMP) and os.environ.get("CI") != "true":
        pytest.skip("the parser is not compiled here (make builds it into build/mypyc)")


def test_the_compiled_parser_is_what_runs_when_built():
    """Under CI the build must exist and be current: a silent fall-back to pure Python fails."""
    _needs_build()
    assert native.COMPILED, f"{native.BUILD_DIR} is stale or broken: the parser runs in pure Python"
    assert set(native.COMPILED) == {native.module_name(path) for path in native.compiled_paths()}
    for name in native.COMPILED:
        file = Path(import_module(name).__file__)
        assert file.is_relative_to(native.BUILD_DIR) and file.suffix == ".so", name


def _copy_of_the_package(tmp_path: Path) -> Path:
    """The bot package's parser and its build, copied where they can be edited."""
    shutil.copytree(ROOT / "bot" / "parsing", tmp_path / "bot" / "parsing",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "bot" / "__init__.py", tmp_path / "bot" / "__init__.py")
    for module in ("precompiled.py", "startup.py", "lazylog.py"):  # what the parser imports from bot
        shutil.copy(ROOT / "bot" / module, tmp_path / "bot" / module)
    shutil.copytree(native.BUILD_DIR, tmp_path / "build" / "mypyc")
    return tmp_path


def _loaded(root: Path, **env: str) -> dict:
    code = (
        "import json, bot, bot.parsing.attribution.tags as tags, bot.parsing.native as native;"
        "print(json.dumps({'bot': bot.__file__, 'tags': tags.__file__, 'compiled': native.COMPILED,"
        " 'edited': getattr(tags, 'EDITED', False)}))"
    )
    environ = {name: value for name, value in os.environ.items() if name != "STORYBOT_PURE_PYTHON"}
    environ |= {"PYTHONPATH": str(root), **env}
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=environ, capture_output=True,
                         text=True, check=True, timeout=60)
    loaded = json.loads(out.stdout)
    assert loaded["bot"] == str(root / "bot" / "__init__.py")
    return loaded


def test_an_edited_source_runs_instead_of_the_stale_build(tmp_path):
    _needs_build()
    root = _copy_of_the_package(tmp_path)
    built = _loaded(root)
    assert built["compiled"] and built["tags"].endswith(".so")
    # STORYBOT_PURE_PYTHON=1 forces the pure modules.
    forced = _loaded(root, STORYBOT_PURE_PYTHON="1")
    assert forced["compiled"] == [] and forced["tags"] == str(root / "bot/parsing/attribution/tags.py")
    # One edited file, compiled or not, and every module is the source's until the next build.
    for edited in ("attribution/tags.py", "attribution/rules.py"):
        path = root / "bot" / "parsing" / edited
        original = path.read_text()
        path.write_text(original + "\nEDITED = True\n")
        loaded = _loaded(root)
        assert loaded["compiled"] == [] and loaded["tags"] == str(root / "bot/parsing/attribution/tags.py")
        assert loaded["edited"] == (edited == "attribution/tags.py")
        path.write_text(original)
    assert _loaded(root)["compiled"] == built["compiled"]


def test_a_build_with_a_module_missing_is_not_used(tmp_path):
    _needs_build()
    root = _copy_of_the_package(tmp_path)
    next((root / "build" / "mypyc" / "bot" / "parsing").glob("quotations.*.so")).unlink()
    assert _loaded(root)["compiled"] == []


def test_compiled_and_pure_parsers_give_the_same_output():
    _needs_build()
    if not native.COMPILED:
        pytest.fail("the parser is not compiled")
    texts = [text.encode() for text in SHORT_TEXTS] + [path.read_bytes() for path in SEEDS]
    compiled = [json.dumps(story_to_json(parse_story(data, filename="story.txt"))) for data in texts]
    code = (
        "import json, sys\n"
        "from bot.parsing import native, parse_story, story_to_json\n"
        "assert not native.COMPILED\n"
        "for data in json.load(sys.stdin):\n"
        "    print(json.dumps(story_to_json(parse_story(data.encode('latin-1'), filename='story.txt'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps([data.decode("latin-1") for data in texts]),
        env={**os.environ, "STORYBOT_PURE_PYTHON": "1"}, capture_output=True, text=True, check=True,
        timeout=300,
    )
    pure = out.stdout.splitlines()
    assert len(pure) == len(texts)
    for number, (mine, theirs) in enumerate(zip(compiled, pure, strict=True)):
        assert mine == theirs, f"text {number}: compiled and pure parses differ"
    assert any(json.loads(line)["quotes"] for line in pure)
