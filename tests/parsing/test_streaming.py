"""The streamed parse (stream_story, `parse --json` written a chapter at a time) is exactly the
whole-story parse: the same Story as the reference orchestration below (the parser before it
streamed, kept here only as the reference), and the same bytes as json.dump of story_to_json."""
from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.parsing import Quote, Story, parse_story, story_to_json, stream_story
from bot.parsing.attribution import ChapterAttributor, attribute_scene, committed
from bot.parsing.characters import build_lexicon, list_characters
from bot.parsing.decoding import decode_text
from bot.parsing.model import Chapter, Character, Note, Scene
from bot.parsing.notes import summary_text
from bot.parsing.parser import _singles_are_speech, outline_text, write_story_json
from bot.parsing.quotations import find_quotes

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))

CAST = "Naruto ran. Naruto laughed. Naruto sat down.\n\n"
# "said the painter", whom the speech before calls Basil twice: renamed once the story is read,
# including in the chapter before the one that settles it.
ROLE = CAST + "Basil came in. Basil rubbed his eyes. Basil sat down by himself.\n\n" + "\n\n".join([
    '"You look tired, Basil," Naruto said.', '"I am," said the painter.',
    "Chapter 2", "Naruto walked to the window and stood there a long while, looking out.",
    '"Sit down, Basil." Naruto pointed at a chair.', '"Thank you," said the painter.',
])
# British style: single quotes carry the speech (counted over the whole story, used in every chapter).
BRITISH = "\n\n".join(
    f"Chapter {c}\n\n" + "\n\n".join(
        f"'Line {c}-{n}, Harriet,' said Emma. 'And more.' Emma smiled at Harriet." for n in range(6)
    ) for c in range(1, 6)
)
TEXTS = {"role": ROLE, "british": BRITISH, "plain": "Chapter 1\n\nNo quotations here at all.\n\n* * *\n\nNone."}


def reference_parse(data: bytes) -> Story:
    """The whole-story orchestration the parser had before it streamed (same internals)."""
    text = decode_text(data)
    outline = outline_text(text)
    summary = None
    notes = []
    for index, chapter in enumerate(outline.chapters):
        for position, note_text, kind in chapter.notes:
            if kind == "summary" and summary is None:
                summary = summary_text(note_text) or None
            notes.append(Note(index, position, note_text, kind))
    lexicon = build_lexicon("\n".join(p for c in outline.chapters for s in c.scenes for p in s.paragraphs))
    scenes_quotes = [[find_quotes(s.paragraphs) for s in c.scenes] for c in outline.chapters]
    if _singles_are_speech(Counter(q.kind for c in scenes_quotes for s in c for q in s)):
        for found in (q for c in scenes_quotes for s in c for q in s):
            found.kind = "speech"
    quotes, speakers = [], Counter()
    for ci, (chapter, chapter_quotes) in enumerate(zip(outline.chapters, scenes_quotes, strict=True)):
        attributor = ChapterAttributor(lexicon)
        for si, (scene, raw) in enumerate(zip(chapter.scenes, chapter_quotes, strict=True)):
            for found, who in zip(raw, attribute_scene(attributor, scene.paragraphs, raw, committed()), strict=True):
                if who.speaker:
                    speakers[who.speaker] += 1
                quotes.append(Quote(found.text, found.kind, who.speaker, round(who.confidence, 2), ci, si,
                                    found.paragraph, found.start, found.start + len(found.text), who.rule))
    if roles := lexicon.roles():
        for number, quote in enumerate(quotes):
            if (name := roles.get(quote.speaker or "")) is not None:
                quotes[number] = replace(quote, speaker=name)
                speakers[name] += 1
                speakers[quote.speaker] -= 1
        speakers = +speakers
    chapters = tuple(Chapter(c.number, c.title, tuple(Scene(s.heading, tuple(s.paragraphs)) for s in c.scenes))
                     for c in outline.chapters)
    return Story(outline.title, summary, tuple(notes), chapters, tuple(quotes),
                 list_characters(lexicon, speakers, roles))


def inputs() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in SEEDS] + [(k, v.encode()) for k, v in TEXTS.items()]


@pytest.mark.parametrize(("name", "data"), inputs(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_streamed_parse_is_the_whole_story_parse(name: str, data: bytes) -> None:
    reference = reference_parse(data)
    assert parse_story(data) == reference
    metadata = {"author": "someone", "tags": ["a", "b"]}
    written = io.StringIO()
    write_story_json(written, stream_story(data), metadata)
    assert written.getvalue() == json.dumps(story_to_json(reference, metadata), ensure_ascii=False, indent=2)


def test_the_reference_sees_what_the_texts_are_there_for() -> None:
    # The role is renamed in both chapters, and the British story's single quotes are speech:
    # without them the comparisons above would not cover the story-wide steps.
    role = reference_parse(ROLE.encode())
    assert len(role.chapters) == 2 and [q.speaker for q in role.quotes] == ["Naruto", "Basil", "Naruto", "Basil"]
    assert {q.kind for q in reference_parse(BRITISH.encode()).quotes} == {"speech"}


def test_parse_json_prints_the_story_as_it_is_parsed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "role.txt"
    path.write_text(ROLE, encoding="utf-8")
    assert main(["parse", str(path), "--json"]) == 0
    printed = capsys.readouterr().out
    expected = story_to_json(reference_parse(path.read_bytes()), {"source": None})
    assert printed == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
    # Handed out a chapter at a time: the stream keeps no chapter it has given.
    stream = stream_story(ROLE.encode())
    chapters = stream.chapters()
    next(chapters)
    assert stream._drafts[0] is None and stream._drafts[1] is not None
    with pytest.raises(RuntimeError):
        next(stream.chapters())


def test_a_bytearray_is_handed_over_to_the_parse_and_emptied_once_decoded():
    data = SEEDS[0].read_bytes()
    owned = bytearray(data)
    stream = stream_story(owned, filename=SEEDS[0].name)
    assert owned == b""  # the file's bytes are not held beside the parse
    assert stream.story() == parse_story(data, filename=SEEDS[0].name)


def test_quotations_past_the_memory_spool_wait_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past _SPOOL_MEMORY the waiting quotations move to a temporary file: the same bytes."""
    from bot.parsing import parser

    data = SEEDS[0].read_bytes()
    expected = json.dumps(story_to_json(parse_story(data)), ensure_ascii=False, indent=2)
    spilled: list[object] = []
    real_dump = parser._Spool.dump

    def dump(spool: parser._Spool, value: tuple[str, list[str | None]]) -> None:
        real_dump(spool, value)
        spilled.append(type(spool.file))

    monkeypatch.setattr(parser, "_SPOOL_MEMORY", 0)
    monkeypatch.setattr(parser._Spool, "dump", dump)
    written = io.StringIO()
    write_story_json(written, stream_story(data))
    assert written.getvalue() == expected
    assert spilled[-1] is not type(None)  # the quotations went to the file


@pytest.mark.parametrize(
    "characters",
    [
        (),
        (Character("Emma"),),
        (
            Character("Emma Woodhouse", ("Emma", "Miss Woodhouse"), 812, "F"),
            Character('The "Captain"\\ \u00e9\u2014\n', ("the captain",), 0, None),
            Character("Mr. Knightley", (), 3, "M"),
        ),
    ],
)
def test_characters_json_is_what_json_dump_indents(characters: tuple[Character, ...]) -> None:
    from bot.parsing.jsonout import characters_json

    listed = story_to_json(Story(title=None, summary=None, characters=characters))["characters"]
    expected = json.dumps(listed, ensure_ascii=False, indent=2).replace("\n", "\n  ")
    assert characters_json(characters) == expected


def test_a_quotations_numbers_and_words_are_written_as_json_dumps_writes_them() -> None:
    """Confidences, kinds and rules are written once each and then looked up: 0.0 and -0.0 (one
    key) and 1 and 1.0 (one key) still keep their own spellings."""
    from bot.parsing.jsonout import _json_word, json_number

    for _ in range(2):  # the second time from what the first wrote
        for value in (0.5, 0.0, -0.0, 1.0, 1, True, 0.33, 1e-7, float("nan"), float("inf"), None):
            assert json_number(value) == json.dumps(value), value
        for word in ("speech", "thought", 'a "rule"', None, "é"):
            assert _json_word(word) == json.dumps(word, ensure_ascii=False), word
