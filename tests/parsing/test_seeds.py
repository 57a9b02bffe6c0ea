"""Golden facts about the four bundled seeds."""
from __future__ import annotations


def test_000_has_no_title_and_no_chapter_heading(seeds):
    story = seeds["000"]
    assert story.title is None
    assert [(c.number, c.title) for c in story.chapters] == [(None, None)]
    assert story.chapters[0].paragraphs[0].startswith('"The Invasion" that\'s what')
    assert not any(q.text in ("HE", "He", "The Invasion") for q in story.quotes)


def test_001_title_chapter_and_chapter_title(seeds):
    story = seeds["001"]
    assert story.title == "Naruto: The Return of Darkness"
    assert [(c.number, c.title) for c in story.chapters] == [(7, "The Smallest Spark")]


def test_001_opening_and_closing_notes_are_set_aside(seeds):
    story = seeds["001"]
    before = [n.text for n in story.notes if n.position == "before"]
    after = [n.text for n in story.notes if n.position == "after" and n.kind != "legend"]
    assert "Disclaimer: I do not own Naruto." in before
    assert any(t.startswith("Bet you thought I forgot about this story") for t in before)
    assert "Hope you enjoy." in before
    assert after[0].startswith("And done. Glad to have finally gotten back to writing")
    assert after[-1] == "See you next time."
    text = " ".join(story.chapters[0].paragraphs)
    assert "Bet you thought" not in text and "See you next time" not in text
    assert story.chapters[0].paragraphs[0].startswith("Above the hustle and bustle")
    assert story.chapters[0].paragraphs[-1].startswith("But one could say it would not be so tragic")


def test_001_legend_is_a_note_not_a_quotation(seeds):
    story = seeds["001"]
    assert any(n.kind == "legend" and "Tailed Beast/Demonic speak" in n.text for n in story.notes)
    assert any(n.kind == "legend" and n.text == "For the reader's convenience..." for n in story.notes)
    assert not any("reader's convenience" in p for p in story.chapters[0].paragraphs)
    assert not any("Tailed Beast" in q.text for q in story.quotes)


def test_002_opening_note_and_disclaimer(seeds):
    story = seeds["002"]
    notes = [(n.position, n.kind, n.text) for n in story.notes]
    assert notes[0][0] == "before" and notes[0][2].startswith("So, I'm back and with a chapter and a half")
    assert ("before", "disclaimer", "Disclaimed.") in notes
    assert story.chapters[0].paragraphs[0].startswith('"Naruto, you fail." Iruka announced')


def test_002_flashback_markers_break_scenes(seeds):
    scenes = seeds["002"].chapters[0].scenes
    assert len(scenes) == 3
    assert scenes[1].heading == "Flashback"
    assert scenes[1].paragraphs[0].startswith("He knew the boy had potential")
    assert scenes[2].paragraphs[0].startswith("For the first time, he considered the wisdom")
    every = [p for s in scenes for p in s.paragraphs]
    assert not any("Flashback-" in p for p in every)


def test_002_kakashi_sharingan_explanation_is_one_quotation(seeds):
    story = seeds["002"]
    (quote,) = [q for q in story.quotes if q.text.startswith("Well...the Sharingan is the bloodline")]
    assert quote.text.endswith("It all depends on the relative skill of the combatants.")
    assert "Generally, though, the sharingan allows" in quote.text
    assert not any(q.text.startswith("Generally, though") for q in story.quotes)


def test_003_summary(seeds):
    story = seeds["003"]
    assert story.summary.startswith("When Sasuke suddenly leaves Konoha Naruto is distraught")
    assert not any("Summary:" in p for p in story.chapters[0].paragraphs)


def test_003_untagged_exchange_alternates_between_naruto_and_itachi(seeds):
    story = seeds["003"]
    speakers = {q.text: q.speaker for q in story.quotes}
    assert speakers["Why the hell have you been following me?"] == "Itachi"
    assert speakers["And you thought you could get away with it without me knowing?"] == "Itachi"
    assert speakers["None of your business"] == "Naruto"
    assert speakers["What were you thinking about hmm? Come on you've sparked my interest for now."] == "Itachi"
    assert speakers["I was wondering if Sasuke slept how you did, guarded, ready"] == "Naruto"
    assert speakers["Yes Itachi-san, thank you"] == "Naruto"
    untagged = [q for q in story.quotes if q.text == "None of your business"]
    assert untagged[0].rule == "turn-taking"


def test_clearly_tagged_lines_of_the_seeds_have_their_speaker(seeds):
    def speaker(prefix, text):
        (quote,) = [q for q in seeds[prefix].quotes if q.text == text]
        assert quote.confidence >= 0.8, quote
        return quote.speaker

    assert speaker("001", "Something wrong?") == "Naruto"
    assert speaker("001", "Shh!") == "Genma"
    assert speaker("001", "How did we receive this information?") == "Shizune"
    assert speaker("001", "Sakura was an eyewitness last night.") == "Tsunade"
    assert speaker("001", "Jiraiya, do you really think you can protect him?") == "Tsunade"
    assert speaker("002", "Naruto, you fail.") == "Iruka"
    assert speaker("002", "Naruto-kun, I'm sorry about today.") == "Mizuki"
    assert speaker("002", "What do you think of this chi kage bunshin of his?") == "Kakashi"
    assert speaker("003", "Jerk") == "Naruto"
    assert speaker("003", "Yes Sasuke?") == "Naruto"
    assert speaker("003", "Naruto!") == "Itachi"


def test_seed_characters_merge_aliases_and_skip_common_words(seeds):
    cast = {c.name: c for c in seeds["001"].characters}
    assert "Naruto-kun" in cast["Naruto"].aliases and "Tsunade-hime" in cast["Tsunade"].aliases
    assert "Uchiha Sasuke" in {c.name: c for c in seeds["002"].characters}["Sasuke"].aliases
    everyone = {c.name for story in seeds.values() for c in story.characters}
    assert not everyone & {"The", "He", "She", "But", "What", "Hope", "Maybe", "He'd", "Narutos"}


def test_quote_offsets_of_the_seeds_point_into_their_paragraphs(seeds):
    for story in seeds.values():
        for quote in story.quotes:
            paragraph = story.chapters[quote.chapter].scenes[quote.scene].paragraphs[quote.paragraph]
            first_piece = quote.text.split("\n", 1)[0]
            assert paragraph[quote.start : quote.start + len(first_piece)] == first_piece
