"""Hand-built stories for the /character and /story stats tests, written as scripts."""
from __future__ import annotations

from collections.abc import Sequence

from bot.parsing.model import Chapter, Character, Quote, Scene, Story

# A scene is a list of items: (speaker, text) or (speaker, text, kind) is a quotation in its own
# paragraph; a plain string is a paragraph of narration.
Item = tuple[str | None, str] | tuple[str | None, str, str] | str


def scripted_story(
    chapters: Sequence[Sequence[Sequence[Item]]],
    characters: Sequence[Character] = (),
    *,
    titles: Sequence[str | None] | None = None,
    numbers: Sequence[int | None] | None = None,
) -> Story:
    built, quotes = [], []
    for ci, scenes in enumerate(chapters):
        scene_list = []
        for si, items in enumerate(scenes):
            paragraphs = []
            for item in items:
                if isinstance(item, str):
                    paragraphs.append(item)
                    continue
                speaker, text, *kind = item
                paragraphs.append(f'"{text}" said someone.')
                quotes.append(Quote(text, kind[0] if kind else "speech", speaker, 0.95, ci, si,
                                    len(paragraphs) - 1, 1, 1 + len(text), "tag"))
            scene_list.append(Scene(None, tuple(paragraphs)))
        number = numbers[ci] if numbers is not None else ci + 1
        title = titles[ci] if titles is not None else None
        built.append(Chapter(number=number, title=title, scenes=tuple(scene_list)))
    names = {c.name for c in characters}
    extra = [Character(q.speaker) for q in quotes if q.speaker and q.speaker not in names]
    return Story(title="Scripted", summary=None, chapters=tuple(built), quotes=tuple(quotes),
                 characters=tuple(characters) + tuple(dict((c.name, c) for c in extra).values()))


def long_story(chapters: int, *, speakers: int = 9, lines: int = 20, tag: str = "x") -> Story:
    """`chapters` chapters of one scene each: `lines` quotations per chapter by rotating speakers,
    speaker k speaking more in later chapters (so the charts have a shape)."""
    script = []
    names = [f"Speaker{k}" for k in range(speakers)]
    for c in range(chapters):
        scene: list[Item] = []
        for i in range(lines):
            k = (i * (c % speakers + 1)) % speakers
            scene.append((names[k], f"{tag} chapter {c} line {i} has a few words"))
            if i % 4 == 3:
                scene.append("Narration between the turns, long enough to count as words.")
        script.append([scene])
    return scripted_story(script)
