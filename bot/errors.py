"""Errors a user can cause. The runtime's one error handler turns each into a short ephemeral reply.

Raise them from cogs and views with a message written for the user; no traceback is logged.
"""
from __future__ import annotations

# What a user typed is echoed back escaped and short: it may be 6,000 characters of markdown.
ECHO_LIMIT = 100


def echo(value: object) -> str:
    """A user's own typed value, safe to show inside an error message."""
    # Imported here: bot.render imports discord.py (30 MB), which `parse` never needs.
    from bot.render import escape, truncate

    return escape(truncate(" ".join(str(value).split()), ECHO_LIMIT))


class UserError(Exception):
    """Base of every error whose message is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class StoryNotFound(UserError):
    """No story with that title or id is visible in this server."""

    def __init__(self, story: str | int | None = None) -> None:
        if story is None or story == "":
            super().__init__("No such story in this server's library. Try `/story list`.")
        else:
            super().__init__(f"No story called “{echo(story)}” in this server's library. Try `/story list`.")


class ChapterNotFound(UserError):
    """The story has no chapter with that number."""

    def __init__(self, chapter: int, story_title: str | None = None) -> None:
        where = f" in “{echo(story_title)}”" if story_title else ""
        super().__init__(f"There is no chapter {chapter}{where}.")


class CharacterNotFound(UserError):
    """No character of that name in the chosen stories."""

    def __init__(self, name: str) -> None:
        super().__init__(f"No character called “{echo(name)}” was found.")


class NothingMatches(UserError):
    """A search or filter found nothing; the message says what was looked for."""


class PastSpoilerLimit(UserError):
    """The text asked for lies past a spoiler limit (the server's, or the reader's own)."""

    def __init__(self) -> None:
        super().__init__(
            "That is past the spoiler limit here (this server's `/spoilers set`, or yours from `/spoilers mine`)."
        )


class InvalidInput(UserError):
    """An option value that cannot be used (bad number, file that is not a story, ...)."""


class MissingPermission(UserError):
    """The user lacks a permission the command checks when it runs."""

    def __init__(self, permission: str = "Manage Server") -> None:
        super().__init__(f"You need the {permission} permission to do that.")
        self.permission = permission


class NotYours(UserError):
    """A button or menu belongs to someone else's reading session or game."""

    def __init__(self) -> None:
        super().__init__("These buttons belong to someone else; run the command yourself.")


class Busy(UserError):
    """Something is already running where only one may (e.g. a trivia game in this channel)."""
