"""Load: simulated users issuing /quote, /search, page turns and trivia answers while an admin
uploads a 10 MB story; the bot runs in its own process against the local Discord run here.

    .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--think 1.0] [--upload-mb 9.9]

Latency is from INTERACTION_CREATE leaving the gateway to the bot's first callback over REST.
Event-loop lag is measured inside the bot (STORYBOT_LAG_REPORT_SECONDS); memory is the bot's RSS.

Exit status: 1 when something broke (an interaction failed or missed Discord's 3 s deadline, the
local Discord saw a limit broken, the bot died, nothing was measured); 2 when all went through but a
timing target was missed (p99 < 50 ms, event-loop lag < 20 ms); 0 when every target was met.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.discord_local import LocalDiscord, StoredMessage  # noqa: E402

DEADLINE = 3.0
THREAD_WAIT = 120.0  # how long a /read may wait for its thread before it counts as failed
TARGET_P99_MS, TARGET_LAG_MS = 50, 20
BROKEN, SLOW = 1, 2  # exit statuses, see above
STORIES = ["Naruto: The Return of Darkness", "After the Invasion", "Itachi's Deal", "The Blood Clone"]
SEARCH_WORDS = ["Naruto", "Sakura", "Kakashi", "village", "said", "eyes", "smiled", "Hokage", "ramen", "fox"]
_LAG = re.compile(r"event loop lag: max ([\d.]+) ms(?:.*loop thread ([\d.]+) ms, whole process ([\d.]+) ms)?")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))]


def upload_story(megabytes: float) -> bytes:
    """A long multi-chapter story made of the seeds' prose (just under the upload limit)."""
    prose = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    parts, size, chapter = ["The Load Test Saga\n\n"], 0, 1
    while size < megabytes * 1_000_000:
        part = f"\n\nChapter {chapter}\n\n{prose}\n"
        parts.append(part)
        size += len(part.encode())
        chapter += 1
    return "".join(parts).encode()[: int(megabytes * 1_000_000)]


class Load:
    """The simulated users and what they measured."""

    def __init__(self, server: LocalDiscord, users: int, think: float, seed: int = 7) -> None:
        self.server = server
        world = server.world
        self.users = [world.add_user(f"reader{i}", guild=world.guild) for i in range(users)]
        self.rng = random.Random(seed)
        self.think = think
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.finished: list[tuple[float, float]] = []  # (when it was answered, how long it took)
        self.late: list[tuple[str, float]] = []
        self.failures: Counter[str] = Counter()
        self.late_threads = 0  # /read replies that waited over 15 s for Discord to make the thread
        self.heads: dict[int, StoredMessage] = {}  # user id -> their reading thread's current page
        self.measuring = False
        self.trivia_channels = [world.second_channel, world.nsfw_channel]

    async def timed(self, kind: str, start) -> StoredMessage | None:
        began = time.perf_counter()
        try:
            handle = await start
            await handle.response(timeout=15)
        except AssertionError as exc:
            self.failures[f"{kind}: {str(exc).splitlines()[0][:80]}"] += 1
            return None
        took = time.perf_counter() - began
        if self.measuring:
            self.latencies[kind].append(took)
            self.finished.append((time.perf_counter(), took))
            if took > DEADLINE:
                self.late.append((kind, took))
        return handle

    async def open_reading(self, user) -> None:
        world = self.server.world
        story = self.rng.choice(STORIES)
        handle = await self.timed("read", self.server.run_command(user, world.general, "read", {"story": story}))
        if handle is None:
            return
        # The reply names the reading thread, which Discord lets a channel create 10 per 10 s: with
        # many readers the thread (not the interaction's answer) can take tens of seconds.
        asked = time.perf_counter()
        try:
            reply = await handle.reply(timeout=THREAD_WAIT)
        except AssertionError:
            self.failures["read: no reply naming the thread"] += 1
            return
        if time.perf_counter() - asked > 15:
            self.late_threads += 1
        mention = re.search(r"<#(\d+)>", reply.content)
        if mention is None:
            self.failures["read: no thread in the reply"] += 1
            return
        thread = world.channels[int(mention[1])]
        try:
            self.heads[user.id] = await self.server.wait_for_message(
                lambda m: "-# Page" in m.content, channel=thread, timeout=15
            )
        except AssertionError:
            self.failures["read: no page posted"] += 1

    async def turn_page(self, user) -> None:
        head = self.heads.get(user.id)
        ids = [c for c in head.custom_ids() if c.startswith("read:") and c.split(":")[2] == "n"] if head else []
        if not ids:  # the chapter is finished (or no reading yet): open another
            await self.open_reading(user)
            return
        thread = self.server.world.channels[head.channel_id]
        if await self.timed("page turn", self.server.click(head, ids[0], user)) is None:
            return
        try:
            self.heads[user.id] = await self.server.wait_for_message(
                lambda m: "-# Page" in m.content and m.id > head.id, channel=thread, timeout=15
            )
        except AssertionError:
            self.failures["page turn: no page posted"] += 1
            self.heads.pop(user.id, None)

    async def answer_trivia(self, user) -> None:
        channel = self.rng.choice(self.trivia_channels)
        open_questions = [
            m for m in self.server.messages_in(channel)
            if m.embeds and m.embeds[0].get("title", "").startswith("Question")
            and any(c.startswith("trivia:") for c in m.custom_ids())
        ]
        if not open_questions:
            await self.start_trivia(channel, user)
            return
        message = open_questions[-1]
        options = [c for c in message.custom_ids() if c.startswith("trivia:")]
        button = message.find_component(options[0])
        if button is None or button.get("disabled"):
            return
        await self.timed("trivia answer", self.server.click(message, self.rng.choice(options), user))

    async def start_trivia(self, channel, user) -> None:
        handle = await self.timed(
            "trivia start", self.server.run_command(user, channel, "trivia start", {"questions": 50})
        )
        if handle is not None:
            try:
                await handle.reply(timeout=15)
            except AssertionError:
                self.failures["trivia start: no reply"] += 1

    async def user(self, user, until: float) -> None:
        world = self.server.world
        await asyncio.sleep(self.rng.uniform(0, self.think))
        while time.perf_counter() < until:
            roll = self.rng.random()
            if roll < 0.3:
                await self.timed("quote", self.server.run_command(user, world.general, "quote", {}))
            elif roll < 0.5:
                text = self.rng.choice(SEARCH_WORDS)
                await self.timed("search", self.server.run_command(user, world.general, "search", {"text": text}))
            elif roll < 0.8:
                await self.turn_page(user)
            else:
                await self.answer_trivia(user)
            await asyncio.sleep(self.rng.expovariate(1 / self.think))


async def admin_upload(server: LocalDiscord, data: bytes, delay: float, pid: int) -> dict[str, float]:
    await asyncio.sleep(delay)
    world = server.world
    rss_before = rss_mb(pid)
    started = time.perf_counter()
    attachment = server.register_attachment(data, "saga.txt")
    handle = await server.run_command(world.admin, world.general, "story add", {"file": attachment})
    preview = await handle.reply(timeout=120)
    previewed = time.perf_counter()
    if "story:confirm" not in preview.custom_ids():
        return {"error": preview.text()[:200]}
    done = await server.click(preview, "story:confirm", world.admin)
    await done.response(timeout=30)
    await server.wait_until(lambda: "Added" in preview.text(), 300, "the upload stored")
    stored = time.perf_counter()
    return {"preview_s": previewed - started, "store_s": stored - previewed, "started": started, "stored": stored,
            "rss_before_mb": rss_before, "rss_after_mb": rss_mb(pid)}


async def read_lag(
    stream: asyncio.StreamReader, lags: list[tuple[float, float]], slow: list[str], tail: list[str],
    lag_cpu: dict[float, tuple[float, float]] | None = None,
) -> None:
    while line := await stream.readline():
        text = line.decode(errors="replace").rstrip()
        if match := _LAG.search(text):
            lags.append((time.perf_counter(), float(match[1])))
            if lag_cpu is not None and match[2] is not None:
                lag_cpu[lags[-1][0]] = (float(match[2]), float(match[3]))
        elif "Executing <" in text and " took " in text:
            slow.append(text)
        else:
            tail.append(text)
            del tail[:-40]


@dataclass
class Outcome:
    """What a run found, judged by judge()."""

    interactions: int
    late: int
    failures: int
    problems: int
    bot_exit: int | None
    p99_ms: float | None
    max_lag_ms: float | None  # None: the bot never reported its lag


def judge(outcome: Outcome) -> tuple[int, list[str]]:
    """The exit status and every target missed, in words."""
    broken, slow = [], []
    if outcome.interactions == 0:
        broken.append("no interaction was measured")
    if outcome.late:
        broken.append(f"{outcome.late} interactions missed the {DEADLINE:.0f} s deadline")
    if outcome.failures:
        broken.append(f"{outcome.failures} interactions failed")
    if outcome.problems:
        broken.append(f"the local Discord recorded {outcome.problems} problems")
    if outcome.bot_exit not in (0, -15, None):
        broken.append(f"the bot exited {outcome.bot_exit}")
    if outcome.max_lag_ms is None:
        broken.append("the bot never reported its event-loop lag")
    elif outcome.max_lag_ms >= TARGET_LAG_MS:
        slow.append(f"event-loop lag {outcome.max_lag_ms:.1f} ms (target < {TARGET_LAG_MS} ms)")
    if outcome.p99_ms is not None and outcome.p99_ms >= TARGET_P99_MS:
        slow.append(f"p99 {outcome.p99_ms:.1f} ms (target < {TARGET_P99_MS} ms)")
    return (BROKEN if broken else SLOW if slow else 0), broken + slow


async def main(args: argparse.Namespace) -> int:
    data = upload_story(args.upload_mb) if args.upload_mb > 0 else b""
    with tempfile.TemporaryDirectory(prefix="storybot-load-") as scratch:
        async with LocalDiscord() as server:
            env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
            env.update(
                DISCORD_TOKEN=server.token, DISCORD_API_BASE=server.api_base, DISCORD_GATEWAY_URL=server.ws_url,
                DATABASE_PATH=str(Path(scratch) / "storybot.db"), STORIES_DIR=str(ROOT / "seeds"),
                LOG_LEVEL="INFO", STORYBOT_LAG_REPORT_SECONDS="1",
            )
            if args.slow_callbacks:
                # asyncio's debug mode logs every callback that holds the loop over 100 ms (on
                # asyncio's own loop: uvloop's release builds do not time callbacks).
                env["PYTHONASYNCIODEBUG"] = "1"
                env["STORYBOT_EVENT_LOOP"] = "asyncio"
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=scratch, env=env, stderr=asyncio.subprocess.PIPE
            )
            lags: list[tuple[float, float]] = []
            lag_cpu: dict[float, tuple[float, float]] = {}  # report time -> CPU ms during its worst lag
            tail: list[str] = []
            slow: list[str] = []
            reader = asyncio.create_task(read_lag(bot.stderr, lags, slow, tail, lag_cpu))
            load = Load(server, args.users, args.think)
            try:
                await server.wait_ready(timeout=180)
                # Warm-up: everyone opens a reading thread, trivia games start, caches fill.
                await asyncio.gather(*(load.open_reading(u) for u in load.users))
                for channel in load.trivia_channels:
                    await load.start_trivia(channel, server.world.admin)
                warm_until = time.perf_counter() + min(10, args.seconds / 3)
                await asyncio.gather(*(load.user(u, warm_until) for u in load.users))
                server.take_violations()
                rss_warm = rss_mb(bot.pid)
                load.measuring = True
                measured_from = time.perf_counter()
                until = measured_from + args.seconds
                rss_samples = []

                async def sample_rss() -> None:
                    while time.perf_counter() < until:
                        rss_samples.append(rss_mb(bot.pid))
                        await asyncio.sleep(1)

                upload = asyncio.create_task(admin_upload(server, data, args.seconds / 4, bot.pid) if data else asyncio.sleep(0))
                await asyncio.gather(sample_rss(), *(load.user(u, until) for u in load.users))
                load.measuring = False
                upload_result = await asyncio.wait_for(upload, 300)
                rss_end = rss_mb(bot.pid)
                elapsed = time.perf_counter() - measured_from
                await asyncio.sleep(1.2)  # the last lag report
                problems = server.problems
            finally:
                if bot.returncode is None:
                    bot.terminate()
                await bot.wait()
                reader.cancel()

    every = sorted(x for values in load.latencies.values() for x in values)
    measured_lags = [lag for at, lag in lags if at >= measured_from]
    print(f"load: {args.users} users for {args.seconds:.0f} s (think time {args.think} s), bot in its own "
          f"process, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"  interactions {len(every)} ({len(every) / elapsed:.0f}/s); missed the {DEADLINE:.0f} s deadline: "
          f"{len(load.late)}; failures: {sum(load.failures.values())}")
    if every:
        print(f"  response p50 {percentile(every, 0.5) * 1000:.1f} ms, p99 {percentile(every, 0.99) * 1000:.1f} ms, "
              f"max {every[-1] * 1000:.1f} ms (target p99 < {TARGET_P99_MS} ms)")
    for kind, values in sorted(load.latencies.items()):
        values.sort()
        print(f"    {kind:<14} n={len(values):<6} p50 {percentile(values, 0.5) * 1000:7.1f} ms  "
              f"p99 {percentile(values, 0.99) * 1000:7.1f} ms  max {values[-1] * 1000:7.1f} ms")
    if measured_lags:
        print(f"  event-loop lag in the bot: max {max(measured_lags):.1f} ms, p50 of 1 s maxima "
              f"{percentile(sorted(measured_lags), 0.5):.1f} ms (target always under {TARGET_LAG_MS} ms)")
        at, worst = max(((at, lag) for at, lag in lags if at >= measured_from), key=lambda x: x[1])
        if at in lag_cpu:
            loop_cpu, process_cpu = lag_cpu[at]
            why = ("a callback held the loop" if loop_cpu >= worst / 2
                   else "the loop's thread waited for the GIL while the bot's other threads ran"
                   if process_cpu - loop_cpu >= worst / 2 else "the bot waited for a CPU core")
            print(f"    the worst: loop thread on CPU {loop_cpu:.1f} ms of it, whole bot process "
                  f"{process_cpu:.1f} ms: {why}")
    else:
        print("  event-loop lag: no report from the bot (STORYBOT_LAG_REPORT_SECONDS unsupported?)")
    if data and "started" in upload_result:
        started, stored = upload_result.pop("started"), upload_result.pop("stored")
        during = sorted(took for at, took in load.finished if started <= at <= stored + 0.1)
        after = sorted(took for at, took in load.finished if at > stored + 0.1)
        print(f"  upload of {len(data) / 1e6:.1f} MB during the load: preview {upload_result['preview_s']:.1f} s, "
              f"store {upload_result['store_s']:.1f} s; bot RSS {upload_result['rss_before_mb']:.0f} MB before it, "
              f"{upload_result['rss_after_mb']:.0f} MB once stored")
        for label, values in (("while uploading", during), ("after it", after)):
            if values:
                print(f"    {label:<15} n={len(values):<6} p99 {percentile(values, 0.99) * 1000:7.1f} ms  "
                      f"max {values[-1] * 1000:7.1f} ms")
    elif data:
        print(f"  upload of {len(data) / 1e6:.1f} MB during the load: {upload_result}")
    print(f"  bot RSS: {rss_warm:.0f} MB after warm-up, {rss_end:.0f} MB at the end, "
          f"max {max(rss_samples, default=rss_end):.0f} MB")
    for line in slow[-10:]:
        print(f"  slow callback: {line[-300:]}")
    if load.late_threads:
        print(f"  /read replies whose thread came after 15 s (Discord's 10 per 10 s thread creation limit): "
              f"{load.late_threads}")
    for failure, count in load.failures.most_common(5):
        print(f"  failure x{count}: {failure}")
    if problems:
        print(f"  local Discord problems ({len(problems)}): {problems[:5]}")
    if bot.returncode not in (0, -15):
        print(f"  bot exited {bot.returncode}:\n" + "\n".join(tail[-20:]))
    status, missed = judge(Outcome(
        len(every), len(load.late), sum(load.failures.values()), len(problems), bot.returncode,
        percentile(every, 0.99) * 1000 if every else None, max(measured_lags) if measured_lags else None,
    ))
    print("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a user's actions")
    parser.add_argument("--upload-mb", type=float, default=9.9, help="0: no upload")
    parser.add_argument("--slow-callbacks", action="store_true", help="log bot callbacks holding the loop > 100 ms")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
