"""Characters: speakers and recurring names, aliases merged, common words left out."""
from __future__ import annotations

from bot.parsing.characters import build_lexicon
from tests.parsing.conftest import parse


def characters(text):
    return {c.name: c for c in parse(text).characters}


def test_honorific_forms_merge_into_one_character():
    cast = characters(
        "Naruto waved at Sakura. Later Naruto-kun ate ramen with Kakashi-sensei, and Sakura-chan "
        "watched Naruto-san eat. Kakashi sighed at Naruto-sama and Sakura-senpai. Then Kakashi-dono, "
        "Sakura-hime and Naruto left, and Kakashi-san followed Sakura and Naruto.\n"
    )
    assert set(cast) >= {"Naruto", "Sakura", "Kakashi"}
    assert not any("-" in name for name in cast)
    assert set(cast["Naruto"].aliases) == {"Naruto-kun", "Naruto-san", "Naruto-sama"}
    assert set(cast["Sakura"].aliases) == {"Sakura-chan", "Sakura-senpai", "Sakura-hime"}
    assert cast["Naruto"].mentions == 6


def test_family_name_first_or_last_is_the_same_person():
    cast = characters(
        "Everyone knew Naruto. The boy, Uzumaki Naruto, was loud. Some called him Naruto Uzumaki, "
        "and when Naruto laughed the whole street heard it. Then Uzumaki Kushina arrived and Naruto waved.\n"
    )
    assert "Uzumaki Naruto" in cast["Naruto"].aliases
    assert "Naruto Uzumaki" in cast["Naruto"].aliases
    assert "Uzumaki" not in cast


def test_sentence_initial_common_words_are_not_characters():
    cast = characters(
        "Suddenly the door opened. Maybe it was the wind. However, nobody moved. Perhaps it was nothing. "
        "Suddenly it closed again. Maybe not. However it went, Naruto waited, and Naruto watched the door, "
        "and Sakura watched Naruto.\n\n\"Who's there?\" Naruto asked.\n"
    )
    assert "Naruto" in cast
    assert not {"Suddenly", "Maybe", "However", "Perhaps", "The", "Who"} & set(cast)


def test_speakers_are_characters_even_when_named_once():
    cast = characters('"Leave," Zabuza said.\n')
    assert "Zabuza" in cast


def test_most_mentioned_first_with_gender_learned_from_the_text():
    story = parse(
        "Sakura waited. Naruto came. Naruto shook his head and Naruto sat down. Naruto rubbed his eyes. "
        "Sakura crossed her arms. Sakura tapped her foot.\n"
    )
    assert [c.name for c in story.characters][:2] == ["Naruto", "Sakura"]
    assert {c.name: c.gender for c in story.characters} == {"Naruto": "M", "Sakura": "F"}


def test_titles_keep_their_name():
    cast = characters(
        '"My dear Mr. Bennet," said his lady to him one day, "have you heard?" Mr. Bennet replied that he '
        "had not. Mrs. Bennet was not pleased, and Mr. Bennet smiled.\n"
    )
    assert {"Mr. Bennet", "Mrs. Bennet"} <= set(cast)
    assert cast["Mr. Bennet"].gender == "M" and cast["Mrs. Bennet"].gender == "F"


def test_a_name_that_is_also_a_word_counts_once_the_tags_name_it_again_and_again():
    tagged = '"Hello," said May. "Hi," said Tobin. "Well," May said. "Yes," said Tobin. "Go," said May.\n\n'
    story = parse("Tobin looked up. Tobin smiled.\n\n" + tagged + '"Now?" said May.')
    assert story.quotes[-1].speaker == "May"
    once = parse('Tobin looked up. Tobin smiled.\n\nIn May the rain came. "Now?" said Tobin.')
    assert "May" not in {c.name for c in once.characters}


def test_a_family_name_with_particles_keeps_them_and_names_nobody_else():
    text = (
        "Mr. van der Luyden bowed. Mr. van der Luyden sat down. Newland Archer smiled. Newland Archer sat.\n\n"
        '"Good evening," said Mr. van der Luyden.\n\n"Good evening," said Newland Archer.\n\n'
        '"Ready?" whispered young van der Luyden Newland, who was new.\n\n'
        '"Quite," Mr. van der Luyden continued.'
    )
    story = parse(text)
    assert story.quotes[0].speaker == "Mr. van der Luyden"
    assert story.quotes[-1].speaker == "Mr. van der Luyden"
    assert story.quotes[1].speaker in ("Newland", "Newland Archer")
    assert all("Luyden" not in alias for c in story.characters if c.name.startswith("Newland") for alias in c.aliases)


def test_the_name_and_the_titled_name_show_the_sex():
    from bot.parsing.characters import Lexicon, _inherit_genders, build_lexicon

    text = "It was late. The General looked at his watch. The General rubbed his eyes. The General shook his head.\n"
    lexicon = build_lexicon(text)
    assert lexicon.gender.get(lexicon.canonical["General"]) == "M"

    # A bare family name the text never shows the sex of takes it from its titled forms, unless
    # both sexes carry it.
    names = ("Harville", "Captain Harville", "Musgrove", "Mr. Musgrove", "Mrs. Musgrove")
    lexicon = Lexicon(canonical={name: name for name in names},
                      gender={"Captain Harville": "M", "Mr. Musgrove": "M", "Mrs. Musgrove": "F"})
    _inherit_genders(lexicon)
    assert lexicon.gender.get("Harville") == "M"
    assert lexicon.gender.get("Musgrove") is None


def test_miss_and_the_family_name_is_the_one_daughter_the_text_names_in_full():
    one = (
        "Katharine Hilbery poured the tea. Katharine smiled at herself. Katharine brushed her hair.\n\n"
        "Mr. Hilbery read. Miss Hilbery sighed. Miss Hilbery looked out.\n"
    )
    assert {c.name for c in parse(one).characters} >= {"Katharine", "Mr. Hilbery"}
    assert "Miss Hilbery" not in {c.name for c in parse(one).characters}
    two = one + "\nJane Hilbery laughed. Jane folded her hands. Jane smiled to herself.\n"
    assert "Miss Hilbery" in {c.name for c in parse(two).characters}


def test_a_miss_the_tags_name_stays_somebody_of_her_own():
    text = (
        "Lucy Steele poured the tea. Lucy smiled at herself. Lucy brushed her hair.\n\n"
        "Mrs. Steele read. Miss Steele sighed. Miss Steele looked out.\n\n"
        '"It is late," said Miss Steele.\n\n"It is," said Lucy.\n\n"Very late," said Miss Steele.\n'
    )
    assert {"Lucy", "Miss Steele"} <= {c.name for c in parse(text).characters}


def test_a_title_without_its_full_stop_names_the_same_speaker():
    # British spelling: "said Mrs Croft" is Mrs. Croft, and the tag makes her a speaker (only those
    # the tags name are candidates for a later "she").
    lexicon = build_lexicon(
        "Everyone liked Mrs. Croft. Then Mrs Croft smiled at her husband.\n\n"
        '"I am going home," said Mrs Croft.\n\n"We shall meet again," said Mr Elliot.\n'
    )
    assert lexicon.resolve("Mrs Croft") == "Mrs. Croft"
    assert lexicon.speakers["Mrs. Croft"] == 1
    assert lexicon.speakers["Mr. Elliot"] == 1


def test_a_speech_verb_opening_a_sentence_is_no_character():
    text = (
        "Aunt Polly looked over her spectacles. Tom hid behind the door. Said she: \"Tom!\"\n\n"
        "Tom did not answer. Said she again, louder: \"You Tom!\" Asked the boy: \"What?\"\n\n"
        '"Nothing," said Tom. Said she, at last: "Come here."'
    )
    names = {c.name for c in parse(text).characters}
    assert "Tom" in names
    assert not names & {"Said", "Asked"}


def _ordered(lexicon):
    """Every field of a Lexicon, dicts in their order (which later steps read)."""
    from dataclasses import fields

    return {
        f.name: list(value.items()) if isinstance(value := getattr(lexicon, f.name), dict) else value
        for f in fields(lexicon)
        if f.name != "_name_words"
    }


def test_lexicon_of_paragraphs_read_in_windows_is_the_lexicon_of_the_joined_text(monkeypatch):
    from pathlib import Path

    from bot.parsing import characters
    from bot.parsing.characters import build_lexicon_of
    from bot.parsing.decoding import decode_text
    from bot.parsing.parser import outline_text

    # Sentences and speech tags that run on across paragraphs ('."\nSakura\nlooked'), a narrator
    # who names themselves, and the seeds, split into windows of one paragraph and of a few.
    crafted = [
        "\"I will go,\" I said. \"Come on, Jake.\"", "My name is Pell.", "\"Wait,\"", "said", "Sakura.",
        "It was late.", "Sakura", "looked up at her brother.", "\"No, Jake,\"", "the", "painter", "said.",
        "", "  ", "\"Fine, Jake.\" The General looked at his watch. Mr. van der Luyden nodded.",
    ] * 3
    stories = [crafted]
    for path in sorted(Path(__file__).resolve().parents[2].joinpath("seeds").glob("*.txt"))[:2]:
        outline = outline_text(decode_text(path.read_bytes()))
        stories.append([p for c in outline.chapters for s in c.scenes for p in s.paragraphs])
    for paragraphs in stories:
        whole = _ordered(build_lexicon("\n".join(paragraphs)))
        assert whole["canonical"]
        for size in (1, 40, 2000):
            monkeypatch.setattr(characters, "_WINDOW_CHARS", size)
            assert _ordered(build_lexicon_of(paragraphs)) == whole, size
