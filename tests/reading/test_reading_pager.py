"""The pager: every word kept in order, no page over the limit, no word cut, decorations right."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing.model import Chapter, Scene
from bot.reading.pager import (
    EMPTY_CHAPTER,
    PAGE_LIMIT,
    SCENE_BREAK,
    Page,
    page_footer,
    page_for_paragraph,
    paginate,
)
from bot.render import escape
from tests.reading.pagecheck import assert_same_text, observed, unescape


def contents(pages: list[Page]) -> list[str]:
    assert [(p.number, p.total) for p in pages] == [(i, len(pages)) for i in range(1, len(pages) + 1)]
    return [p.content for p in pages]


def chapter_of(*scenes: tuple[str | None, list[str]]) -> Chapter:
    return Chapter(7, "The Smallest Spark",
                   tuple(Scene(heading, tuple(paragraphs)) for heading, paragraphs in scenes))


_word = st.text(
    alphabet=st.sampled_from(list("abcXYZé日0123456789.,!?…'\"”*_~`|>#-+[]()<@\\:/&")),
    min_size=1, max_size=25,
) | st.sampled_from(["@everyone", "@here", "<@123>", "<#456>", "1.", "##", "-#", ">>>", "**b**"])
_paragraph = st.lists(_word, min_size=1, max_size=400).map(" ".join)
_scene = st.tuples(st.none() | _paragraph.filter(lambda h: len(h) < 60),
                   st.lists(_paragraph, min_size=0, max_size=8))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes=st.lists(_scene, min_size=1, max_size=4), limit=st.integers(160, PAGE_LIMIT),
       title=st.none() | st.just("Chapter 7: The *Smallest* Spark"))
def test_pages_keep_every_word_in_order_within_the_limit(scenes, limit, title):
    chapter = chapter_of(*scenes)
    pages = paginate(chapter, escape=escape, title=title, limit=limit)
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert all(p.total == len(pages) for p in pages)
    assert all(len(p.content) <= limit for p in pages)
    assert_same_text(contents(pages), chapter, title)
    # A paragraph that fits on a page is never cut.
    room = limit - 2 - len(page_footer(99999, 99999))
    whole_lines = {text for kind, text in observed(contents(pages), title) if kind == "paragraph"}
    for paragraph in chapter.paragraphs:
        if len(escape(" ".join(paragraph.split()))) <= room:
            assert " ".join(paragraph.split()) in whole_lines


def test_long_paragraph_is_cut_after_a_sentence():
    sentence = "The fox looked at the old man and then at the river below the bridge."
    paragraph = " ".join([sentence] * 80)  # about 5,700 characters
    pages = paginate(chapter_of((None, [paragraph])), escape=escape)
    assert len(pages) == 4
    for page in pages:
        body = page.content.rsplit("\n\n", 1)[0]
        assert len(page.content) <= PAGE_LIMIT
        assert body.endswith("bridge.")


def test_sentence_free_paragraph_is_cut_between_words():
    paragraph = " ".join(f"word{i}" for i in range(900))
    pages = paginate(chapter_of((None, [paragraph])), escape=escape)
    assert len(pages) > 1
    assert_same_text(contents(pages), chapter_of((None, [paragraph])))


def test_word_longer_than_a_page_is_cut_as_a_last_resort():
    monster = "a*b" * 1000  # 3,000 characters, 4,000 once escaped
    chapter = chapter_of((None, ["before", monster, "after"]))
    pages = paginate(chapter, escape=escape)
    assert all(len(p.content) <= PAGE_LIMIT for p in pages)
    text = "".join(unescape(line) for kind, line in observed(contents(pages), None))
    assert text == "before" + monster + "after"


def test_scene_break_and_heading_are_decorated():
    chapter = chapter_of((None, ["One."]), ("Konoha, a few days later", ["Two."]))
    (page,) = paginate(chapter, escape=escape, title="Chapter 7: The Smallest Spark")
    assert page.content == "\n\n".join([
        "**Chapter 7: The Smallest Spark**", "One.", SCENE_BREAK,
        "*Konoha, a few days later*", "Two.", "-# Page 1/1",
    ])


def test_markdown_is_escaped_and_mentions_neutralised():
    chapter = chapter_of((None, ["**Loud** @everyone <@1234> # not a heading"]))
    (page,) = paginate(chapter, escape=escape)
    assert "@everyone" not in page.content
    assert "<@1234>" not in page.content
    assert page.content.startswith(r"\*\*Loud\*\*")


def test_heading_moves_with_the_paragraph_it_introduces():
    filler = "x " * 900  # one paragraph filling most of a page
    chapter = chapter_of((None, [filler]), ("The heading", ["y " * 400]))
    pages = paginate(chapter, escape=escape)
    assert len(pages) == 2
    assert pages[1].content.startswith(SCENE_BREAK + "\n\n*The heading*")


def test_page_count_with_more_digits_keeps_footer_within_limit():
    paragraphs = ["z " * 600] * 25  # 1,200 characters each: one per page
    pages = paginate(chapter_of((None, paragraphs)), escape=escape)
    assert len(pages) == 25
    assert pages[-1].content.endswith("-# Page 25/25")


def test_page_for_paragraph_finds_the_page_where_it_starts():
    paragraphs = [f"Paragraph {i}. " + "w " * 500 for i in range(6)]
    pages = paginate(chapter_of((None, paragraphs)), escape=escape)
    for index in range(6):
        number = page_for_paragraph(pages, index)
        assert f"Paragraph {index}." in pages[number - 1].content


def test_empty_chapter_has_one_page():
    (page,) = paginate(chapter_of((None, [])), escape=escape)
    assert page.content == EMPTY_CHAPTER + "\n\n-# Page 1/1"


def test_an_escaper_that_grows_between_words_still_fits_the_limit():
    def doubled_spaces(text: str) -> str:
        return escape(text).replace(" ", "  ")

    paragraph = " ".join(f"w{i}" for i in range(2000))
    pages = paginate(chapter_of((None, [paragraph])), escape=doubled_spaces)
    assert len(pages) > 1
    assert all(len(p.content) <= PAGE_LIMIT for p in pages)
