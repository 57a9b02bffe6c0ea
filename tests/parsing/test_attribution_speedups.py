"""The parse's shortcuts give exactly what the long way gives: memoised tag readings, walk plans
worked out lazily, a scene's turns back and ahead, patterns rewritten to scan faster, and
words placed without a second scan."""
from __future__ import annotations

import json
import random
import re

import pytest

from bot.parsing.attribution import tags
from bot.parsing.attribution.candidates import SceneView
from bot.parsing.attribution.narration import _Narration, _walk_plan
from bot.parsing.attribution.result import Attribution
from bot.parsing.characters import Lexicon, first_self_named
from bot.parsing.names import base_form
from bot.parsing.quotations import RawQuote

TAILS = [
    ', said Emma. "', ', he said.', ' said the old man, and sat down.', ', was her answer.',
    ', feebly reiterated Matthew.', ' Marla went on, "', ', I said.', '', '   ', 'She left.',
    ', said Harriet Smith, who had come in' + " late" * 40,
]


@pytest.mark.parametrize("after", TAILS)
def test_tag_after_is_the_reading_of_its_window(after):
    tags._TAGS_AFTER.clear()
    first = tags._tag_after(after)
    assert first == tags._read_tag_after(after[: tags._WINDOW])
    assert tags._tag_after(after) is first  # read once, then remembered
    # Only the window counts: text past it never changes the reading.
    assert tags._tag_after(after[: tags._WINDOW] + " and Mr. Knightley said so.") == first


def test_tag_after_memory_is_bounded(monkeypatch):
    tags._TAGS_AFTER.clear()
    monkeypatch.setattr(tags, "_TAGS_AFTER_KEPT", 3)
    for after in TAILS:
        assert tags._tag_after(after) == tags._read_tag_after(after[: tags._WINDOW])
        assert len(tags._TAGS_AFTER) <= 3
    tags._TAGS_AFTER.clear()


NARRATION = (
    "Emma looked up. The old man sighed at Harriet. She thought of Mr. Knightley and of Jane. "
    "Then Frank Churchill came in. He spoke to Miss Bates, whose niece said nothing."
)


@pytest.mark.parametrize("gender", ["M", "F"])
def test_a_lazy_walk_plan_is_the_whole_plan(gender):
    whole = _walk_plan(_Narration(NARRATION), gender)
    assert len(whole) > 4
    narration = _Narration(NARRATION)
    plan = narration.plan(gender)
    steps = iter(plan)
    assert [next(steps), next(steps)] == whole[:2]
    del steps  # a walk that stopped early
    assert len(narration._read) < len(narration._texts)  # the earliest sentences not read yet
    assert list(plan) == whole  # the next walk goes on from where it stopped
    assert list(plan) == whole
    assert narration.plan(gender) is plan


def _reference_walk(view: SceneView, turn: int, step: int, count: int) -> tuple:
    """The turns back or ahead, one crossing at a time (how SceneView used to find them)."""
    found = []
    at = turn
    for _ in range(count):
        crossing = at if step < 0 else at + 1
        if not 0 < crossing < len(view.turn_paragraph) or view.gap_before[crossing] is None:
            break
        at += step
        found.append(view.turn_speaker[at])
    return (*found, *([None] * (count - len(found))))


@pytest.mark.parametrize("seed", range(20))
def test_turns_back_and_ahead_stop_at_exchange_breaks(seed):
    rng = random.Random(seed)
    paragraphs: list[str] = []
    quotes: list[RawQuote] = []
    results: list[Attribution] = []
    for _ in range(rng.randint(1, 14)):
        gap = rng.choice([0, 0, 0, 1, 2])  # paragraphs of narration before the next turn
        long = rng.random() < 0.3
        paragraphs += ["x" * (900 if long else 20)] * gap
        for _ in range(rng.choice([1, 1, 2])):
            quotes.append(RawQuote("Hello.", "speech", len(paragraphs), 1, 7, len(paragraphs), "", ""))
            results.append(Attribution(speaker=rng.choice(["Ann", "Bob", "Cy", None]), rule="pronoun"))
        paragraphs.append('"Hello."')
    view = SceneView(
        paragraphs, quotes, results, Lexicon(), lambda index: [], lambda text: (set(), set()), None,
        lambda sex: None,
    )
    for turn in range(len(view.turn_paragraph)):
        assert view.back[turn] == _reference_walk(view, turn, -1, 3)
        assert view.ahead[turn] == _reference_walk(view, turn, 1, 2)


OLD_SELF_NAMED = re.compile(r"\b(?:[Mm]y name (?:is|was)|[Cc]all me|I (?:am|was) called)\s+([A-Z][a-z]+)\b")


@pytest.mark.parametrize(
    "text",
    [
        "My name is Pell.", "my name was  Rosa, I think", "Call me Ishmael.", "call me Bob",
        "I am called Tom.", "I was called\nJoe.", "Recall me Bob.", "xMy name is Bob", "éCall me Ann",
        "MCall me X", "AI am called Z", "He said: I am called Ed; call me Ed.", "My name is bob",
        "Call me Al. My name is Bob.", "My name is Bob. Call me Al.", "I was called Ed, I am called Ted",
        "I am called Ted, I was called Ed", "my name is ann, call me Al", "",
    ],
)
def test_self_named_finds_the_name_the_word_boundary_pattern_did(text):
    old = OLD_SELF_NAMED.search(text)
    assert first_self_named(text) == (old[1] if old else None)


@pytest.mark.parametrize(
    ("name", "base"),
    [("Naruto-kun", "Naruto"), ("Naruto's", "Naruto"), ("Naruto’s", "Naruto"), ("Sakura-chan's", "Sakura"),
     ("Anne", "Anne"), ("Mr. Bennet", "Mr. Bennet"), ("Mary-Jane", "Mary-Jane"), ("O'Brien", "O'Brien")],
)
def test_base_form(name, base):
    assert base_form(name) == base


def _random_texts(seed: int, alphabet: str, count: int = 20_000, longest: int = 24) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest))) for _ in range(count)]


def test_capitalised_or_shouted_is_both_patterns_in_one_pass():
    from bot.parsing.attribution import vocatives
    from bot.parsing.names import CAPITALISED

    for text in [*_random_texts(1, "aAbBZzI -'’,.!_1é"), "NARUTO, where's Sakura-chan?", "Hi, McDONALD and O'NEIL."]:
        both = sorted(
            [m.span() for m in CAPITALISED.finditer(text)] + [m.span() for m in vocatives._SHOUTED.finditer(text)]
        )
        assert [m.span() for m in vocatives._CAPITALISED_OR_SHOUTED.finditer(text)] == both, text


def _names_the_long_way(text: str, only: frozenset[str] | None = None) -> list[str]:
    """narration._names as it was: every capitalised word's match object."""
    from bot.parsing.attribution.narration import _title_before
    from bot.parsing.names import CAPITALISED, TITLES, titled

    found = []
    for match in CAPITALISED.finditer(text):
        if only is not None and match[0] not in only:
            continue
        if match[0] in TITLES and text[match.end() : match.end() + 3].lstrip(". ")[:1].isupper():
            continue
        title = _title_before(text, match.start())
        found.append(titled(title[0], match[0]) if title else match[0])
    return found


def test_names_placed_by_find_are_the_matches():
    from bot.parsing.attribution.narration import _names

    only = frozenset(("Ann", "Anna", "Bel", "Vane"))
    for text in [*_random_texts(2, "AnaBelVe Mrs.'-", longest=30), "Mrs. Vane saw Anna and Ann; Annabel left."]:
        assert _names(text) == _names_the_long_way(text), text
        assert _names(text, only) == _names_the_long_way(text, only), text


@pytest.mark.parametrize("seed", range(3))
def test_narration_blanked_by_split_is_the_pattern(seed):
    from bot.parsing.attribution.narration import _QUOTED
    from bot.parsing.attribution.pronouns import _LOOKBACK_CHARS
    from bot.parsing.attribution.rules import ChapterAttributor

    attributor = ChapterAttributor(Lexicon())
    paragraphs = [*_random_texts(seed, 'ab "”“ ', count=3000, longest=40), 'x' * 700 + '"a" b "c', '"' * 5]
    attributor.scene([], [])  # the scene's caches
    for index, paragraph in enumerate(paragraphs):
        expected = _QUOTED.sub(" ", paragraph) if any(mark in paragraph for mark in '"“”') else paragraph
        assert attributor._narration(paragraphs, index) == expected[-_LOOKBACK_CHARS:], paragraph


# Pieces of the texts the lexicon's shortcuts are checked on: tags, particles, sentence openings
# and beats, and the marks and letters their patterns open on, in runs and apart.
_LEXICON_PIECES = [
    '," said Emma', '." Emma said', '!" I said', '?’ said the mariner', ',” the painter said', "-' said he",
    "—\" Mr. Knightley", "de la Cruz", "van der Luyden", "Mr. van Tassel", " di Medici", "le Roux", "della Robbia",
    "ve Ba", "lu Ca", '. He said "', ". She walked. \"", "… Then Kakashi dashed", "\nSakura\nlooked", "’) Anne",
]
_LEXICON_ALPHABET = "dvlaenoriu ,.!?-—'\"“”’\nDVLMSTI"


def _lexicon_texts(seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(4000):
        parts = [
            rng.choice(_LEXICON_PIECES) if rng.random() < 0.4 else rng.choice(_LEXICON_ALPHABET)
            for _ in range(rng.randint(0, 12))
        ]
        texts.append("".join(parts))
    return texts


@pytest.mark.parametrize("seed", range(2))
def test_tags_and_particles_tried_only_where_they_may_start_are_finditers_matches(seed):
    from bot.parsing import characters

    def spans(matches):
        return [(m.span(), m.groups()) for m in matches]

    texts = _lexicon_texts(seed)
    assert sum(bool(characters._TAGGED.search(text)) for text in texts) > 500  # the patterns do match
    assert sum(bool(characters._PARTICLE_NAME.search(text)) for text in texts) > 200
    for text in texts:
        for pos in {0, 1, len(text) // 2}:
            expected = spans(characters._TAGGED.finditer(text, pos))
            starts = characters._tag_starts(text, pos)
            assert spans(characters._matches_at(characters._TAGGED, text, starts, pos, len(text))) == expected, text
        for cut in {len(text), len(text) // 2}:
            starts = sorted(m.start() for p in characters._PARTICLE_STARTS for m in p.finditer(text, 0, cut))
            assert spans(characters._matches_at(characters._PARTICLE_NAME, text, starts, 0, cut)) == spans(
                characters._PARTICLE_NAME.finditer(text, 0, cut)
            ), text


def test_a_sentences_beat_read_in_its_match_is_the_beat_pattern_after_it():
    from bot.parsing import characters

    for text in _lexicon_texts(3):
        found = characters._SENTENCE.findall(text)
        assert found == [m.groups("") for m in characters._SENTENCE.finditer(text)]
        beats = [bool(characters._BEAT_BEFORE.match(text, m.end())) for m in characters._SENTENCE.finditer(text)]
        assert [bool(groups[3]) for groups in found] == beats, text


def test_story_text_written_without_jsons_escaper_is_what_it_writes():
    from bot.parsing.jsonout import string_json, text_json

    for text in [*_random_texts(4, 'ab "\\\x00\x1f\x7f\n\té”', longest=12), "", 'He said "hi".', "\\", "caf\u00e9"]:
        assert text_json(text) == string_json(text) == json.dumps(text, ensure_ascii=False), repr(text)


def test_a_scenes_paragraphs_written_in_one_piece_are_each_paragraphs_json():
    from bot.parsing.jsonout import _paragraphs_json, string_json

    rng = random.Random(5)
    texts = [*_random_texts(6, 'ab "\\\x00\x7f\n\té', count=3000, longest=6), 'He said "hi".', "plain"]
    for _ in range(3000):
        paragraphs = [rng.choice(texts) for _ in range(rng.randint(1, 4))]
        assert _paragraphs_json(paragraphs) == ",\n            ".join(map(string_json, paragraphs)), paragraphs


def test_capitalised_words_counted_as_text_are_cut_into_the_groups_they_had():
    from bot.parsing.characters import _CAPS, _caps_parts

    grouped = re.compile(
        r"([A-Z][a-z]+(?:['’][a-z]+)?(?:-[a-z]+)?)(?:(\.? )([A-Z][a-z]+(?:['’][a-z]+)?(?:-[a-z]+)?))?"
    )
    for text in [*_random_texts(8, "AaBb .'’-\n", longest=30), "Mr. Darcy and Frank Churchill met Emma. Mrs Weston"]:
        assert [_caps_parts(found) for found in _CAPS.findall(text)] == grouped.findall(text), text


_AROUND = ["", " ", ".", "_", "a", "é", "3", "\u00b2", "-", "\u2014"]


@pytest.mark.parametrize("called", ["Hokage", "Bast", "O'Neil", "Zoë", "X_1", "Jr.", "7"])
def test_a_phrase_alone_is_what_the_word_boundary_pattern_finds(called):
    """rules._alone_in(text, "the <name>") answers as re.search(r"\\bthe <name>\\b") did (a
    pattern compiled per name at run time before), whatever stands around the phrase."""
    from bot.parsing.attribution.rules import _alone_in

    phrase = f"the {called}"
    pattern = re.compile(rf"\bthe {re.escape(called)}\b")
    rng = random.Random(called)
    texts = [before + phrase + after for before in _AROUND for after in _AROUND]
    texts += ["".join(rng.choice([*_AROUND, phrase, "the ", called, "other"]) for _ in range(8)) for _ in range(300)]
    for text in texts:
        assert _alone_in(text, phrase) == bool(pattern.search(text)), text
    assert any(_alone_in(text, phrase) for text in texts) and not all(_alone_in(text, phrase) for text in texts)
