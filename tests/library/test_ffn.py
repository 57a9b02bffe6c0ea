"""A FanFiction.Net chapter page saved from a browser: its profile as metadata, its chapter menu's
entry as the chapter, and nothing of the site's furniture as story text. samples/ffn_chapter.html
is written by hand after such a page (no tool here saves one)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main

SAMPLE = Path(__file__).parent / "samples" / "ffn_chapter.html"


def parsed(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["parse", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_profile_gives_title_author_and_metadata(capsys) -> None:
    printed = parsed(SAMPLE, capsys)
    assert printed["title"] == "The Ferryman's Daughter"
    assert printed["metadata"] == {
        "author": "reedwhistle",
        "fandom": "Naruto",
        "rating": "T",
        "tags": ["Adventure", "Friendship", "Hinata H.", "Sakura H."],
        "summary": "Hinata takes the night ferry across the river, and the ferryman's daughter asks too many questions.",
        "language": "English",
        "source": "https://www.fanfiction.net/s/13500001/2/The-Ferryman-s-Daughter",
    }


def test_the_chapter_is_the_menus_selected_entry_and_furniture_is_not_text(capsys) -> None:
    printed = parsed(SAMPLE, capsys)
    assert [(c["number"], c["title"], len(c["scenes"])) for c in printed["chapters"]] == [(2, "Crossing", 2)]
    assert [(n["kind"], n["position"]) for n in printed["notes"]] == [("summary", "before")]
    text = "\n".join(p for c in printed["chapters"] for s in c["scenes"] for p in s["paragraphs"])
    for furniture in ("Follow/Fav", "Review this chapter", "Privacy", "Prev", "storyid", "Rated:", "The River"):
        assert furniture not in text


def test_dialogue_is_found_as_in_the_same_chapter_as_plain_text(tmp_path, capsys) -> None:
    printed = parsed(SAMPLE, capsys)
    body = SAMPLE.read_text("utf-8").split('id="storytext">', 1)[1].split("</div>", 1)[0]
    lines = [re.sub(r"</?p>", "", line).strip() for line in body.strip().splitlines()]
    plain = "Chapter 2: Crossing\n\n" + "\n\n".join("* * *" if line.startswith("<hr") else line for line in lines)
    (tmp_path / "crossing.txt").write_text(plain, encoding="utf-8")
    expected = parsed(tmp_path / "crossing.txt", capsys)

    def quotes(story: dict) -> list[tuple]:
        return [(q["text"], q["kind"], q["speaker"], q["scene"]) for q in story["quotes"]]

    assert len(printed["quotes"]) == 5
    assert quotes(printed) == quotes(expected)
