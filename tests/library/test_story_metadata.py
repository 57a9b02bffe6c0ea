"""What a file says of itself, stored and shown: /story add keeps an AO3 download's fandom, rating,
tags, language and address, /story info shows them escaped, and the uploader's rating (picked in the
preview) is the one the age gate uses."""
from __future__ import annotations

from pathlib import Path

from tests.library.test_story_commands import upload

SAMPLE = Path(__file__).parent / "samples" / "ao3_download.html"
HOSTILE_TAG = "**Fluff** @everyone <@&123> [x](https://evil.example)"


def ao3_download(*, tag: str = "Found Family") -> bytes:
    """The hand-written AO3 download (rated Mature), with its last additional tag replaced."""
    page = SAMPLE.read_text("utf-8").replace(">Found Family<", f">{tag.replace('<', '&lt;')}<")
    return page.encode()


async def preview_of(storybot, data: bytes, filename: str):
    preview = await (await upload(storybot, data, filename)).reply(timeout=30)
    assert "story:confirm" in preview.custom_ids(), preview.text()
    return preview


def rating_options(preview) -> dict[str, bool]:
    menu = preview.find_component("story:rating")
    assert menu is not None, preview.custom_ids()
    return {option["value"]: option.get("default", False) for option in menu["options"]}


async def choose_rating(storybot, preview, value: str) -> None:
    await (await storybot.select(preview, "story:rating", [value], user=storybot.admin)).response()
    await storybot.server.wait_until(lambda: rating_options(preview)[value], 10, f"the menu showing {value}")


async def confirm(storybot, preview) -> str:
    done = await (await storybot.click(preview, "story:confirm", user=storybot.admin)).reply(timeout=60)
    return done.text()


async def info(storybot, story: str, channel=None):
    return await (await storybot.run("story info", {"story": story}, channel=channel)).reply()


async def test_info_shows_fandom_rating_tags_language_and_address_escaped(storybot):
    preview = await preview_of(storybot, ao3_download(tag=HOSTILE_TAG), "bell.html")
    assert "Rating\nM" in preview.text()
    assert rating_options(preview) == {"G": False, "T": False, "M": True, "E": False, "unrated": False}
    assert "Added “The Bell at Low Tide”" in await confirm(storybot, preview)

    # Rated Mature by the file: only an age-restricted channel shows it.
    assert "No story" in (await info(storybot, "The Bell at Low Tide")).text()
    shown = await info(storybot, "The Bell at Low Tide", channel=storybot.nsfw_channel)
    text = shown.text()
    assert "Fandom\nOriginal Work" in text and "Rating\nM" in text and "Language\nEnglish" in text
    assert "Published at\nhttps://archiveofourown.org/works/12345678" in text
    tags = next(f["value"] for f in shown.embeds[0]["fields"] if f["name"] == "Tags")
    assert tags.startswith("No Archive Warnings Apply, Mara & Tobias, Mara/Ines, Mara (Original)")
    assert "\\*\\*Fluff\\*\\*" in tags and "\\[x\\](https://evil.example)" in tags
    assert "@everyone" not in tags and "<@&123>" not in tags
    assert shown.pings == {}


async def test_hundreds_of_tags_stay_within_the_embed(storybot):
    many = "</a>, <a>".join(f"Tag number {i} with a long name" for i in range(300))
    preview = await preview_of(storybot, ao3_download(tag="x").replace(b">x<", f">{many}<".encode()), "bell.html")
    await confirm(storybot, preview)
    shown = await info(storybot, "The Bell at Low Tide", channel=storybot.nsfw_channel)
    tags = next(f["value"] for f in shown.embeds[0]["fields"] if f["name"] == "Tags")
    assert len(tags) <= 500 and tags.endswith("more")
    assert storybot.server.take_violations() == []


async def test_uploader_lowers_the_files_rating_and_every_channel_shows_it(storybot):
    preview = await preview_of(storybot, ao3_download(), "bell.html")
    await choose_rating(storybot, preview, "T")
    assert "Rating\nT" in preview.text()
    assert "Added" in await confirm(storybot, preview)
    assert "Rating\nT" in (await info(storybot, "The Bell at Low Tide")).text()


async def test_uploader_rates_an_unrated_file_explicit_and_the_age_gate_follows(storybot):
    text = b'Chapter 1\n\n"We should not be here," Mara said.\n\nTobias laughed. "Too late now."\n'
    preview = await preview_of(storybot, text, "night_swim.txt")
    assert "Rating\nunrated" in preview.text()
    await choose_rating(storybot, preview, "E")
    await choose_rating(storybot, preview, "unrated")
    await choose_rating(storybot, preview, "E")
    assert "Added" in await confirm(storybot, preview)
    assert "No story" in (await info(storybot, "night swim")).text()
    listing = await (await storybot.run("story list")).reply()
    assert "night swim" not in listing.text() and "rated M/Explicit" in listing.text()
    assert "Rating\nE" in (await info(storybot, "night swim", channel=storybot.nsfw_channel)).text()


async def test_a_rating_the_menu_does_not_name_can_be_kept(storybot):
    page = ao3_download().replace(b">Mature<", b">MA<")  # FanFiction.Net's adult rating
    preview = await preview_of(storybot, page, "bell.html")
    assert rating_options(preview)["file"] is True
    await choose_rating(storybot, preview, "G")
    await choose_rating(storybot, preview, "file")
    assert "Added" in await confirm(storybot, preview)
    assert "No story" in (await info(storybot, "The Bell at Low Tide")).text()
    assert "Rating\nMA" in (await info(storybot, "The Bell at Low Tide", channel=storybot.nsfw_channel)).text()

