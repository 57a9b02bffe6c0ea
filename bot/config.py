"""Settings from the environment and `.env` (CONTRACT §2) in one frozen object.

A bad value raises `ConfigError` whose one-line message names the variable; nothing here connects or
creates files.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.limits import DEFAULT_MAX_UPLOAD_MB

log = logging.getLogger(__name__)

DEFAULT_DATABASE_PATH = "data/storybot.db"
DEFAULT_STORIES_DIR = "seeds"
DEFAULT_DATABASE_POOL_SIZE = 5
MAX_DATABASE_POOL_SIZE = 100
DEFAULT_METRICS_HOST = "127.0.0.1"
# Discord caps a bot at 2,500 servers per shard; no bot needs more shards than this.
MAX_SHARD_COUNT = 100_000
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


class ConfigError(ValueError):
    """A configuration value that cannot be used; `str()` is one line naming the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment; see CONTRACT §2 for meanings and defaults."""

    token: str | None = field(default=None, repr=False)  # repr=False: never in logs or tracebacks
    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    stories_dir: Path = Path(DEFAULT_STORIES_DIR)
    dev_guild_id: int | None = None
    owner_ids: frozenset[int] = frozenset()
    log_level: int = logging.INFO
    log_format: str = "text"  # one of LOG_FORMATS
    api_base: str | None = None
    gateway_url: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    shard_count: int | None = None  # None: Discord's recommendation
    shard_ids: tuple[int, ...] | None = None  # None: every shard; otherwise needs shard_count
    metrics_port: int | None = None
    metrics_host: str = DEFAULT_METRICS_HOST
    # postgresql:// URL (repr=False: it may hold a password); when set, database_path is ignored.
    database_url: str | None = field(default=None, repr=False)
    database_pool_size: int = DEFAULT_DATABASE_POOL_SIZE  # PostgreSQL connections per process at most

    @property
    def database(self) -> Path | str:
        """What Store.open takes: the PostgreSQL URL when DATABASE_URL is set, else the SQLite file."""
        return self.database_url or self.database_path

    @property
    def database_variable(self) -> str:
        """The setting that names the database, for messages about it."""
        return "DATABASE_URL" if self.database_url else "DATABASE_PATH"

    @property
    def database_name(self) -> str:
        """The database as messages show it (a URL without its password)."""
        if self.database_url is None:
            return str(self.database_path)
        from bot.store.postgres import redact

        return redact(self.database_url)


def load_settings(
    environ: Mapping[str, str] | None = None, *, env_file: str | Path | None = ".env"
) -> Settings:
    """Read settings; the process environment wins over `env_file`. Empty values count as unset."""
    values: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values  # here: `parse`, which reads no settings, starts faster

        try:
            values.update(dotenv_values(env_file))
        except UnicodeDecodeError as exc:
            raise ConfigError(str(env_file), f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})") from None
        except OSError as exc:
            raise ConfigError(str(env_file), f"cannot read it ({exc.strerror or exc})") from None
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    shard_count = _shard_count(get("SHARD_COUNT"))
    return Settings(
        token=get("DISCORD_TOKEN"),
        database_path=_database_path(get("DATABASE_PATH") or DEFAULT_DATABASE_PATH),
        stories_dir=_stories_dir(get("STORIES_DIR") or DEFAULT_STORIES_DIR),
        dev_guild_id=_snowflake("DEV_GUILD_ID", get("DEV_GUILD_ID")),
        owner_ids=_owner_ids(get("OWNER_IDS")),
        log_level=_log_level(get("LOG_LEVEL")),
        log_format=_log_format(get("LOG_FORMAT")),
        api_base=_url("DISCORD_API_BASE", get("DISCORD_API_BASE"), ("http", "https")),
        gateway_url=_url("DISCORD_GATEWAY_URL", get("DISCORD_GATEWAY_URL"), ("ws", "wss")),
        max_upload_bytes=_megabytes("MAX_UPLOAD_MB", get("MAX_UPLOAD_MB"), DEFAULT_MAX_UPLOAD_MB),
        shard_count=shard_count,
        shard_ids=_shard_ids(get("SHARD_IDS"), shard_count),
        metrics_port=_port("METRICS_PORT", get("METRICS_PORT")),
        metrics_host=get("METRICS_HOST") or DEFAULT_METRICS_HOST,
        database_url=_database_url(get("DATABASE_URL")),
        database_pool_size=_pool_size(get("DATABASE_POOL_SIZE")),
    )


def _is_number(raw: str) -> bool:
    """ASCII digits only: str.isdigit() also takes "²", which int() refuses, and "١٢", which it reads."""
    return raw.isascii() and raw.isdigit()


def _shard_count(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not _is_number(raw) or not 1 <= int(raw) <= MAX_SHARD_COUNT:
        raise ConfigError("SHARD_COUNT", f"expected a whole number of shards from 1 to {MAX_SHARD_COUNT}, got {raw!r}")
    return int(raw)


def _shard_ids(raw: str | None, count: int | None) -> tuple[int, ...] | None:
    if raw is None:
        return None
    if count is None:
        raise ConfigError("SHARD_IDS", "needs SHARD_COUNT, the total number of shards across all processes")
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts or not all(_is_number(part) for part in parts):
        raise ConfigError("SHARD_IDS", f"expected comma-separated shard numbers such as 0,1, got {raw!r}")
    ids = [int(part) for part in parts]
    if too_big := [i for i in ids if i >= count]:
        raise ConfigError("SHARD_IDS", f"shard {too_big[0]} does not exist: SHARD_COUNT is {count}, so ids run from 0 to {count - 1}")
    if len(set(ids)) != len(ids):
        raise ConfigError("SHARD_IDS", f"lists a shard twice: {raw!r}")
    return tuple(sorted(ids))


def _port(variable: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not _is_number(raw) or not 1 <= int(raw) <= 65535:
        raise ConfigError(variable, f"expected a TCP port from 1 to 65535, got {raw!r}")
    return int(raw)


def _database_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    from yarl import URL

    try:
        url = URL(raw)
    except ValueError:
        url = None
    if url is None or url.scheme not in ("postgresql", "postgres") or not url.host:
        raise ConfigError("DATABASE_URL", "expected postgresql://user:password@host:port/database")
    return raw


def _pool_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_DATABASE_POOL_SIZE
    if not _is_number(raw) or not 2 <= int(raw) <= MAX_DATABASE_POOL_SIZE:
        raise ConfigError("DATABASE_POOL_SIZE", f"expected a whole number from 2 to {MAX_DATABASE_POOL_SIZE}, got {raw!r}")
    return int(raw)


def _megabytes(variable: str, raw: str | None, default: int) -> int:
    if raw is None:
        return default * 1024 * 1024
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = 0.0
    if not 0 < megabytes <= 1024 or megabytes * 1024 * 1024 < 1:  # less than a byte: nothing fits
        raise ConfigError(variable, f"expected a size in MB between 0 and 1024, got {raw!r}")
    return int(megabytes * 1024 * 1024)


def _snowflake(variable: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not _is_number(raw) or not 0 < int(raw) < 2**64:
        raise ConfigError(variable, f"expected a numeric Discord id, got {raw!r}")
    return int(raw)


def _owner_ids(raw: str | None) -> frozenset[int]:
    if raw is None:
        return frozenset()
    parts = [part.strip() for part in raw.split(",")]
    ids = {_snowflake("OWNER_IDS", part) for part in parts if part}
    return frozenset(i for i in ids if i is not None)


def _log_level(raw: str | None) -> int:
    if raw is None:
        return logging.INFO
    if _is_number(raw):
        return int(raw)
    if raw.upper() not in _LEVELS:
        raise ConfigError("LOG_LEVEL", f"expected one of {', '.join(_LEVELS)}, got {raw!r}")
    return logging.getLevelName(raw.upper())


def _log_format(raw: str | None) -> str:
    if raw is None:
        return LOG_FORMATS[0]
    if raw.lower() not in LOG_FORMATS:
        raise ConfigError("LOG_FORMAT", f"expected one of {', '.join(LOG_FORMATS)}, got {raw!r}")
    return raw.lower()


def _url(variable: str, raw: str | None, schemes: tuple[str, ...]) -> str | None:
    if raw is None:
        return None
    from yarl import URL

    try:
        url = URL(raw)
    except ValueError:
        url = None
    if url is None or url.scheme not in schemes or not url.host:
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ConfigError(variable, f"expected a {wanted} URL, got {raw!r}")
    return raw.rstrip("/")


def _database_path(raw: str) -> Path:
    try:
        return _usable_database_path(raw)
    except OSError as exc:  # a name too long, a loop of links: what the checks themselves hit
        raise ConfigError("DATABASE_PATH", f"cannot use {_clipped(raw)}: {exc.strerror or exc}") from None


def _clipped(raw: str) -> str:
    """A path as a one-line message shows it: at most 80 characters."""
    return raw if len(raw) <= 80 else f"{raw[:79]}…"


def _usable_database_path(raw: str) -> Path:
    path = Path(raw).expanduser()
    if path.is_dir():
        raise ConfigError("DATABASE_PATH", f"{raw} is a folder, expected a file path")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise ConfigError("DATABASE_PATH", f"{raw} is not readable and writable")
        return path
    # The store creates missing folders, so only the nearest existing ancestor must be writable.
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError("DATABASE_PATH", f"cannot create {raw}: {ancestor} is not a writable folder")
    return path


def _stories_dir(raw: str) -> Path:
    path = Path(raw).expanduser()
    try:
        is_dir = path.is_dir()
    except OSError as exc:  # a name too long
        raise ConfigError("STORIES_DIR", f"cannot use {_clipped(raw)}: {exc.strerror or exc}") from None
    if not is_dir:
        raise ConfigError("STORIES_DIR", f"{raw} is not a folder")
    return path
