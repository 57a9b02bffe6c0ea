"""Component and command-definition limits: refused with Discord's 400 (50035 and a nested
``errors`` object naming the field), while the same request within the limits is accepted."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.discord_local import LocalDiscord
from tests.discord_local.limits import check_commands, check_components, check_modal


def button(**fields: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "custom_id": "b", "label": "Go", **fields}


def select(**fields: Any) -> dict[str, Any]:
    options = [{"label": "One", "value": "1"}, {"label": "Two", "value": "2"}]
    return {"type": 3, "custom_id": "s", "options": options, **fields}


def option(label: str = "One", value: str = "1", **fields: Any) -> dict[str, Any]:
    return {"label": label, "value": value, **fields}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def text_input(**fields: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": "t", "style": 1, "label": "Page", **fields}


def modal(*inputs: dict[str, Any]) -> dict[str, Any]:
    return {"title": "Jump", "custom_id": "m", "components": [row(i) for i in inputs]}


def command(**fields: Any) -> dict[str, Any]:
    return {"type": 1, "name": "quote", "description": "A line of dialogue", **fields}


def string_option(**fields: Any) -> dict[str, Any]:
    return {"type": 3, "name": "story", "description": "Which story", **fields}


def number_option(kind: int = 4, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "name": "count", "description": "How many", **fields}


COMPONENTS_REFUSED = {
    "button without label or emoji": (
        [row(button(label=None))],
        "a button needs a label or an emoji",
    ),
    "button label 81": ([row(button(label="b" * 81))], "button label is 81 characters (max 80)"),
    "six buttons in a row": (
        [row(*(button(custom_id=f"b{i}") for i in range(6)))],
        "an action row holds 6 buttons (max 5)",
    ),
    "six action rows": (
        [row(button(custom_id=f"b{i}")) for i in range(6)],
        "6 action rows (max 5)",
    ),
    "select without options": ([row(select(options=[]))], "select menu has 0 options (1-25)"),
    "select with 26 options": (
        [row(select(options=[option(value=str(i)) for i in range(26)]))],
        "select menu has 26 options (1-25)",
    ),
    "option label 101": (
        [row(select(options=[option(label="l" * 101)]))],
        "select option label is 101 characters (1-100)",
    ),
    "option value 101": (
        [row(select(options=[option(value="v" * 101)]))],
        "select option value is 101 characters (1-100)",
    ),
    "option description 101": (
        [row(select(options=[option(description="d" * 101)]))],
        "select option description is 101 characters (max 100)",
    ),
    "option values repeated": (
        [row(select(options=[option(), option(label="Again")]))],
        "select option value '1' is used twice",
    ),
    "select placeholder 151": (
        [row(select(placeholder="p" * 151))],
        "select placeholder is 151 characters (max 150)",
    ),
    "max_values past the options": (
        [row(select(max_values=3))],
        "select max_values 3 is more than its 2 options",
    ),
    "min_values 26": ([row(select(min_values=26))], "select min_values is 26 (max 25)"),
    "min_values above max_values": (
        [row(select(min_values=2, max_values=1))],
        "select min_values 2 is more than max_values 1",
    ),
}

COMPONENTS_ACCEPTED = {
    "button with label": [row(button(label="b" * 80))],
    "button with only an emoji": [row(button(label=None, emoji={"name": "➡️"}))],
    "link button": [row(button(style=5, custom_id=None, url="https://example.org"))],
    "five rows of five buttons": [
        row(*(button(custom_id=f"b{r}{i}") for i in range(5))) for r in range(5)
    ],
    "select at its limits": [
        row(
            select(
                placeholder="p" * 150,
                min_values=0,
                max_values=25,
                options=[
                    option(label="l" * 100, value=f"{i:0>100}", description="d" * 100)
                    for i in range(25)
                ],
            )
        )
    ],
}

MODALS_REFUSED = {
    "label 46": (modal(text_input(label="l" * 46)), "text input label is 46 characters (1-45)"),
    "placeholder 101": (
        modal(text_input(placeholder="p" * 101)),
        "text input placeholder is 101 characters (max 100)",
    ),
    "value 4001": (
        modal(text_input(value="v" * 4001)),
        "text input value is 4001 characters (max 4000)",
    ),
    "min_length 4001": (
        modal(text_input(min_length=4001)),
        "text input min_length is 4001 (max 4000)",
    ),
    "max_length 0": (modal(text_input(max_length=0)), "text input max_length is 0 (min 1)"),
    "max_length 4001": (
        modal(text_input(max_length=4001)),
        "text input max_length is 4001 (max 4000)",
    ),
    "min_length above max_length": (
        modal(text_input(min_length=5, max_length=4)),
        "text input min_length 5 is more than max_length 4",
    ),
    "value past max_length": (
        modal(text_input(value="12345", max_length=4)),
        "text input value is 5 characters, past its max_length 4",
    ),
    "custom_id 101": (
        modal(text_input(custom_id="c" * 101)),
        "text input custom_id is 101 characters (1-100)",
    ),
    "title 46": ({**modal(text_input()), "title": "t" * 46}, "modal title is 46 characters (1-45)"),
    "six text inputs": (
        modal(*(text_input(custom_id=f"t{i}") for i in range(6))),
        "modal has 6 components (1-5)",
    ),
}

MODAL_AT_ITS_LIMITS = modal(
    text_input(
        label="l" * 45,
        placeholder="p" * 100,
        value="v" * 4000,
        min_length=0,
        max_length=4000,
        style=2,
        custom_id="c" * 100,
    )
)


@pytest.mark.parametrize(
    ("components", "problem"), list(COMPONENTS_REFUSED.values()), ids=list(COMPONENTS_REFUSED)
)
def test_components_past_their_limits_are_refused(components, problem):
    assert problem in check_components(components)


@pytest.mark.parametrize(
    "components", list(COMPONENTS_ACCEPTED.values()), ids=list(COMPONENTS_ACCEPTED)
)
def test_components_within_their_limits_are_accepted(components):
    assert check_components(components) == []


@pytest.mark.parametrize(
    ("data", "problem"), list(MODALS_REFUSED.values()), ids=list(MODALS_REFUSED)
)
def test_text_inputs_past_their_limits_are_refused(data, problem):
    assert problem in check_modal(data)


def test_text_input_at_its_limits_is_accepted():
    assert check_modal(MODAL_AT_ITS_LIMITS) == []


def options_named(*names: str) -> list[dict[str, Any]]:
    return [string_option(name=name) for name in names]


COMMANDS_REFUSED = {
    "empty name": ([command(name="")], "/: invalid name ''"),
    "name 33": ([command(name="q" * 33)], f"/{'q' * 33}: invalid name {'q' * 33!r}"),
    "capital letters": ([command(name="Quote")], "/Quote: invalid name 'Quote'"),
    "space in a chat command name": ([command(name="two words")], "invalid name 'two words'"),
    "option name capitalised": (
        [command(options=[string_option(name="Story")])],
        "/quote Story: invalid name 'Story'",
    ),
    "empty description": ([command(description="")], "/quote: description is 0 characters"),
    "description 101": (
        [command(description="d" * 101)],
        "/quote: description is 101 characters (1-100)",
    ),
    "option description 101": (
        [command(options=[string_option(description="d" * 101)])],
        "/quote story: description is 101 characters (1-100)",
    ),
    "localized description 101": (
        [command(description_localizations={"fr": "d" * 101})],
        "/quote: description is 101 characters (1-100)",
    ),
    "26 options": (
        [command(options=options_named(*(f"o{i}" for i in range(26))))],
        "/quote: 26 options (max 25)",
    ),
    "two options with one name": (
        [command(options=options_named("story", "story"))],
        "/quote: two options are named 'story'",
    ),
    "26 choices": (
        [
            command(
                options=[
                    string_option(choices=[{"name": f"c{i}", "value": f"c{i}"} for i in range(26)])
                ]
            )
        ],
        "/quote story: 26 choices (max 25)",
    ),
    "choice value 101": (
        [command(options=[string_option(choices=[{"name": "c", "value": "v" * 101}])])],
        "/quote story: choice value is 101 characters (1-100)",
    ),
    "string max_length 6001": (
        [command(options=[string_option(max_length=6001)])],
        "/quote story: max_length is 6001 (max 6000)",
    ),
    "string min_length -1": (
        [command(options=[string_option(min_length=-1)])],
        "/quote story: min_length is -1 (min 0)",
    ),
    "min_length above max_length": (
        [command(options=[string_option(min_length=10, max_length=5)])],
        "/quote story: min_length 10 is more than max_length 5",
    ),
    "integer bound past 2**53": (
        [command(options=[number_option(max_value=2**53 + 1)])],
        f"/quote count: max_value is {2**53 + 1} (max {2**53})",
    ),
    "min_value above max_value": (
        [command(options=[number_option(kind=10, min_value=5.5, max_value=1)])],
        "/quote count: min_value 5.5 is more than max_value 1",
    ),
    "length on a number": (
        [command(options=[number_option(max_length=5)])],
        "/quote count: only string options take a length",
    ),
    "range on a string": (
        [command(options=[string_option(min_value=1)])],
        "/quote story: only number options take a range",
    ),
    "group inside a group": (
        [
            command(
                options=[
                    {
                        "type": 2,
                        "name": "outer",
                        "description": "d",
                        "options": [{"type": 2, "name": "inner", "description": "d"}],
                    }
                ]
            )
        ],
        "/quote outer inner: options nest only as command > group > subcommand > value",
    ),
}


def command_of_size(size: int, *, localized: bool = False) -> dict[str, Any]:
    """A valid command whose names, descriptions and values hold exactly ``size`` characters."""
    head = command(name="q", description="d" * 100)  # 101
    options = []
    left = size - 101
    for i in range(25):
        take = min(left, 100 + 3)
        if take <= 0:
            break
        # name "oNN" is 3 characters; the description takes the rest (at least 1).
        name = f"o{i:02d}"
        description = "d" * (take - len(name))
        if localized:
            opt = string_option(
                name=name, description="x", description_localizations={"de": description}
            )
        else:
            opt = string_option(name=name, description=description)
        options.append(opt)
        left -= take
    choices_left = left
    if choices_left > 0:
        last = options[-1]
        last["choices"] = []
        while choices_left > 0:
            value = "v" * min(choices_left - 3, 100)
            last["choices"].append({"name": f"c{len(last['choices']):02d}", "value": value})
            choices_left -= 3 + len(value)
    return {**head, "options": options}


def test_command_size_counts_names_descriptions_values_and_longest_localizations():
    for localized in (False, True):
        assert check_commands([command_of_size(4000, localized=localized)]) == []
        [problem] = check_commands([command_of_size(4001, localized=localized)])
        assert "hold 4001 characters (max 4000)" in problem
        assert problem.code == "APPLICATION_COMMAND_TOO_LARGE"


@pytest.mark.parametrize(
    ("commands_", "problem"), list(COMMANDS_REFUSED.values()), ids=list(COMMANDS_REFUSED)
)
def test_command_definitions_past_their_limits_are_refused(commands_, problem):
    assert any(problem in found for found in check_commands(commands_)), check_commands(commands_)


def test_command_definitions_within_their_limits_are_accepted():
    valid = command(
        name="q" * 32,
        description="d" * 100,
        name_localizations={"fr": "citation"},
        options=[
            string_option(min_length=0, max_length=6000, required=True),
            string_option(
                name="mood", choices=[{"name": f"c{i}", "value": f"v{i}"} for i in range(25)]
            ),
            number_option(min_value=-(2**53), max_value=2**53),
            number_option(kind=10, name="ratio", min_value=0.5, max_value=0.5),
        ],
    )
    grouped = command(
        name="trivia",
        options=[
            {
                "type": 2,
                "name": "admin",
                "description": "d",
                "options": [
                    {"type": 1, "name": "reset", "description": "d", "options": [number_option()]}
                ],
            },
            {"type": 1, "name": "start", "description": "d"},
        ],
    )
    context_menu = {"type": 3, "name": "Quote this message", "description": ""}
    assert check_commands([valid, grouped, context_menu]) == []


# -- through the server: Discord's 400 body ------------------------------------------------


async def rest(server: LocalDiscord, method: str, path: str, body: Any) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {server.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{server.api_base}{path}", json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_a_message_with_bad_components_gets_discords_invalid_form_body(server):
    path = f"/channels/{server.world.general.id}/messages"
    bad = [row(select(options=[option(label="l" * 101)]))]
    status, body = await rest(server, "POST", path, {"content": "pick", "components": bad})
    assert status == 400
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    label = body["errors"]["components"]["0"]["components"]["0"]["options"]["0"]["label"]
    assert label["_errors"] == [
        {
            "code": "BASE_TYPE_MAX_LENGTH",
            "message": "select option label is 101 characters (1-100)",
        }
    ]
    assert [v.rule for v in server.take_violations()] == ["message-limits"]
    assert server.messages_in(server.world.general) == []
    status, body = await rest(
        server, "POST", path, {"content": "pick", "components": [row(select())]}
    )
    assert status == 200 and body["components"][0]["components"][0]["custom_id"] == "s"


async def test_a_command_sync_past_the_limits_gets_discords_invalid_form_body(server):
    path = f"/applications/{server.world.application_id}/commands"
    status, body = await rest(server, "PUT", path, [command_of_size(4001)])
    assert status == 400 and body["code"] == 50035
    assert body["errors"]["0"]["_errors"][0]["code"] == "APPLICATION_COMMAND_TOO_LARGE"
    duplicate = command(options=options_named("story", "story"))
    status, body = await rest(server, "PUT", path, [duplicate])
    assert status == 400
    assert "story" in body["errors"]["0"]["options"]["1"]["name"]["_errors"][0]["message"]
    assert {v.rule for v in server.take_violations()} == {"command-sync"}
    assert server.global_commands == []
    status, body = await rest(server, "PUT", path, [command_of_size(4000)])
    assert status == 200 and [c["name"] for c in body] == ["q"]


class PlaceholderModal(discord.ui.Modal, title="Jump to page"):
    def __init__(self, placeholder: str) -> None:
        super().__init__()
        self.add_item(discord.ui.TextInput(label="Page", custom_id="page", placeholder=placeholder))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("jumped", ephemeral=True)


def modal_bot() -> commands.Bot:
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )
    bot.errors = []

    @bot.tree.command(description="Open a modal with this long a placeholder")
    async def jump(interaction: discord.Interaction, placeholder_length: int) -> None:
        try:
            await interaction.response.send_modal(PlaceholderModal("p" * placeholder_length))
        except discord.HTTPException as exc:
            bot.errors.append(exc)

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook
    return bot


async def test_a_modal_past_the_limits_is_refused_and_one_within_them_opens(server, run_bot):
    bot = await run_bot(modal_bot())
    world = server.world
    await server.run_command(world.member, world.general, "jump", {"placeholder_length": 101})
    await server.wait_until(lambda: bot.errors, 5, "the refused modal")
    [error] = bot.errors
    assert error.status == 400 and error.code == 50035
    assert "placeholder" in error.text and "101 characters" in error.text
    [violation] = server.take_violations()
    assert violation.rule == "modal-limits"
    handle = await server.run_command(
        world.member, world.general, "jump", {"placeholder_length": 100}
    )
    opened = await handle.modal()
    assert opened["components"][0]["components"][0]["placeholder"] == "p" * 100
    reply = await (await server.submit_modal(handle, {"page": "3"})).reply()
    assert reply.content == "jumped"
