"""The public surface: parse_story, story_to_json and NotAStory."""
from __future__ import annotations

import json

import pytest

from bot.parsing import NotAStory, parse_story, story_to_json
from tests.parsing.conftest import parse


def test_parse_story_returns_chapters_scenes_and_quotes():
    story = parse('Title Of It\n\nChapter 1\n\n"Hello there," Naruto said.\n\nHe waved.\n')
    assert story.title == "Title Of It"
    assert [c.number for c in story.chapters] == [1]
    assert story.chapters[0].paragraphs == ('"Hello there," Naruto said.', "He waved.")
    (quote,) = story.quotes
    assert (quote.text, quote.kind, quote.speaker) == ("Hello there,", "speech", "Naruto")


def test_story_to_json_has_the_contract_keys_and_is_serialisable():
    story = parse('Chapter 7\n\n"Go," Sakura said.\n\nSakura left. Sakura was gone.\n')
    data = story_to_json(story)
    json.dumps(data)
    assert set(data) >= {"title", "summary", "notes", "chapters", "quotes", "characters"}
    assert set(data["chapters"][0]) >= {"number", "title", "scenes"}
    assert set(data["chapters"][0]["scenes"][0]) >= {"heading", "paragraphs"}
    assert set(data["quotes"][0]) >= {"text", "kind", "speaker", "confidence", "chapter", "scene", "paragraph"}
    assert set(data["characters"][0]) >= {"name", "aliases", "mentions"}
    assert data["quotes"][0]["speaker"] == "Sakura"


@pytest.mark.parametrize("data", [b"", b"   \n\n ", b"\x00\x01\x02binary", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_bad_input_raises_not_a_story(data):
    with pytest.raises(NotAStory):
        parse_story(data)


def test_only_headings_is_not_a_story():
    with pytest.raises(NotAStory):
        parse("Chapter 1\n\n***\n\nChapter 2\n")


def test_a_parse_leaves_the_garbage_collector_as_it_found_it():
    import gc

    assert gc.isenabled()
    parse_story(b'Chapter 1\n\n"Go," Sakura said.\n')
    assert gc.isenabled()
    with pytest.raises(NotAStory):
        parse_story(b"")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_story(b'Chapter 1\n\n"Go," Sakura said.\n')
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_progress_reports_bytes_done_in_order_and_ends_at_the_whole_input():
    chapters = "\n\n".join(f'Chapter {n}\n\n"Run, {n}," Naruto said.\n\nSakura ran far away.' for n in range(1, 400))
    data = chapters.encode()
    calls: list[tuple[int, int]] = []
    story = parse_story(data, progress=lambda done, total: calls.append((done, total)))
    assert story == parse_story(data)
    assert {total for _, total in calls} == {len(data)}
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == len(data)
    # Smooth enough for a progress bar, and bounded however many chapters there are.
    assert 50 < len(calls) <= 202
    assert len([d for d in done if d < len(data) * 0.4]) >= 2, "the stages before attribution report too"
