"""The text `parse --json` writes for each chapter and quotation, as json.dump(indent=2) writes it:
compiled with the rest of the parser (docs/development.md), as it runs for every paragraph and
quotation of a story (write_story_json in parser.py puts the pieces together)."""
from __future__ import annotations

import json
import math
from collections.abc import Sequence

from bot.parsing.model import Chapter, Character

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import Any

# json's own string encoder (the C one where available), as json.dumps(ensure_ascii=False) uses it.
string_json = json.encoder.encode_basestring


def json_scalar(value: object) -> str:
    """json.dumps(value) of a str, a number or None (typed `object`: compiled, a `float`
    parameter would turn a chapter's int number into a float)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return string_json(value)
    return json.dumps(value)


def json_number(value: object) -> str:
    """json.dumps(value) for a confidence: repr, as json writes a finite float (json.dumps for the rest)."""
    if type(value) is float and math.isfinite(value):
        if not value:
            return float.__repr__(value)  # 0.0 and -0.0: one key, two spellings
        written = _WRITTEN_FLOATS.get(value)
        if written is None:
            written = float.__repr__(value)
            if len(_WRITTEN_FLOATS) < _WRITTEN_MAX:
                _WRITTEN_FLOATS[value] = written
        return written
    return json_scalar(value)


def _json_word(value: object) -> str:
    """json_scalar of a quotation's kind or rule, each written once."""
    if type(value) is not str:
        return json_scalar(value)
    written = _WRITTEN_WORDS.get(value)
    if written is None:
        written = string_json(value)
        if len(_WRITTEN_WORDS) < _WRITTEN_MAX:
            _WRITTEN_WORDS[value] = written
    return written


# The JSON of the few values a quotation's confidence (rounded to two places), kind and rule take,
# made once each (a float's repr is a few hundred instructions, its look-up a few dozen).
_WRITTEN_FLOATS: dict[float, str] = {}
_WRITTEN_WORDS: dict[str, str] = {}
_WRITTEN_MAX = 4096


def chapter_json(chapter: Chapter) -> str:
    """One chapter of story_to_json's `chapters`, indented as json.dump(indent=2) writes it."""
    parts = [
        f'    {{\n      "number": {json_scalar(chapter.number)},\n      "title": {json_scalar(chapter.title)},\n'
        '      "scenes": ['
    ]
    for index, scene in enumerate(chapter.scenes):
        parts.append(",\n" if index else "\n")
        parts.append(f'        {{\n          "heading": {json_scalar(scene.heading)},\n          "paragraphs": ')
        if scene.paragraphs:
            parts.append("[\n            ")
            parts.append(",\n            ".join(map(string_json, scene.paragraphs)))
            parts.append("\n          ]\n        }")
        else:
            parts.append("[]\n        }")
    parts.append("\n      ]\n    }" if chapter.scenes else "]\n    }")
    return "".join(parts)


def quote_json(quote: tuple[Any, ...]) -> str:
    """One quotation of story_to_json's `quotes`, as json.dump(indent=2) writes it, from its Quote's
    fields (bot/parsing/parallel.py's QuoteFields: typed Any here, so a compiled build never turns an
    int confidence into a float), with a NUL for its speaker's value (write_story_json puts in the
    speaker once the roles are known)."""
    return (
        f'    {{\n      "text": {string_json(quote[0])},\n      "kind": {_json_word(quote[1])},\n'
        f'      "speaker": \0,\n      "confidence": {json_number(quote[3])},\n'
        f'      "chapter": {quote[4]},\n      "scene": {quote[5]},\n      "paragraph": {quote[6]},\n'
        f'      "start": {quote[7]},\n      "end": {quote[8]},\n      "rule": {_json_word(quote[9])}\n    }}'
    )


def characters_json(characters: Sequence[Character]) -> str:
    """story_to_json's `characters` as json.dump(indent=2) writes them one level deep (a novel has
    a few hundred; json's indenting encoder is pure Python)."""
    if not characters:
        return "[]"
    parts = []
    for character in characters:
        aliases = (
            "[\n        " + ",\n        ".join(map(string_json, character.aliases)) + "\n      ]"
            if character.aliases else "[]"
        )
        mentions: object = character.mentions
        parts.append(
            f'    {{\n      "name": {json_scalar(character.name)},\n      "aliases": {aliases},\n'
            f'      "mentions": {str(mentions) if type(mentions) is int else json_scalar(mentions)},\n'
            f'      "gender": {json_scalar(character.gender)}\n    }}'
        )
    return "[\n" + ",\n".join(parts) + "\n  ]"
