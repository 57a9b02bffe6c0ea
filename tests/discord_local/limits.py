"""Discord's documented limits, checked on every message, modal, thread and command the bot sends.

Each check returns human-readable problems; the server answers 400 (as Discord does) and records
them as violations so the test fails even when the bot swallows the error. A ``Problem`` also knows
where in the body Discord would point (``at``) and Discord's error code, so the 400 carries
Discord's nested ``errors`` object.
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
MAX_SELECT_VALUES = 25
MAX_SELECT_PLACEHOLDER = 150
MAX_OPTION_LABEL = 100
MAX_OPTION_VALUE = 100
MAX_OPTION_DESCRIPTION = 100
MAX_TEXT_INPUT_LABEL = 45
MAX_TEXT_INPUT_PLACEHOLDER = 100
MAX_TEXT_INPUT_LENGTH = 4000
MAX_THREAD_NAME = 100
MAX_CHOICES = 25
MAX_CHOICE_NAME = 100
MAX_CHOICE_VALUE = 100
MAX_MODAL_TITLE = 45
MAX_MODAL_COMPONENTS = 5
MAX_COMMAND_DESCRIPTION = 100
MAX_COMMAND_OPTIONS = 25
MAX_COMMANDS = 100
MAX_COMMAND_SIZE = 4000
MAX_STRING_OPTION_LENGTH = 6000
# Integer options (and their bounds) are limited to what a double holds exactly.
MAX_INTEGER_OPTION = 2**53
COMPONENTS_V2 = 1 << 15
MAX_V2_COMPONENTS = 40
MAX_V2_TEXT = 4000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")

BUTTON = 2
SELECT_TYPES = (3, 5, 6, 7, 8)
TEXT_INPUT = 4
TEXT_DISPLAY = 10
STRING_SELECT = 3
LINK_BUTTON = 5
PREMIUM_BUTTON = 6

Path = tuple[str | int, ...]


class Problem(str):
    """A problem's text, where in the request body Discord reports it, and Discord's error code."""

    at: Path
    code: str

    def __new__(cls, text: str, at: Path = (), code: str = "BASE_TYPE_INVALID") -> Problem:
        problem = super().__new__(cls, text)
        problem.at, problem.code = tuple(at), code
        return problem


def form_errors(problems: list[str], default_code: str) -> dict[str, Any]:
    """Discord's 50035 ``errors`` object: field paths nest, each field lists its ``_errors``."""
    errors: dict[str, Any] = {}
    for problem in problems:
        node = errors
        for key in getattr(problem, "at", ()):
            node = node.setdefault(str(key), {})
        code = getattr(problem, "code", default_code)
        node.setdefault("_errors", []).append({"code": code, "message": str(problem)})
    return errors


def _length(
    text: Any, low: int, high: int, what: str, at: Path, *, required: bool = True
) -> list[Problem]:
    """Discord's length rule for one string field (absent is fine unless required)."""
    if text is None and not required:
        return []
    if not isinstance(text, str):
        return [Problem(f"{what} must be a string", at, "BASE_TYPE_STRING")]
    if low <= len(text) <= high:
        return []
    code = "BASE_TYPE_MAX_LENGTH" if len(text) > high else "BASE_TYPE_MIN_LENGTH"
    bounds = f"max {high}" if low == 0 else f"{low}-{high}"
    return [Problem(f"{what} is {len(text)} characters ({bounds})", at, code)]


def _number(value: Any, low: float, high: float, what: str, at: Path) -> list[Problem]:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [Problem(f"{what} must be a number", at, "NUMBER_TYPE_COERCE")]
    if value < low:
        return [Problem(f"{what} is {value} (min {low})", at, "NUMBER_TYPE_MIN")]
    if value > high:
        return [Problem(f"{what} is {value} (max {high})", at, "NUMBER_TYPE_MAX")]
    return []


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


def walk_with_paths(components: list[dict[str, Any]], at: Path = ("components",)):
    """Every component with its path in the body, depth first (as ``world.walk_components``)."""
    for i, comp in enumerate(components):
        here = (*at, i)
        yield here, comp
        if "components" in comp:
            yield from walk_with_paths(comp["components"], (*here, "components"))
        if "component" in comp:
            yield (*here, "component"), comp["component"]
        if "accessory" in comp:
            yield (*here, "accessory"), comp["accessory"]


def check_components(components: list[dict[str, Any]], *, v2: bool = False) -> list[str]:
    problems: list[str] = []
    if not v2 and len(components) > MAX_ACTION_ROWS:
        problems.append(
            Problem(
                f"{len(components)} action rows (max {MAX_ACTION_ROWS})",
                ("components",),
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    for i, row in enumerate(components):
        if row.get("type") == 1:
            children = row.get("components") or []
            buttons = [c for c in children if c.get("type") == BUTTON]
            selects = [c for c in children if c.get("type") in SELECT_TYPES]
            at = ("components", i, "components")
            if len(buttons) > MAX_ROW_BUTTONS:
                problems.append(
                    Problem(
                        f"an action row holds {len(buttons)} buttons (max {MAX_ROW_BUTTONS})",
                        at,
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    )
                )
            if selects and len(children) > 1:
                problems.append(
                    Problem(
                        "a select menu must be alone in its action row",
                        at,
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    )
                )
            if not children:
                problems.append(Problem("an action row is empty", at, "BASE_TYPE_MIN_LENGTH"))
        elif not v2:
            problems.append(
                Problem(
                    f"top-level component of type {row.get('type')} is not an action row",
                    ("components", i, "type"),
                    "UNION_TYPE_CHOICES",
                )
            )
    if v2:
        every = list(walk_components(components))
        if len(every) > MAX_V2_COMPONENTS:
            problems.append(f"{len(every)} components (max {MAX_V2_COMPONENTS})")
        text = sum(len(c.get("content") or "") for c in every if c.get("type") == TEXT_DISPLAY)
        if text > MAX_V2_TEXT:
            problems.append(f"text displays hold {text} characters (max {MAX_V2_TEXT})")
    problems.extend(_check_custom_ids(components))
    for at, comp in walk_with_paths(components):
        kind = comp.get("type")
        if kind == BUTTON:
            problems.extend(_check_button(comp, at))
        elif kind in SELECT_TYPES:
            problems.extend(_check_select(comp, at))
        elif kind == TEXT_INPUT:
            problems.append(
                Problem("a text input belongs in a modal", (*at, "type"), "UNION_TYPE_CHOICES")
            )
    return problems


def _check_custom_ids(components: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for at, comp in walk_with_paths(components):
        custom_id = comp.get("custom_id")
        if custom_id is None:
            continue
        if not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
            problems.append(
                Problem(
                    f"custom_id {custom_id[:40]!r}... is {len(custom_id)} characters (max {MAX_CUSTOM_ID})",
                    (*at, "custom_id"),
                    "BASE_TYPE_BAD_LENGTH",
                )
            )
        if custom_id in seen:
            problems.append(
                Problem(
                    f"custom_id {custom_id!r} is used twice in one message",
                    (*at, "custom_id"),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                )
            )
        seen.add(custom_id)
    return problems


def _check_button(comp: dict[str, Any], at: Path) -> list[Problem]:
    problems = _length(
        comp.get("label"), 0, MAX_BUTTON_LABEL, "button label", (*at, "label"), required=False
    )
    style, custom_id = comp.get("style"), comp.get("custom_id")
    if style == PREMIUM_BUTTON:
        if any(comp.get(k) for k in ("label", "emoji", "custom_id", "url")) or not comp.get(
            "sku_id"
        ):
            problems.append(
                Problem("a premium button has an sku_id and nothing else", at, "BUTTON_INVALID")
            )
        return problems
    if not comp.get("label") and not comp.get("emoji"):
        problems.append(
            Problem(
                "a button needs a label or an emoji", at, "BUTTON_COMPONENT_MISSING_LABEL_OR_EMOJI"
            )
        )
    if style == LINK_BUTTON:
        if not comp.get("url") or custom_id is not None:
            problems.append(Problem("a link button needs a url and no custom_id", at))
    elif custom_id is None:
        problems.append(
            Problem("a button needs a custom_id", (*at, "custom_id"), "BASE_TYPE_REQUIRED")
        )
    return problems


def _check_select(comp: dict[str, Any], at: Path) -> list[Problem]:
    problems = _length(
        comp.get("placeholder"),
        0,
        MAX_SELECT_PLACEHOLDER,
        "select placeholder",
        (*at, "placeholder"),
        required=False,
    )
    options = comp.get("options") or []
    if comp.get("type") == STRING_SELECT and not 1 <= len(options) <= MAX_SELECT_OPTIONS:
        problems.append(
            Problem(
                f"select menu has {len(options)} options (1-{MAX_SELECT_OPTIONS})",
                (*at, "options"),
                "BASE_TYPE_BAD_LENGTH",
            )
        )
    values: set[Any] = set()
    for j, option in enumerate(options):
        where = (*at, "options", j)
        problems += _length(
            option.get("label"), 1, MAX_OPTION_LABEL, "select option label", (*where, "label")
        )
        problems += _length(
            option.get("value"), 1, MAX_OPTION_VALUE, "select option value", (*where, "value")
        )
        problems += _length(
            option.get("description"),
            0,
            MAX_OPTION_DESCRIPTION,
            "select option description",
            (*where, "description"),
            required=False,
        )
        if option.get("value") in values:
            problems.append(
                Problem(
                    f"select option value {option.get('value')!r} is used twice",
                    (*where, "value"),
                    "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                )
            )
        values.add(option.get("value"))
    low, high = comp.get("min_values", 1), comp.get("max_values", 1)
    problems += _number(low, 0, MAX_SELECT_VALUES, "select min_values", (*at, "min_values"))
    problems += _number(high, 1, MAX_SELECT_VALUES, "select max_values", (*at, "max_values"))
    if comp.get("type") == STRING_SELECT and options and isinstance(high, int) and high > len(
        options
    ):
        problems.append(
            Problem(
                f"select max_values {high} is more than its {len(options)} options",
                (*at, "max_values"),
                "NUMBER_TYPE_MAX",
            )
        )
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(
            Problem(
                f"select min_values {low} is more than max_values {high}",
                (*at, "min_values"),
                "NUMBER_TYPE_MAX",
            )
        )
    return problems


def _check_text_input(comp: dict[str, Any], at: Path) -> list[Problem]:
    problems = _length(
        comp.get("label"),
        1,
        MAX_TEXT_INPUT_LABEL,
        "text input label",
        (*at, "label"),
        required=False,
    )
    problems += _length(
        comp.get("custom_id"), 1, MAX_CUSTOM_ID, "text input custom_id", (*at, "custom_id")
    )
    problems += _length(
        comp.get("placeholder"),
        0,
        MAX_TEXT_INPUT_PLACEHOLDER,
        "text input placeholder",
        (*at, "placeholder"),
        required=False,
    )
    problems += _length(
        comp.get("value"),
        0,
        MAX_TEXT_INPUT_LENGTH,
        "text input value",
        (*at, "value"),
        required=False,
    )
    low, high = comp.get("min_length"), comp.get("max_length")
    problems += _number(
        low, 0, MAX_TEXT_INPUT_LENGTH, "text input min_length", (*at, "min_length")
    )
    problems += _number(
        high, 1, MAX_TEXT_INPUT_LENGTH, "text input max_length", (*at, "max_length")
    )
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(
            Problem(
                f"text input min_length {low} is more than max_length {high}",
                (*at, "min_length"),
                "NUMBER_TYPE_MAX",
            )
        )
    value = comp.get("value")
    if isinstance(value, str) and isinstance(high, int) and len(value) > high:
        problems.append(
            Problem(
                f"text input value is {len(value)} characters, past its max_length {high}",
                (*at, "value"),
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    if comp.get("style", 1) not in (1, 2):
        problems.append(
            Problem(
                f"text input style {comp.get('style')} is not 1 or 2",
                (*at, "style"),
                "BASE_TYPE_CHOICES",
            )
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
    problems = _length(data.get("title"), 1, MAX_MODAL_TITLE, "modal title", ("title",))
    problems += _length(
        data.get("custom_id"), 1, MAX_CUSTOM_ID, "modal custom_id", ("custom_id",)
    )
    components = data.get("components") or []
    if not 1 <= len(components) <= MAX_MODAL_COMPONENTS:
        problems.append(
            Problem(
                f"modal has {len(components)} components (1-{MAX_MODAL_COMPONENTS})",
                ("components",),
                "BASE_TYPE_BAD_LENGTH",
            )
        )
    for at, comp in walk_with_paths(components):
        if comp.get("type") == TEXT_INPUT:
            problems.extend(_check_text_input(comp, at))
        elif comp.get("type") in SELECT_TYPES:
            problems.extend(_check_select(comp, at))
    return problems


def check_commands(commands: list[dict[str, Any]]) -> list[str]:
    """Problems with a bulk overwrite (or one created command): Discord's command rules."""
    problems: list[str] = []
    if len(commands) > MAX_COMMANDS:
        problems.append(
            Problem(f"{len(commands)} commands (max {MAX_COMMANDS})", (), "BASE_TYPE_MAX_LENGTH")
        )
    names = [(c.get("type", 1), c.get("name")) for c in commands]
    if len(set(names)) != len(names):
        problems.append(
            Problem("two commands share a name", (), "APPLICATION_COMMANDS_DUPLICATE_NAME")
        )
    for i, cmd in enumerate(commands):
        chat_input = cmd.get("type", 1) == 1
        problems.extend(_check_command_like(cmd, cmd.get("name", "?"), (i,), chat_input=chat_input))
        size = _command_size(cmd)
        if size > MAX_COMMAND_SIZE:
            problems.append(
                Problem(
                    f"/{cmd.get('name')}: names, descriptions and values hold {size} characters"
                    f" (max {MAX_COMMAND_SIZE})",
                    (i,),
                    "APPLICATION_COMMAND_TOO_LARGE",
                )
            )
    return problems


def _longest(thing: dict[str, Any], key: str) -> int:
    """A field's size as Discord counts it: its longest localization, the default included."""
    localized = (thing.get(f"{key}_localizations") or {}).values()
    return max([len(thing.get(key) or "")] + [len(text or "") for text in localized])


def _command_size(thing: dict[str, Any]) -> int:
    size = _longest(thing, "name") + _longest(thing, "description")
    for choice in thing.get("choices") or []:
        size += _longest(choice, "name") + len(str(choice.get("value", "")))
    return size + sum(_command_size(opt) for opt in thing.get("options") or [])


def _check_name_and_description(
    thing: dict[str, Any], path: str, at: Path, *, chat_input: bool
) -> list[Problem]:
    problems = []
    names = [thing.get("name", ""), *(thing.get("name_localizations") or {}).values()]
    descriptions = [
        thing.get("description", ""),
        *(thing.get("description_localizations") or {}).values(),
    ]
    for name in names:
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            problems.append(
                Problem(f"/{path}: invalid name {name!r}", (*at, "name"), "BASE_TYPE_BAD_LENGTH")
            )
        elif chat_input and (not _COMMAND_NAME.match(name) or name != name.lower()):
            problems.append(
                Problem(
                    f"/{path}: invalid name {name!r}",
                    (*at, "name"),
                    "APPLICATION_COMMAND_INVALID_NAME",
                )
            )
    for description in descriptions:
        if chat_input:
            problems += _length(
                description, 1, MAX_COMMAND_DESCRIPTION, f"/{path}: description", (*at, "description")
            )
        elif description:
            problems.append(
                Problem(
                    f"/{path}: a user or message command has no description",
                    (*at, "description"),
                    "BASE_TYPE_MAX_LENGTH",
                )
            )
    return problems


def _check_command_like(
    cmd: dict[str, Any], path: str, at: Path, *, chat_input: bool = True, level: str = "command"
) -> list[Problem]:
    """A command, subcommand group or subcommand (``level``): name, description and options."""
    problems = _check_name_and_description(cmd, path, at, chat_input=chat_input)
    options = cmd.get("options") or []
    if len(options) > MAX_COMMAND_OPTIONS:
        problems.append(
            Problem(
                f"/{path}: {len(options)} options (max {MAX_COMMAND_OPTIONS})",
                (*at, "options"),
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    seen_names: set[str] = set()
    seen_optional = False
    for j, opt in enumerate(options):
        sub, where = f"{path} {opt.get('name')}", (*at, "options", j)
        if opt.get("name") in seen_names:
            problems.append(
                Problem(
                    f"/{path}: two options are named {opt.get('name')!r}",
                    (*where, "name"),
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                )
            )
        seen_names.add(opt.get("name"))
        kind = opt.get("type")
        misplaced = (
            (kind == 2 and level != "command")
            or (kind == 1 and level == "subcommand")
            or (kind not in (1, 2) and level == "group")
        )
        if misplaced:
            problems.append(
                Problem(
                    f"/{sub}: options nest only as command > group > subcommand > value",
                    (*where, "type"),
                    "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                )
            )
        if kind in (1, 2):
            inner_level = "group" if kind == 2 else "subcommand"
            problems.extend(_check_command_like(opt, sub, where, level=inner_level))
            continue
        problems.extend(_check_option(opt, sub, where))
        if opt.get("required"):
            if seen_optional:
                problems.append(
                    Problem(
                        f"/{sub}: required option after an optional one",
                        (*where, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    )
                )
        else:
            seen_optional = True
    return problems


def _check_option(opt: dict[str, Any], path: str, at: Path) -> list[Problem]:
    """A value option (string, integer, number, ...): its name, description, choices and bounds."""
    problems = _check_name_and_description(opt, path, at, chat_input=True)
    kind = opt.get("type")
    choices = opt.get("choices") or []
    if len(choices) > MAX_CHOICES:
        problems.append(
            Problem(
                f"/{path}: {len(choices)} choices (max {MAX_CHOICES})",
                (*at, "choices"),
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    if choices and opt.get("autocomplete"):
        problems.append(
            Problem(
                f"/{path}: autocomplete and choices together",
                (*at, "autocomplete"),
                "APPLICATION_COMMAND_OPTION_INVALID_AUTOCOMPLETE",
            )
        )
    for k, choice in enumerate(choices):
        where = (*at, "choices", k)
        problems += _length(
            choice.get("name"), 1, MAX_CHOICE_NAME, f"/{path}: choice name", (*where, "name")
        )
        if isinstance(choice.get("value"), str):
            problems += _length(
                choice["value"], 1, MAX_CHOICE_VALUE, f"/{path}: choice value", (*where, "value")
            )
    lengths = ("min_length", "max_length")
    values = ("min_value", "max_value")
    if kind != 3 and any(key in opt for key in lengths):
        problems.append(
            Problem(f"/{path}: only string options take a length", at, "BASE_TYPE_INVALID")
        )
    if kind not in (4, 10) and any(key in opt for key in values):
        problems.append(
            Problem(f"/{path}: only number options take a range", at, "BASE_TYPE_INVALID")
        )
    low, high = opt.get("min_length"), opt.get("max_length")
    problems += _number(
        low, 0, MAX_STRING_OPTION_LENGTH, f"/{path}: min_length", (*at, "min_length")
    )
    problems += _number(
        high, 1, MAX_STRING_OPTION_LENGTH, f"/{path}: max_length", (*at, "max_length")
    )
    bound = MAX_INTEGER_OPTION if kind == 4 else float("inf")
    low_value, high_value = opt.get("min_value"), opt.get("max_value")
    problems += _number(low_value, -bound, bound, f"/{path}: min_value", (*at, "min_value"))
    problems += _number(high_value, -bound, bound, f"/{path}: max_value", (*at, "max_value"))
    for first, second, name in ((low, high, "length"), (low_value, high_value, "value")):
        if _is_number(first) and _is_number(second) and first > second:
            problems.append(
                Problem(
                    f"/{path}: min_{name} {first} is more than max_{name} {second}",
                    (*at, f"min_{name}"),
                    "NUMBER_TYPE_MAX",
                )
            )
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_upload(files: list[tuple[str, str | None, bytes]]) -> list[str]:
    total = sum(len(data) for _, _, data in files)
    if total > MAX_UPLOAD_BYTES:
        return [f"uploads total {total} bytes (max {MAX_UPLOAD_BYTES})"]
    if len(files) > MAX_EMBEDS:
        return [f"{len(files)} files (max {MAX_EMBEDS})"]
    return []
