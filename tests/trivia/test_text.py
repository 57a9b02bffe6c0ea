"""What generation asks of a story's text, answered from memory (the store answers the same: see
test_questions_seeds.test_store_material_matches_the_parsed_story)."""
import random

from bot.trivia.material import TriviaParagraph
from bot.trivia.text import ParagraphText, rare_words


def test_rare_words_are_long_uncapitalised_uncommon_and_used_at_most_twice() -> None:
    texts = [
        "The lantern flickered; a quietly humming kettle waited.",
        "Quietly, the kettle sang again. Lantern light. Somewhere a kettle whistled.",
        "Nothing but marvellous, marvellous things, and don't forget the glimmering.",
    ]
    assert rare_words(texts) == [
        "flickered", "forget", "glimmering", "humming", "marvellous", "things", "waited", "whistled",
    ]
    # Left out: kettle (three times), lantern and quietly (also written capitalised), somewhere
    # (only capitalised), light and again (too short), nothing (a common word), don't (not only letters).


def test_chapters_with_finds_whole_words_inside_one_paragraph() -> None:
    text = ParagraphText((
        TriviaParagraph(0, "The rain fell on the village."),
        TriviaParagraph(0, "Night came."),
        TriviaParagraph(2, "Rain fell on the VILLAGE, again!"),
    ))
    assert text.chapters_with("rain fell on the village") == {0, 2}
    assert text.chapters_with("the rain fell") == {0}
    assert text.chapters_with("rain fel") == frozenset()  # whole words only
    assert text.chapters_with("village. Night came") == frozenset()  # never across two paragraphs
    assert text.chapters_with("...") == frozenset()
    assert sorted(p.text for p in text.paragraphs(random.Random(1))) == sorted(
        ["The rain fell on the village.", "Night came.", "Rain fell on the VILLAGE, again!"]
    )
