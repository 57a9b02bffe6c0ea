"""Discord's documented limits, checked on every message, modal, thread and command the bot sends.

Each check returns human-readable problems; the server answers 400 (as Discord does) and records
them as violations so the test fails even when the bot swallows the error.
"""

from __future__ import annotations

import re
from typing import Any

from .world import walk_components

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TITLE = 256
MAX_EMBED_DESCRIPTION = 4096
MAX_EMBED_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_AUTHOR_NAME = 256
MAX_EMBED_TOTAL = 6000
MAX_ACTION_ROWS = 5
MAX_ROW_BUTTONS = 5
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_SELECT_OPTIONS = 25
MAX_THREAD_NAME = 100
MAX_CHOICES = 25
MAX_CHOICE_NAME = 100
MAX_CHOICE_VALUE = 100
MAX_MODAL_TITLE = 45
MAX_MODAL_COMPONENTS = 5
MAX_COMMAND_DESCRIPTION = 100
MAX_COMMAND_OPTIONS = 25
MAX_COMMANDS = 100
COMPONENTS_V2 = 1 << 15
MAX_V2_COMPONENTS = 40
MAX_V2_TEXT = 4000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")

BUTTON = 2
SELECT_TYPES = (3, 5, 6, 7, 8)
TEXT_INPUT = 4
TEXT_DISPLAY = 10


def check_message(
    payload: dict[str, Any], *, has_files: bool = False, creating: bool = True
) -> list[str]:
    """Problems with a message create/edit body (content, embeds, components)."""
    problems: list[str] = []
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            problems.append(f"content must be a string, got {type(content).__name__}")
        elif len(content) > MAX_CONTENT:
            problems.append(f"content is {len(content)} characters (max {MAX_CONTENT})")
    embeds = payload.get("embeds") or []
    problems.extend(check_embeds(embeds))
    flags = payload.get("flags") or 0
    components = payload.get("components") or []
    v2 = bool(flags & COMPONENTS_V2)
    problems.extend(check_components(components, v2=v2))
    if v2 and (content or embeds):
        problems.append("content and embeds cannot be sent with the components v2 flag")
    if creating and not (
        content or embeds or components or has_files or payload.get("attachments")
    ):
        problems.append("Cannot send an empty message")
    return problems


def check_embeds(embeds: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    if len(embeds) > MAX_EMBEDS:
        problems.append(f"{len(embeds)} embeds (max {MAX_EMBEDS})")
    total = 0
    for i, embed in enumerate(embeds):
        where = f"embed {i}"

        def measure(text: Any, limit: int, what: str, where: str = where) -> int:
            text = "" if text is None else str(text)
            if len(text) > limit:
                problems.append(f"{where} {what} is {len(text)} characters (max {limit})")
            return len(text)

        total += measure(embed.get("title"), MAX_EMBED_TITLE, "title")
        total += measure(embed.get("description"), MAX_EMBED_DESCRIPTION, "description")
        total += measure((embed.get("footer") or {}).get("text"), MAX_FOOTER, "footer text")
        total += measure((embed.get("author") or {}).get("name"), MAX_AUTHOR_NAME, "author name")
        fields = embed.get("fields") or []
        if len(fields) > MAX_EMBED_FIELDS:
            problems.append(f"{where} has {len(fields)} fields (max {MAX_EMBED_FIELDS})")
        for j, f in enumerate(fields):
            name_len = measure(f.get("name"), MAX_FIELD_NAME, f"field {j} name")
            value_len = measure(f.get("value"), MAX_FIELD_VALUE, f"field {j} value")
            if not name_len or not value_len:
                problems.append(f"{where} field {j} has an empty name or value")
            total += name_len + value_len
    if total > MAX_EMBED_TOTAL:
        problems.append(f"embeds hold {total} characters of text in total (max {MAX_EMBED_TOTAL})")
    return problems


def check_components(components: list[dict[str, Any]], *, v2: bool = False) -> list[str]:
    problems: list[str] = []
    if not v2 and len(components) > MAX_ACTION_ROWS:
        problems.append(f"{len(components)} action rows (max {MAX_ACTION_ROWS})")
    for row in components:
        if row.get("type") == 1:
            children = row.get("components") or []
            buttons = [c for c in children if c.get("type") == BUTTON]
            selects = [c for c in children if c.get("type") in SELECT_TYPES]
            if len(buttons) > MAX_ROW_BUTTONS:
                problems.append(
                    f"an action row holds {len(buttons)} buttons (max {MAX_ROW_BUTTONS})"
                )
            if selects and len(children) > 1:
                problems.append("a select menu must be alone in its action row")
            if not children:
                problems.append("an action row is empty")
        elif not v2:
            problems.append(f"top-level component of type {row.get('type')} is not an action row")
    if v2:
        every = list(walk_components(components))
        if len(every) > MAX_V2_COMPONENTS:
            problems.append(f"{len(every)} components (max {MAX_V2_COMPONENTS})")
        text = sum(len(c.get("content") or "") for c in every if c.get("type") == TEXT_DISPLAY)
        if text > MAX_V2_TEXT:
            problems.append(f"text displays hold {text} characters (max {MAX_V2_TEXT})")
    seen: set[str] = set()
    for comp in walk_components(components):
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            if not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
                problems.append(
                    f"custom_id {custom_id[:40]!r}... is {len(custom_id)} characters (max {MAX_CUSTOM_ID})"
                )
            if custom_id in seen:
                problems.append(f"custom_id {custom_id!r} is used twice in one message")
            seen.add(custom_id)
        if comp.get("type") == BUTTON:
            label = comp.get("label") or ""
            if len(label) > MAX_BUTTON_LABEL:
                problems.append(f"button label is {len(label)} characters (max {MAX_BUTTON_LABEL})")
            if comp.get("style") == 5:
                if not comp.get("url") or custom_id is not None:
                    problems.append("a link button needs a url and no custom_id")
            elif comp.get("style") != 6 and custom_id is None:
                problems.append("a button needs a custom_id")
        if comp.get("type") in SELECT_TYPES and len(comp.get("options") or []) > MAX_SELECT_OPTIONS:
            problems.append(
                f"select menu has {len(comp['options'])} options (max {MAX_SELECT_OPTIONS})"
            )
    return problems


def check_thread_name(name: Any) -> list[str]:
    if not isinstance(name, str) or not name.strip():
        return ["thread name is empty"]
    if len(name) > MAX_THREAD_NAME:
        return [f"thread name is {len(name)} characters (max {MAX_THREAD_NAME})"]
    return []


def check_choices(choices: Any) -> list[str]:
    if not isinstance(choices, list):
        return ["autocomplete choices must be a list"]
    problems = []
    if len(choices) > MAX_CHOICES:
        problems.append(f"{len(choices)} autocomplete choices (max {MAX_CHOICES})")
    for choice in choices:
        name = choice.get("name", "")
        if not 1 <= len(name) <= MAX_CHOICE_NAME:
            problems.append(
                f"choice name {name[:40]!r} is {len(name)} characters (1-{MAX_CHOICE_NAME})"
            )
        value = choice.get("value")
        if isinstance(value, str) and len(value) > MAX_CHOICE_VALUE:
            problems.append(f"choice value is {len(value)} characters (max {MAX_CHOICE_VALUE})")
    return problems


def check_modal(data: dict[str, Any]) -> list[str]:
    problems = []
    title = data.get("title") or ""
    if not 1 <= len(title) <= MAX_MODAL_TITLE:
        problems.append(f"modal title is {len(title)} characters (1-{MAX_MODAL_TITLE})")
    custom_id = data.get("custom_id") or ""
    if not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
        problems.append(f"modal custom_id is {len(custom_id)} characters (1-{MAX_CUSTOM_ID})")
    components = data.get("components") or []
    if not 1 <= len(components) <= MAX_MODAL_COMPONENTS:
        problems.append(f"modal has {len(components)} components (1-{MAX_MODAL_COMPONENTS})")
    for comp in walk_components(components):
        if comp.get("type") == TEXT_INPUT:
            label = comp.get("label") or ""
            if len(label) > 45:
                problems.append(f"text input label is {len(label)} characters (max 45)")
            cid = comp.get("custom_id") or ""
            if not 1 <= len(cid) <= MAX_CUSTOM_ID:
                problems.append(
                    f"text input custom_id is {len(cid)} characters (1-{MAX_CUSTOM_ID})"
                )
    return problems


def check_commands(commands: list[dict[str, Any]]) -> list[str]:
    problems = []
    if len(commands) > MAX_COMMANDS:
        problems.append(f"{len(commands)} commands (max {MAX_COMMANDS})")
    names = [(c.get("type", 1), c.get("name")) for c in commands]
    if len(set(names)) != len(names):
        problems.append("two commands share a name")
    for cmd in commands:
        problems.extend(_check_command_like(cmd, cmd.get("name", "?"), top=True))
    return problems


def _check_command_like(cmd: dict[str, Any], path: str, *, top: bool) -> list[str]:
    problems = []
    name = cmd.get("name", "")
    chat_input = cmd.get("type", 1) == 1
    if chat_input and (not _COMMAND_NAME.match(name) or name != name.lower()):
        problems.append(f"/{path}: invalid name {name!r}")
    description = cmd.get("description", "")
    if chat_input and not 1 <= len(description) <= MAX_COMMAND_DESCRIPTION:
        problems.append(
            f"/{path}: description is {len(description)} characters (1-{MAX_COMMAND_DESCRIPTION})"
        )
    options = cmd.get("options") or []
    if len(options) > MAX_COMMAND_OPTIONS:
        problems.append(f"/{path}: {len(options)} options (max {MAX_COMMAND_OPTIONS})")
    seen_optional = False
    for opt in options:
        sub = f"{path} {opt.get('name')}"
        if opt.get("type") in (1, 2):
            problems.extend(_check_command_like(opt, sub, top=False))
            continue
        problems.extend(_check_command_like({**opt, "options": []}, sub, top=False))
        if opt.get("required"):
            if seen_optional:
                problems.append(f"/{sub}: required option after an optional one")
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > MAX_CHOICES:
            problems.append(f"/{sub}: {len(choices)} choices (max {MAX_CHOICES})")
        if choices and opt.get("autocomplete"):
            problems.append(f"/{sub}: autocomplete and choices together")
    return problems


def check_upload(files: list[tuple[str, str | None, bytes]]) -> list[str]:
    total = sum(len(data) for _, _, data in files)
    if total > MAX_UPLOAD_BYTES:
        return [f"uploads total {total} bytes (max {MAX_UPLOAD_BYTES})"]
    if len(files) > MAX_EMBEDS:
        return [f"{len(files)} files (max {MAX_EMBEDS})"]
    return []
