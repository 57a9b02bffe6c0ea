"""What is not story (notes, disclaimers, summaries, legends) and how chapters split into scenes."""
from __future__ import annotations

import pytest

from bot.parsing.notes import labelled_note
from bot.parsing.parser import outline_text
from tests.parsing.conftest import paragraphs, parse

STORY_BODY = (
    "Naruto walked through the village, ignoring the stares of the villagers.\n\n"
    '"Hey, Naruto!" Sakura called from the ramen stand.\n\n'
    "He waved back at her and went on his way toward the training grounds.\n"
)


def notes_of(story):
    return [(n.position, n.kind, n.text) for n in story.notes]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Disclaimer: I do not own Naruto.", "disclaimer"),
        ("Disclaimed.", "disclaimer"),
        ("DISCLAIMER - Naruto belongs to Kishimoto.", "disclaimer"),
        ("I don't own Naruto or any of its characters.", "disclaimer"),
        ("I will never own Naruto, it is owned by Kishimoto.", "disclaimer"),
        ("No copyright infringement intended, I own nothing.", "disclaimer"),
        ("A/N: Sorry this took so long!", "note"),
        ("AN: Thanks for the reviews.", "note"),
        ("(A/N: short one today)", "note"),
        ("Author's Note: this is set after the war.", "note"),
        ("Authors Note - read the end please", "note"),
        ('"Talking"', "legend"),
        ("'Thinking'", "legend"),
        ('"Tailed Beast/Demonic speak"', "legend"),
        ('"Talking" \'Thinking\' *Jutsu*', "legend"),
        ("For the reader's convenience...", "legend"),
        ("Key:", "legend"),
    ],
)
def test_labelled_notes_and_legends_are_set_aside(line, kind):
    story = parse(f"{line}\n\n{STORY_BODY}")
    assert notes_of(story) == [("before", kind, line)]
    assert paragraphs(story)[0].startswith("Naruto walked")
    assert not any(line in q.text or q.text in line for q in story.quotes)


def test_summary_becomes_the_story_summary():
    story = parse(f"Summary: Naruto leaves the village.\n\n{STORY_BODY}")
    assert story.summary == "Naruto leaves the village."
    assert notes_of(story)[0][1] == "summary"


def test_an_a_in_prose_is_not_a_note():
    story = parse("An old man sat by the gate.\n\nNote the way he smiled.\n")
    assert story.notes == ()


def test_author_note_in_plain_paragraphs_at_the_start_is_found_from_its_words():
    opening = (
        "Hey everyone, I'm back with a new chapter! Sorry for the long wait, I've been busy. "
        "Thanks for all the reviews on the last update.\n\n"
    )
    story = parse(opening + STORY_BODY)
    assert [n.position for n in story.notes] == ["before"]
    assert story.notes[0].text.startswith("Hey everyone, I'm back")
    assert paragraphs(story)[0].startswith("Naruto walked")


def test_closing_author_note_after_extra_blank_lines_includes_its_short_lines():
    closing = (
        "\n\n\nThat's it for this chapter. I hope you liked it, I had fun writing the fight.\n\n"
        "Please review!\n\nSee you next time.\n"
    )
    story = parse(STORY_BODY + closing)
    assert [n.text for n in story.notes if n.position == "after"] == [
        "That's it for this chapter. I hope you liked it, I had fun writing the fight.",
        "Please review!",
        "See you next time.",
    ]
    assert paragraphs(story)[-1].startswith("He waved back")


def test_first_person_story_paragraphs_are_not_notes():
    story = parse(
        "I walked to the market before sunrise, the way my mother used to.\n\n"
        "The stalls were empty and I was alone with my thoughts.\n\n"
        "I bought bread and went home.\n"
    )
    assert story.notes == ()
    assert len(paragraphs(story)) == 3


def test_a_short_greeting_alone_in_the_story_is_not_a_note():
    story = parse("Hope you enjoy.\n\n" + STORY_BODY)
    assert paragraphs(story)[0] == "Hope you enjoy."


def test_labelled_note_in_the_middle_of_a_chapter_is_removed():
    story = parse("Naruto ran.\n\nA/N: the fight is next.\n\nSasuke waited.\n")
    assert paragraphs(story) == ["Naruto ran.", "Sasuke waited."]
    assert notes_of(story) == [("after", "note", "A/N: the fight is next.")]


@pytest.mark.parametrize("marker", ["***", "* * *", "~~~", "-x-x-x-", "oOoOo", "~*~", "----", "xXx", "#"])
def test_separator_lines_break_scenes(marker):
    story = parse(f"Naruto ran.\n\nHe stopped.\n\n{marker}\n\nSasuke waited.\n")
    scenes = story.chapters[0].scenes
    assert [s.paragraphs for s in scenes] == [("Naruto ran.", "He stopped."), ("Sasuke waited.",)]


def test_extra_blank_lines_break_scenes():
    story = parse("Naruto ran.\n\nHe stopped.\n\n\n\nSasuke waited.\n\nHe yawned.\n")
    assert [len(s.paragraphs) for s in story.chapters[0].scenes] == [2, 2]


def test_any_blank_line_breaks_scenes_when_paragraphs_have_none():
    story = parse("Naruto ran.\nHe stopped.\nHe sat.\n\nSasuke waited.\nHe yawned.\n")
    assert [len(s.paragraphs) for s in story.chapters[0].scenes] == [3, 2]


@pytest.mark.parametrize(
    ("start", "end"), [("-Flashback-", "-End Flashback-"), ("*Flashback*", "*End of Flashback*"), ("~Flash Back~", "~Flashback End~")]
)
def test_flashback_markers_break_scenes_and_are_not_text(start, end):
    story = parse(f"Naruto ran.\n\n{start}\n\nLong ago he was small.\n\n{end}\n\nNow he was tall.\n")
    scenes = story.chapters[0].scenes
    assert [s.paragraphs for s in scenes] == [("Naruto ran.",), ("Long ago he was small.",), ("Now he was tall.",)]
    assert scenes[1].heading == "Flashback"
    assert scenes[2].heading is None


@pytest.mark.parametrize("heading", ["A few days later...", "Konohagakure Outskirts", "Some time later…", "Meanwhile, in Suna:"])
def test_time_or_place_line_at_a_break_heads_the_next_scene(heading):
    story = parse(f"Naruto ran.\n\nHe stopped.\n\n\n{heading}\n\nSasuke waited.\n")
    scenes = story.chapters[0].scenes
    assert [(s.heading, s.paragraphs) for s in scenes] == [
        (None, ("Naruto ran.", "He stopped.")), (heading, ("Sasuke waited.",)),
    ]


def test_two_heading_lines_at_one_break_are_joined():
    story = parse("Naruto ran.\n\n\nA few days later...\n\nKonohagakure Outskirts\n\n\nSasuke waited.\n")
    assert story.chapters[0].scenes[1].heading == "A few days later... — Konohagakure Outskirts"


def test_a_short_sentence_at_a_break_stays_a_paragraph():
    story = parse("Naruto ran.\n\n\nIt was over.\n\nSasuke waited.\n")
    assert story.chapters[0].scenes[1].heading is None
    assert story.chapters[0].scenes[1].paragraphs[0] == "It was over."


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("We  DONT\tOWN Naruto; sadly, never.", "disclaimer"),
        ("i   do\nnot own it", "disclaimer"),
        ("The manga is OWNED BY Kishimoto, I just borrow it.", "disclaimer"),
        ("Naruto belongs to Kishimoto; I own only the plot.", "disclaimer"),
        ("Sadly, this plot is all I own.", None),
        ("The brown-eyed girl walked down to the town.", None),
        ('"I do not own a sword," he said.', None),
    ],
)
def test_ownership_disclaimers_whatever_their_case_and_spacing(line, kind):
    assert labelled_note(line) == kind


def test_an_outline_leaves_no_reference_cycles() -> None:
    """Dropping an outline frees its blocks at once: nothing for the cyclic collector. (Compiled,
    a nested function and its environment refer to each other: _edge_notes' closures, one per
    chapter, held the whole list of blocks until a collection.)"""
    import gc

    text = "A Story\n\n" + "".join(
        f'Chapter {n}\n\nA/N: thanks for reading!\n\n"Hello," she said.\n\nHe left.\n\n* * *\n\nLater.\n\n'
        for n in range(1, 30)
    )
    outline_text(text)
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        outline = outline_text(text)
        assert len(outline.chapters) == 29
        del outline
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


@pytest.mark.parametrize(
    "text", ["Key:", "KEY:", "\u212aey:", "legend", "Formatting:", "for the reader's convenience...", "Format guide"]
)
def test_legend_leads_are_found_past_the_first_letter_gate(text):
    """is_legend tries its lead pattern only on texts starting with a letter one of its words
    starts with, either case, or the Kelvin sign a case-insensitive "k" matches."""
    from bot.parsing.notes import _LEGEND_LEAD, is_legend

    assert _LEGEND_LEAD.fullmatch(text)
    assert is_legend(text)
