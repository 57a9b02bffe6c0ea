"""A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl in a temporary folder, on
127.0.0.1 and a free port, as an unprivileged user (initdb refuses root), stopped at the end.

`find_binaries()` says where initdb/pg_ctl are (PATH, else /usr/lib/postgresql/<n>/bin) or None.
"""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

UNPRIVILEGED = "nobody"


def find_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    roots = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True) \
        if Path("/usr/lib/postgresql").is_dir() else []
    for folder in roots:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(command: list[str]) -> list[str]:
    """Run `command` as UNPRIVILEGED when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", UNPRIVILEGED, "--", *command]
    return ["su", UNPRIVILEGED, "-s", "/bin/sh", "-c", " ".join(command)]


@contextlib.contextmanager
def cluster(bin_dir: Path) -> Iterator[str]:
    """Start a cluster; yields the URL of its `postgres` database (superuser `storybot`, trust)."""
    folder = Path(tempfile.mkdtemp(prefix="storybot-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        import pwd

        user = pwd.getpwnam(UNPRIVILEGED)
        for path in (folder, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "cwd": "/"}
    try:
        subprocess.run(
            _as_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "storybot", "-A", "trust",
                      "-E", "UTF8", "--locale=C", "--no-sync"]),
            check=True, timeout=120, **quiet,
        )
        options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets}"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(
            _as_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                      "-w", "-t", "60", "start"]),
            check=True, timeout=90, **quiet,
        )
        try:
            yield f"postgresql://storybot@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                _as_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                timeout=60, **quiet,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server `server_url` points at."""
    return server_url.rsplit("/", 1)[0] + "/" + name


@functools.cache
def is_15_or_later(server_url: str) -> bool:
    """Whether the server is PostgreSQL 15 or later (CREATE DATABASE ... STRATEGY)."""
    import asyncio

    import asyncpg

    async def version() -> int:
        connection = await asyncpg.connect(server_url)
        try:
            return int(await connection.fetchval("SHOW server_version_num"))
        finally:
            await connection.close()

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, version()).result() >= 150000
