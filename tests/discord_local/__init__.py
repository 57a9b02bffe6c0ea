"""A local Discord (REST v10 + gateway on 127.0.0.1) that an unmodified discord.py 2.7 bot runs against.

Starting it and pointing discord.py at it::

    from tests.discord_local import LocalDiscord

    async with LocalDiscord() as server:          # free port, backlog 4096
        with server.patch_discord():              # sets discord.http.Route.BASE and
            bot = MyBot(...)                      # DiscordWebSocket.DEFAULT_GATEWAY
            task = asyncio.create_task(bot.start(server.token))
            await server.wait_ready()             # READY + GUILD_CREATE sent
            ...
        server.assert_clean()                     # fail on violations / unimplemented routes

Pass ``guild_ready_timeout=0.05`` (or similar) to the bot: discord.py waits that long after the last
GUILD_CREATE. Without the members intent GUILD_CREATE holds only the bot's member, so no chunking.
URLs: ``server.api_base`` (http://127.0.0.1:PORT/api/v10), ``server.ws_url``, ``server.base_url``.

The world (``server.world``, see ``world.World``): guilds ``guild`` ("Story Den") and
``other_guild``; channels ``general``, ``second_channel``, ``nsfw_channel`` (age-restricted) in
``guild``, ``other_general`` in ``other_guild``, ``dm`` (DM with ``member``); users ``owner``
(guild owner), ``admin`` (Administrator role), ``moderator`` (Manage Server, also in the other
guild), ``member`` (plain, in both guilds), ``outsider`` (only ``other_guild``), ``bot_user``.
``world.add_user(name, guild=...)`` makes more.

Sharding (docs/local-discord.md): ``World(recommended_shards=2)`` is what ``GET /gateway/bot``
recommends and puts ``guild`` on shard 0, ``other_guild`` on shard 1; ``world.add_guild(name,
shard=(id, count))``. A session gets only its shard's guilds, events and interactions (DMs: shard
0); a bad IDENTIFY shard is closed with 4010, too few shards with 4011.

Driving the bot (all async; every wait has a timeout and fails with an AssertionError that lists
the interaction's callbacks, recent requests, violations and unimplemented routes)::

    h = await server.run_command(world.member, world.general, "quote", {"story": "Naruto"})
    h = await server.run_command(user, channel, "trivia start", {"questions": 3})  # or subcommand="start"
    cb = await h.response()         # first callback: cb.type (4,5,6,7,8,9), cb.data, cb.ephemeral
    msg = await h.reply()           # first message the user sees (after a defer: the edited original)
    msgs = await h.followups(2)     # at least 2 follow-ups
    h.messages, h.original, h.callbacks
    choices = await server.autocomplete(user, channel, "quote", "story", {"story": "nar"})
    h2 = await server.click(msg, "next-page", user)          # button on a stored message
    h3 = await server.select(msg, "pick", ["a"], user)       # select menu
    h4 = await server.submit_modal(h, {"title_input": "x"})  # modal the bot opened in answer to h
    posted = await server.post_message(user, channel, "hello")
    att = server.register_attachment(b"text", "story.txt")   # value for an attachment option
    server.attachment_delay = 1.0    # the attachment host answers after a second
    req = await server.wait_for_request(lambda r: r.route == "POST /channels/{channel_id}/messages")
    m = await server.wait_for_message(lambda m: "Chapter" in m.content, channel=thread)
    server.messages_in(channel)      # visible messages, oldest first (threads too)
    server.ephemeral_messages(user)  # ephemeral ones shown to user
    server.threads(parent)           # threads created by the bot
    server.admin_delete_channel(channel)                     # as an admin in Discord's UI: CHANNEL_DELETE
    server.admin_set_role_permissions(guild, role, perms)    # ... GUILD_ROLE_UPDATE (e.g. the bot loses Send Messages)
    await server.wait_until(lambda: cond, timeout, "what")

Option values are typed from the synced command: str/int/float/bool, ``User``, ``Role``,
``Channel`` objects from the world, and ``register_attachment(...)`` payloads; unknown or missing
required options, out-of-range values, and commands hidden from the user (default member
permissions, age restriction, DM availability) fail the helper.

Messages are ``StoredMessage``: ``.content``, ``.embeds``, ``.components``, ``.attachments``,
``.flags``, ``.ephemeral``, ``.allowed_mentions`` (as sent), ``.pings`` (who it would notify; assert
it is ``{}``), ``.text()`` (content + embed text), ``.custom_ids()``, ``.data`` (raw payload).

Recording and checks: ``server.requests`` (``RecordedRequest``: method, path, route template,
query, json, files, status, at), ``server.command_syncs``, ``server.global_commands``,
``server.guild_commands``. Discord's limits (content 2000, embed description 4096, embed total
6000, 25 fields, 5 rows of 5 buttons, button label or emoji, select options and text inputs,
custom_id 100, thread name 100, 25 choices, modal rules, command definitions with their 4,000
characters) and the 3-second first response are enforced: the bot gets Discord's 400 (50035 with
a nested ``errors`` object) and ``server.violations`` records it.

Rate limits (``ratelimits.py``): every route has a bucket per top-level resource, sized like
Discord's (message create 5 per 5 s per channel, ...), and every answer carries X-RateLimit-*
headers, so discord.py's limiter learns them; past a bucket Discord's 429 (scope ``user``), past
the global limit (50 a second; interaction endpoints exempt) a global 429. They are not
violations: discord.py waits and retries. ``server.rate_limits.set(route, limit=, per=)`` and
``server.rate_limits.set_global(limit=, per=)`` tighten them; ``server.rate_limits.refused`` lists
the (route, scope) of each 429 the buckets sent. ``server.problems`` lists violations and unimplemented
routes; ``server.assert_clean()`` raises on any; ``server.take_violations()`` clears them for tests
that provoke one on purpose. ``server.interaction_deadline`` (default 3.0 s) can be lowered.

Fault injection (answered before any bucket is spent): ``server.fail_next("POST
/channels/{channel_id}/messages", status=429, retry_after=0.2, count=1)`` (also 500/502); ``await server.drop_gateway()`` (1006, client resumes);
``server.send_reconnect()`` (op 7); ``server.invalidate_session(resumable=...)`` (op 9).
``await server.drop_gateway(shard_id)`` drops one shard only; ``server.gateway.accepting = False``
refuses new gateway connections (HTTP 503) until set back.
``server.gateway`` holds ``identifies``, ``resumes``, ``compressions`` (what each connection asked
for: None, "zlib-stream" or "zstd-stream"; discord.py 2.7.1 asks for zstd-stream when the
``zstandard`` module is installed, as with our test extras, else zlib-stream). After a
non-resumable INVALID_SESSION discord.py waits 5 s before it identifies again (its
``before_identify_hook``), so such a test takes 5 s.
"""

from .interactions import Callback, InteractionHandle
from .server import LocalDiscord, RecordedRequest, Violation
from .world import Channel, Guild, Role, StoredMessage, User, World

__all__ = [
    "Callback",
    "Channel",
    "Guild",
    "InteractionHandle",
    "LocalDiscord",
    "RecordedRequest",
    "Role",
    "StoredMessage",
    "User",
    "Violation",
    "World",
]
