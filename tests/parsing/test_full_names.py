"""Full names and family names (issue 16, item 4): "Kenji Hoshino" and "Hoshino Kenji" are the
Kenji the text calls by his given name, a family's or clan's name ("the Hoshino compound") is no
one, a titled relative ("Mrs. Hoshino") keeps her own name, a sentence that opens on a title acts
for the titled name, a he after a tag shows the tagged one's sex, and a full name written once as
its bearer comes in may be the she of the speech right after. Each on its own short text."""
from __future__ import annotations

from bot.parsing.characters import build_lexicon
from tests.parsing.conftest import parse

# Four characters tagged the usual way, so the lexicon knows enough speakers to be choosy.
CAST = (
    '"Morning," said Tobin. "Hello," said Marla. "Hi," said Pell. "Hey," said Ruth.\n\n'
    'Tobin smiled at Marla. Pell nodded to Ruth. Marla waved at Pell. Ruth laughed at Tobin.\n\n'
)


def speakers(text: str) -> dict[str, str | None]:
    return {q.text: q.speaker for q in parse(text).quotes}


def characters(text: str) -> dict[str, tuple[tuple[str, ...], str | None]]:
    return {c.name: (c.aliases, c.gender) for c in parse(text).characters}


def test_a_full_name_in_a_tag_is_the_given_name_the_text_uses():
    text = (
        'Kenji Hoshino walked into the room. "I\'m here," Kenji said.\n\n'
        '"Good," said Kenji Hoshino. "We can start."\n\n'
        '"Fine," Pell said.'
    )
    found = characters(text)
    assert "Kenji Hoshino" not in found
    assert "Kenji Hoshino" in found["Kenji"][0]
    assert set(speakers(text).values()) == {"Kenji", "Pell"}


def test_a_full_name_either_way_round_is_one_character():
    text = (
        'Hoshino Kenji walked to the gate. Kenji was late, and he knew it.\n\n'
        '"Wait," Kenji said. Kenji Hoshino waited at the gate.\n\n'
        '"Here," Pell said.'
    )
    aliases, _ = characters(text)["Kenji"]
    assert {"Hoshino Kenji", "Kenji Hoshino"} <= set(aliases)
    assert "Hoshino" not in characters(text)


def test_a_full_name_is_not_merged_into_the_titled_relative_the_family_name_names_more_often():
    text = (
        "Mrs. Hoshino stirred the pot. Mrs. Hoshino hummed to herself. Mrs. Hoshino was happy, and she "
        "smiled at the window.\n\n"
        'Kenji Hoshino walked through the door. "I\'m home!" Kenji said.\n\n'
        '"Wash your hands," Mrs. Hoshino said.\n\n'
        '"Fine," he said.'
    )
    found = characters(text)
    assert "Kenji Hoshino" in found["Kenji"][0]
    assert "Kenji Hoshino" not in found["Mrs. Hoshino"][0]
    assert speakers(text)["I'm home!"] == "Kenji"


def test_a_clan_name_the_tags_never_name_is_no_character():
    text = (
        "The Hoshino clan had lived in the valley for generations. The Hoshino compound was quiet. Every "
        "Hoshino knew the story.\n\n"
        'Kenji Hoshino stood at the gate. "Nobody is here," Kenji said.\n\n'
        'Ryo appeared behind him. "Foolish little brother," Ryo said.\n\n'
        '"Why?" Kenji asked. He clenched his fists.\n\n'
        '"You will understand," Ryo said. He vanished.'
    )
    found = characters(text)
    assert "Hoshino" not in found
    assert "Kenji Hoshino" in found["Kenji"][0]
    assert speakers(text)["Nobody is here,"] == "Kenji"


def test_a_sentence_opening_on_a_title_is_the_titled_name_acting():
    text = CAST + (
        'Kenji laughed. "Typical," Kenji said.\n\n'
        'Later, Mrs. Hoshino called him home. "Kenji! Dinner!"\n\n'
        '"Coming!" Kenji shouted.'
    )
    lexicon = build_lexicon(text)
    assert lexicon.canonical.get("Hoshino") in (None, "Mrs. Hoshino")
    assert "Mrs. Hoshino" in lexicon.present
    assert "Hoshino" not in lexicon.present
    assert speakers(text)["Kenji! Dinner!"] == "Mrs. Hoshino"


def test_a_he_after_a_tag_and_in_the_sentence_after_the_name_make_a_man():
    text = (
        'Pell waited for Kenji at the bridge. Ruth waited with Kenji.\n\n'
        'Kenji was late again, and he knew it.\n\n'
        '"Sorry, sorry," Kenji said. He grinned.\n\n'
        '"Fine," Pell said.'
    )
    assert build_lexicon(text).gender.get("Kenji") == "M"
    assert characters(text)["Kenji"][1] == "M"


def test_a_she_after_a_tag_makes_a_woman():
    lexicon = build_lexicon(
        'Pell looked for Ruth in the hall. Tobin talked to Ruth.\n\n'
        'Ruth was tired, and she knew it.\n\n"Enough," Ruth said. She sat down.\n\n"Fine," Pell said.'
    )
    assert lexicon.gender.get("Ruth") == "F"


def test_a_full_name_brought_in_before_a_she_tagged_speech_is_her():
    text = CAST + (
        'Tobin shook his head. Aiko Tanaka came up behind them. "The teacher isn\'t here yet," she said.\n\n'
        'Tobin laughed. "Typical," Tobin said.'
    )
    lexicon = build_lexicon(text)
    assert lexicon.gender.get("Aiko Tanaka") == "F"
    assert lexicon.tagged("Aiko Tanaka")
    assert speakers(text)["The teacher isn't here yet,"] == "Aiko Tanaka"


def test_a_full_name_that_is_not_the_subject_is_not_brought_in():
    text = CAST + (
        'Tobin looked at Aiko Tanaka across the yard. "The teacher isn\'t here yet," she said.\n\n'
        '"Typical," Tobin said.'
    )
    lexicon = build_lexicon(text)
    assert "Aiko Tanaka" not in lexicon.canonical
    assert not lexicon.entered


def test_a_once_named_full_name_without_a_he_or_she_is_not_brought_in():
    text = CAST + 'Aiko Tanaka came up behind them. "The teacher isn\'t here yet," Marla said.'
    assert "Aiko Tanaka" not in build_lexicon(text).entered


def test_the_bennets_stay_apart():
    text = (
        'Mr. Bennet looked at his wife. "My dear," said Mr. Bennet.\n\n'
        'Mrs. Bennet sighed at him. "Oh, Mr. Bennet," said Mrs. Bennet.\n\n'
        'Elizabeth Bennet laughed. "Papa," said Elizabeth. Elizabeth smiled at her father.\n\n'
        'Miss Bennet blushed. "Lizzy," said Miss Bennet. Jane looked at her sister. "Hush," said Jane.'
    )
    found = characters(text)
    assert {"Mr. Bennet", "Mrs. Bennet", "Elizabeth"} <= set(found)
    assert "Bennet" not in found
    assert "Elizabeth Bennet" in found["Elizabeth"][0]
    assert found["Mr. Bennet"][1] == "M"
    assert found["Mrs. Bennet"][1] == "F"
    said = speakers(text)
    assert said["My dear,"] == "Mr. Bennet"
    assert said["Oh, Mr. Bennet,"] == "Mrs. Bennet"
    assert said["Papa,"] == "Elizabeth"


def test_two_of_one_clan_stay_two_and_one_man_of_two_family_names_stays_one():
    text = (
        'Kenji Hoshino walked in. "Hello," Kenji said. Ryo Hoshino walked in after him. "Hey," Ryo said.\n\n'
        '"Ready?" Kenji asked. "Always," said Ryo Hoshino.\n\n'
        'Later Kenji signed his name Kenji Tanaka. "It is my father\'s name," Kenji said.'
    )
    found = characters(text)
    assert {"Kenji", "Ryo"} <= set(found)
    assert "Kenji Hoshino" in found["Kenji"][0]
    assert "Ryo Hoshino" in found["Ryo"][0]
    assert not {"Hoshino", "Kenji Hoshino", "Ryo Hoshino", "Kenji Tanaka"} & set(found)
    said = speakers(text)
    assert said["Always,"] == "Ryo"
    assert said["It is my father's name,"] == "Kenji"


def test_the_clan_heir_and_an_honorific_leave_one_character():
    text = (
        'Hoshino Kenji crossed the yard. The Hoshino heir said nothing.\n\n'
        '"Kenji-kun," Pell called. "Wait for me."\n\n'
        '"No," Kenji said. He walked on. Kenji Hoshino never waited.'
    )
    found = characters(text)
    assert "Hoshino" not in found
    assert {"Hoshino Kenji", "Kenji Hoshino"} <= set(found["Kenji"][0])
    assert found["Kenji"][1] == "M"


def test_a_given_name_before_the_title_holders_name_is_still_him():
    text = (
        '"How do you do," said Mr. Darcy. Mr. Darcy bowed to her.\n\n'
        'Fitzwilliam Darcy looked at Elizabeth. "Well," said Darcy. Darcy smiled at Elizabeth.\n\n'
        '"Indeed," said Elizabeth. Elizabeth laughed at Darcy.'
    )
    found = characters(text)
    assert "Fitzwilliam" not in found
    assert "Fitzwilliam Darcy" not in found
    (darcy,) = [name for name, (aliases, _) in found.items() if "Darcy" in (name, *aliases)]
    assert "Fitzwilliam Darcy" in found[darcy][0]
