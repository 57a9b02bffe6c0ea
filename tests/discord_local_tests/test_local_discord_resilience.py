"""Transport compression, gateway faults, REST faults and enforced limits on the local Discord."""

from __future__ import annotations

import asyncio
import json
import zlib

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.discord_local import LocalDiscord
from tests.discord_local.limits import check_components, check_embeds, check_message


class ZlibStream:
    """discord.py's zlib-stream reader (used when no zstd module is installed), for forcing it."""

    COMPRESSION_TYPE = "zlib-stream"

    def __init__(self) -> None:
        self.context = zlib.decompressobj()
        self.buffer = bytearray()

    def decompress(self, data: bytes) -> str | None:
        self.buffer.extend(data)
        if data[-4:] != b"\x00\x00\xff\xff":
            return None
        text = self.context.decompress(bytes(self.buffer)).decode()
        self.buffer.clear()
        return text


def answering_bot(server: LocalDiscord) -> commands.Bot:
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )
    bot.errors = []

    @bot.tree.command(description="Answer at once")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @bot.tree.command(description="Answer after a pause")
    async def dawdle(interaction: discord.Interaction, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await interaction.response.send_message("finally")

    @bot.tree.command(description="Say far too much")
    async def ramble(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("a" * 2001)

    @bot.tree.error
    async def on_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        bot.errors.append(
            error.original if isinstance(error, app_commands.CommandInvokeError) else error
        )

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook
    return bot


async def ping_answered(server: LocalDiscord) -> str:
    world = server.world
    handle = await server.run_command(world.member, world.general, "ping")
    return (await handle.reply()).content


async def test_zstd_stream_is_what_discord_py_asks_for_and_works(server, run_bot):
    await run_bot(answering_bot(server))
    assert server.gateway.compressions == ["zstd-stream"]
    assert await ping_answered(server) == "pong"


async def test_zlib_stream_works(server, run_bot, monkeypatch):
    monkeypatch.setattr(discord.utils, "_ActiveDecompressionContext", ZlibStream)
    await run_bot(answering_bot(server))
    assert server.gateway.compressions == ["zlib-stream"]
    assert await ping_answered(server) == "pong"


async def test_plain_text_frames_without_compression(server):
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{server.ws_url}?v=10&encoding=json") as ws,
    ):
        hello = await ws.receive(timeout=5)
        assert hello.type is aiohttp.WSMsgType.TEXT
        assert json.loads(hello.data)["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": server.token, "intents": 1, "properties": {}}})
        ready = json.loads((await ws.receive(timeout=5)).data)
        assert (ready["t"], ready["s"]) == ("READY", 1)
        assert ready["d"]["resume_gateway_url"] == server.ws_url
        for seq in (2, 3):
            guild_create = json.loads((await ws.receive(timeout=5)).data)
            assert (guild_create["t"], guild_create["s"]) == ("GUILD_CREATE", seq)
        await ws.send_json({"op": 1, "d": 2})
        assert json.loads((await ws.receive(timeout=5)).data) == {"op": 11}


async def test_bad_token_closes_the_gateway_with_4004(server):
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{server.ws_url}?v=10&encoding=json") as ws,
    ):
        await ws.receive(timeout=5)
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}})
        closing = await ws.receive(timeout=5)
        assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4004


@pytest.mark.parametrize("fault", ["reconnect", "resumable", "abnormal"])
async def test_gateway_resume_after_a_fault_still_answers(server, run_bot, fault):
    bot = await run_bot(answering_bot(server))
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)
    if fault == "reconnect":
        assert server.send_reconnect() == 1
    elif fault == "resumable":
        assert server.invalidate_session(resumable=True) == 1
    else:
        assert await server.drop_gateway() == 1
    await asyncio.wait_for(resumed.wait(), 10)
    assert len(server.gateway.identifies) == 1 and len(server.gateway.resumes) == 1
    assert await ping_answered(server) == "pong"


async def test_events_missed_while_disconnected_are_replayed_on_resume(server, run_bot):
    bot = await run_bot(answering_bot(server))
    await server.drop_gateway()
    # Dispatched while the websocket is down: must arrive after RESUME.
    handle = await server.run_command(server.world.member, server.world.general, "ping")
    assert (await handle.reply(timeout=10)).content == "pong"
    assert bot.is_ready() and len(server.gateway.resumes) == 1


async def test_invalid_session_not_resumable_makes_the_client_identify_again(server, run_bot):
    await run_bot(answering_bot(server))
    assert server.invalidate_session(resumable=False) == 1
    await server.wait_until(
        lambda: len(server.gateway.identifies) == 2 and server.gateway.live_sessions(),
        10,
        "a second IDENTIFY",
    )
    assert server.gateway.resumes == []
    assert await ping_answered(server) == "pong"


@pytest.mark.parametrize("scope", ["user", "global"])
async def test_429_is_honoured_with_retry_after(server, run_bot, scope):
    bot = await run_bot(answering_bot(server))
    server.fail_next(
        "POST /channels/{channel_id}/messages", status=429, retry_after=0.3, scope=scope
    )
    await bot.get_channel(server.world.general.id).send("after the wait")
    sends = [r for r in server.requests if r.route == "POST /channels/{channel_id}/messages"]
    assert [r.status for r in sends] == [429, 200]
    assert sends[1].at - sends[0].at >= 0.3
    assert server.messages_in(server.world.general)[0].content == "after the wait"


async def test_429_on_a_followup_webhook_is_honoured(server, run_bot):
    await run_bot(answering_bot(server))
    server.fail_next(
        "POST /interactions/{interaction_id}/{token}/callback", status=429, retry_after=0.1
    )
    assert await ping_answered(server) == "pong"
    statuses = [r.status for r in server.requests if r.route.endswith("/callback")]
    assert statuses == [429, 200]


async def test_first_response_after_the_deadline_gets_unknown_interaction(server, run_bot):
    assert server.interaction_deadline == 3.0  # Discord's rule; lowered below to keep the test fast
    server.interaction_deadline = 0.2
    bot = await run_bot(answering_bot(server))
    handle = await server.run_command(
        server.world.member, server.world.general, "dawdle", {"seconds": 0.4}
    )
    await server.wait_until(lambda: bot.errors, 5, "the bot's error")
    [error] = bot.errors
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert not handle.responded and server.messages_in(server.world.general) == []
    [violation] = server.take_violations()
    assert violation.rule == "interaction-deadline"


async def test_too_long_content_is_refused_and_recorded(server, run_bot):
    bot = await run_bot(answering_bot(server))
    await server.run_command(server.world.member, server.world.general, "ramble")
    await server.wait_until(lambda: bot.errors, 5, "the bot's error")
    assert isinstance(bot.errors[0], discord.HTTPException) and bot.errors[0].code == 50035
    [violation] = server.take_violations()
    assert violation.rule == "message-limits" and "2001 characters" in violation.detail


def test_embed_and_component_limits():
    assert check_embeds([{"description": "d" * 4096}]) == []
    assert check_embeds([{"description": "d" * 4097}]) == [
        "embed 0 description is 4097 characters (max 4096)"
    ]
    fields = [{"name": "n", "value": "v"}] * 26
    assert check_embeds([{"fields": fields}]) == ["embed 0 has 26 fields (max 25)"]
    big = [{"description": "d" * 4000}, {"description": "d" * 2001}]
    assert check_embeds(big) == ["embeds hold 6001 characters of text in total (max 6000)"]
    button = {"type": 2, "style": 1, "label": "x"}
    row = {"type": 1, "components": [{**button, "custom_id": f"b{i}"} for i in range(6)]}
    assert check_components([row]) == ["an action row holds 6 buttons (max 5)"]
    rows = [{"type": 1, "components": [{**button, "custom_id": f"r{i}"}]} for i in range(6)]
    assert check_components(rows) == ["6 action rows (max 5)"]
    long_id = {"type": 1, "components": [{**button, "custom_id": "c" * 101}]}
    assert "max 100" in check_components([long_id])[0]
    assert check_message({"content": ""}) == ["Cannot send an empty message"]


async def test_responses_are_exactly_application_json_and_unknown_routes_are_recorded(server):
    headers = {"Authorization": f"Bot {server.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.api_base}/users/@me", headers=headers) as response:
            assert response.headers["Content-Type"] == "application/json"
        async with http.get(f"{server.api_base}/no/such/route", headers=headers) as response:
            assert response.status == 404
            assert await response.json() == {"message": "404: Not Found", "code": 0}
    assert server.unimplemented == ["GET /no/such/route"]
    server.unimplemented.clear()


async def test_server_error_is_retried_by_discord_py(server, run_bot):
    bot = await run_bot(answering_bot(server))
    server.fail_next("POST /channels/{channel_id}/messages", status=502)
    await bot.get_channel(server.world.general.id).send("second try")
    sends = [r.status for r in server.requests if r.route == "POST /channels/{channel_id}/messages"]
    assert sends == [502, 200]


def test_components_v2_limits():
    text = {"type": 10, "content": "t" * 2001}
    v2 = 1 << 15
    assert check_message({"flags": v2, "components": [text, text]}) == [
        "text displays hold 4002 characters (max 4000)"
    ]
    assert check_message(
        {"flags": v2, "content": "x", "components": [{"type": 10, "content": "ok"}]}
    ) == ["content and embeds cannot be sent with the components v2 flag"]


async def test_commands_need_a_connected_bot(server):
    with pytest.raises(AssertionError, match="no bot is connected"):
        await server.run_command(server.world.member, server.world.general, "ping")


async def test_a_restarted_bot_takes_over_from_a_closed_one(server, run_bot):
    first = await run_bot(answering_bot(server))
    await first.close()
    await server.wait_until(lambda: not server.gateway.connections, 5, "the websocket to close")
    await run_bot(answering_bot(server))
    assert len(server.gateway.identifies) == 2 and len(server.command_syncs) == 2
    assert await ping_answered(server) == "pong"
