"""The .toml of metadata beside a story file: read by `ingest` (bot/store/loader.py) and by
`parse`, which imports this without the store (a parse process starts faster)."""
from __future__ import annotations

import os

from bot.formats.manuscript import Metadata, short_rating

METADATA_FIELDS = ("title", "author", "fandom", "rating", "source", "language", "url", "summary")
# In a .toml beside a story file: a list of text, not text.
LIST_FIELDS = ("tags",)


class BadStoryFile(Exception):
    """A story file or its metadata cannot be loaded. The message is user-facing and names the file."""


def toml_path_of(story_file: str | os.PathLike[str]) -> str:
    """The .toml beside a story file: `Path(story_file).with_suffix(".toml")`, worked out as text
    (`parse` does not load pathlib, bot/cli.py)."""
    folder, name = os.path.split(os.fspath(story_file))
    dot = name.rfind(".")
    return os.path.join(folder, (name[:dot] if 0 < dot < len(name) - 1 else name) + ".toml")


def read_toml_metadata(story_file: str | os.PathLike[str]) -> dict[str, str | tuple[str, ...]]:
    """The .toml beside a story file (same name, .toml): its METADATA_FIELDS and LIST_FIELDS that
    are set. BadStoryFile when it is not valid TOML or a field is not text (a list of text)."""
    found_at = toml_path_of(story_file)
    if not os.path.exists(found_at):
        return {}
    import tomllib  # here: most story files have no .toml, and its parser takes a while to load
    from pathlib import Path

    toml_path = Path(found_at)  # as messages name it
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadStoryFile(f"{toml_path}: not valid TOML metadata ({exc})") from exc
    for key in METADATA_FIELDS:
        if key in data and not isinstance(data[key], str):
            raise BadStoryFile(f"{toml_path}: '{key}' must be text")
    for key in LIST_FIELDS:
        if key in data and not (isinstance(data[key], list) and all(isinstance(v, str) for v in data[key])):
            raise BadStoryFile(f"{toml_path}: '{key}' must be a list of text")
    found: dict[str, str | tuple[str, ...]] = {
        key: data[key].strip() for key in METADATA_FIELDS if key in data and data[key].strip()
    }
    for key in LIST_FIELDS:
        values = tuple(dict.fromkeys(v.strip() for v in data.get(key, ()) if v.strip()))
        if values:
            found[key] = values
    return found


def toml_metadata(found: dict[str, str | tuple[str, ...]]) -> Metadata:
    """A .toml's fields (read_toml_metadata) as a file's own Metadata holds them: its `url` is
    Metadata.source (the .toml's `source` names the bundled file instead), its rating in one spelling."""
    return Metadata(
        title=found.get("title"), author=found.get("author"), fandom=found.get("fandom"),
        rating=short_rating(found.get("rating")), tags=found.get("tags", ()), language=found.get("language"),
        source=found.get("url"), summary=found.get("summary"),
    )
