"""A name and the same name with a title ("Syme", "Mr. Syme") are one person when the title says
the sex the text shows for them: a speech calling on "Mr. Syme" is then not Syme's own."""
from __future__ import annotations

from collections import Counter

from bot.parsing.characters import Lexicon, _learn_families, _merge_titled_bare, build_lexicon
from tests.parsing.conftest import parse

SYME = (
    "Syme walked to the gate. Syme stopped by the lamp and he looked back. Syme lit his pipe. "
    "A man in grey came up the road. Syme knew him.\n\n"
    '"Good evening," said Syme.\n\n"Good evening," said Gregory.\n\n'
    '"You are late, Mr. Syme."\n\n"The fog kept me."\n\n'
)


def test_a_speech_calling_on_the_titled_name_is_not_its_bearers_own():
    assert build_lexicon(SYME).canonical["Mr. Syme"] == "Syme"
    story = parse(SYME)
    assert [q.speaker for q in story.quotes] == ["Syme", "Gregory", "Gregory", "Syme"]
    assert "Mr. Syme" not in {c.name for c in story.characters}


def _merged(names: dict[str, str], gender: dict[str, str]) -> dict[str, str]:
    lexicon = Lexicon(canonical=dict(names), gender=dict(gender))
    _merge_titled_bare(lexicon)
    return {form: who for form, who in lexicon.canonical.items() if who != names[form]}


def test_which_titled_names_are_the_bare_name():
    assert _merged({"Syme": "Syme", "Mr. Syme": "Mr. Syme"}, {"Syme": "M"}) == {"Mr. Syme": "Syme"}
    assert _merged({"Emma": "Emma", "Miss Emma": "Miss Emma"}, {"Emma": "F"}) == {"Miss Emma": "Emma"}
    # A family's name: the text names Emma Woodhouse too, so Woodhouse alone may be either of them.
    family = {"Woodhouse": "Woodhouse", "Mr. Woodhouse": "Mr. Woodhouse", "Emma": "Emma", "Emma Woodhouse": "Emma"}
    assert _merged(family, {"Woodhouse": "M", "Emma": "F"}) == {}
    # A title of each sex with the name: Mr. and Mrs. Collins.
    couple = {"Collins": "Collins", "Mr. Collins": "Mr. Collins", "Mrs. Collins": "Mrs. Collins"}
    assert _merged(couple, {"Collins": "M", "Mrs. Collins": "F"}) == {}
    # Two titles of one sex (Mrs. Syme and Miss Syme), a title of rank (Sir John beside a John),
    # a title of the other sex (Miss Gregory, Gregory's sister), a name of unknown sex.
    assert _merged({"Syme": "Syme", "Mrs. Syme": "Mrs. Syme", "Miss Syme": "Miss Syme"}, {"Syme": "F"}) == {}
    assert _merged({"John": "John", "Sir John": "Sir John"}, {"John": "M"}) == {}
    assert _merged({"Gregory": "Gregory", "Miss Gregory": "Miss Gregory"}, {"Gregory": "M"}) == {}
    assert _merged({"Syme": "Syme", "Mr. Syme": "Mr. Syme"}, {}) == {}


def test_a_title_before_a_given_name_is_no_family_name():
    # "Miss Elizabeth", more often than "Elizabeth Bennet": her family is still Bennet ("her
    # father" finds Mr. Bennet through it).
    lexicon = Lexicon(
        canonical={"Elizabeth": "Elizabeth", "Miss Elizabeth": "Elizabeth", "Elizabeth Bennet": "Elizabeth"},
        forms=Counter({"Elizabeth": 40, "Miss Elizabeth": 5, "Elizabeth Bennet": 2}),
    )
    _learn_families(lexicon)
    assert lexicon.family["Elizabeth"] == "Bennet"


def test_a_title_before_a_given_name_is_no_family_name_when_she_goes_by_it():
    # The titled form is the name she goes by: her family is still Bennet, not "Elizabeth".
    lexicon = Lexicon(
        canonical={
            "Miss Elizabeth": "Miss Elizabeth", "Elizabeth": "Miss Elizabeth", "Elizabeth Bennet": "Miss Elizabeth",
        },
        forms=Counter({"Miss Elizabeth": 40, "Elizabeth": 5, "Elizabeth Bennet": 2}),
    )
    _learn_families(lexicon)
    assert lexicon.family["Miss Elizabeth"] == "Bennet"
