"""What holds the bot's event loop: with this folder on PYTHONPATH and STALLWATCH_OUT=PREFIX set, a
bot process (`python -m bot run` with STORYBOT_LAG_REPORT_SECONDS, as bench/load.py runs it) writes
to PREFIX.PID every stall of its event loop over 15 ms (its length, the loop thread's CPU meanwhile,
from the moment it was seen, and the loop thread's stacks sampled every 2 ms) and every garbage
collection that took over 3 ms of CPU (generation, CPU, wall, objects freed). Every Python process
started with it imports it; only one that runs the bot's lag report watches anything.

    STALLWATCH_OUT=/tmp/stalls PYTHONPATH=bench/stallwatch .venv/bin/python bench/load.py

A diagnosis tool: the sampling and the files cost the bot some CPU, so time nothing with it on.
"""
import collections
import gc
import os
import sys
import threading
import time

STALL, PROBE, GC_REPORTED = 0.015, 0.005, 0.003


def _start(out: str) -> None:
    beat: list[float] = []
    gc_started: dict[str, float] = {}

    def write(line: str) -> None:
        with open(out, "a") as f:
            f.write(line + "\n")

    def collected(phase: str, info: dict) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if phase == "start":
            gc_started.update(wall=time.perf_counter(), cpu=time.thread_time())
            return
        cpu = time.thread_time() - gc_started.get("cpu", time.thread_time())
        if cpu > GC_REPORTED:
            wall = time.perf_counter() - gc_started["wall"]
            write(f"GC gen{info['generation']} {wall * 1000:.1f} ms wall {cpu * 1000:.1f} ms cpu "
                  f"collected {info['collected']} at {time.strftime('%H:%M:%S')}")

    gc.callbacks.append(collected)

    def stack(frame) -> list[str]:  # type: ignore[no-untyped-def]
        out = []
        while frame is not None:
            code = frame.f_code
            out.append(f"{code.co_filename.split('site-packages/')[-1]}:{frame.f_lineno} {code.co_name}")
            frame = frame.f_back
        return out

    def watch() -> None:
        main = threading.main_thread().ident
        assert main is not None
        while (runtime := sys.modules.get("bot.runtime")) is None or not hasattr(runtime, "report_loop_lag"):
            time.sleep(0.05)
        report = runtime.report_loop_lag
        import asyncio

        async def with_heartbeat(period: float) -> None:
            async def heartbeat() -> None:
                while True:
                    beat[:] = [time.perf_counter()]
                    await asyncio.sleep(PROBE)

            task = asyncio.ensure_future(heartbeat())
            try:
                await report(period)
            finally:
                task.cancel()

        runtime.report_loop_lag = with_heartbeat
        clock = time.pthread_getcpuclockid(main)
        since, samples, cpu = None, [], 0.0
        while True:
            time.sleep(0.002)
            if not beat:
                continue
            last = beat[0]
            if time.perf_counter() - last > PROBE + 0.007:
                if since is None:
                    since, samples, cpu = last, [], time.clock_gettime(clock)
                frame = sys._current_frames().get(main)
                samples.append(" <- ".join(stack(frame)[:14]) if frame else "")
            elif since is not None:
                length, used = last - since, time.clock_gettime(clock) - cpu
                if length > STALL:
                    write(f"STALL {length * 1000:.1f} ms loopcpu>={used * 1000:.1f} ms at "
                          f"{time.strftime('%H:%M:%S')}, {len(samples)} samples")
                    for where, n in collections.Counter(samples).most_common(4):
                        write(f"  {n}x {where}")
                since = None

    threading.Thread(target=watch, daemon=True, name="stallwatch").start()


if os.environ.get("STALLWATCH_OUT"):
    _start(f"{os.environ['STALLWATCH_OUT']}.{os.getpid()}")
