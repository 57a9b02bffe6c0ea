"""Settings from the environment: defaults, parsing, and one-line errors naming the variable."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def settings(tmp_path: Path, **env: str) -> Settings:
    base = {"STORIES_DIR": str(ROOT / "seeds"), "DATABASE_PATH": str(tmp_path / "db" / "s.db")}
    return load_settings(base | env, env_file=None)


def test_defaults_when_unset(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    loaded = load_settings({}, env_file=None)
    assert loaded == Settings()
    assert loaded.database_path == Path("data/storybot.db")
    assert loaded.stories_dir == Path("seeds")
    assert loaded.log_level == logging.INFO and loaded.log_format == "text"
    assert loaded.token is None and loaded.dev_guild_id is None and loaded.owner_ids == frozenset()


def test_values_are_parsed(tmp_path):
    loaded = settings(
        tmp_path,
        DISCORD_TOKEN=" abc.def ",
        DEV_GUILD_ID="123456789012345678",
        OWNER_IDS="1, 22 ,333,",
        LOG_LEVEL="debug",
        DISCORD_API_BASE="http://127.0.0.1:8080/api/v10/",
        DISCORD_GATEWAY_URL="ws://127.0.0.1:8080/gateway",
    )
    assert loaded.token == "abc.def"
    assert loaded.dev_guild_id == 123456789012345678
    assert loaded.owner_ids == frozenset({1, 22, 333})
    assert loaded.log_level == logging.DEBUG
    assert loaded.api_base == "http://127.0.0.1:8080/api/v10"
    assert loaded.gateway_url == "ws://127.0.0.1:8080/gateway"


@pytest.mark.parametrize(("value", "expected"), [("json", "json"), ("JSON", "json"), ("Text", "text")])
def test_log_format(tmp_path, value, expected):
    assert settings(tmp_path, LOG_FORMAT=value).log_format == expected


def test_empty_values_count_as_unset(tmp_path):
    loaded = settings(tmp_path, DISCORD_TOKEN="", DEV_GUILD_ID=" ", OWNER_IDS="", LOG_LEVEL="")
    assert loaded.token is None and loaded.dev_guild_id is None
    assert loaded.owner_ids == frozenset() and loaded.log_level == logging.INFO


def test_token_never_in_repr(tmp_path):
    assert "sekrit" not in repr(settings(tmp_path, DISCORD_TOKEN="sekrit"))


def test_settings_are_frozen(tmp_path):
    with pytest.raises(AttributeError):
        settings(tmp_path).token = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEV_GUILD_ID", "my-guild"),
        ("DEV_GUILD_ID", "-5"),
        ("OWNER_IDS", "123,bob"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
        ("DISCORD_API_BASE", "127.0.0.1:8080"),
        ("DISCORD_GATEWAY_URL", "http://127.0.0.1:8080/gateway"),
        ("STORIES_DIR", "/nonexistent/stories"),
        ("DATABASE_URL", "mysql://u@h/db"),
        ("DATABASE_URL", "storybot.db"),
        ("DATABASE_POOL_SIZE", "1"),
        ("DATABASE_POOL_SIZE", "lots"),
        # Digits to str.isdigit() that int() refuses ("²") or reads as another number ("١٢").
        ("MAX_UPLOAD_MB", "ten"),
        ("MAX_UPLOAD_MB", "0.0000001"),
        ("MAX_UPLOAD_MB", "nan"),
        ("DEV_GUILD_ID", "²"),
        ("DEV_GUILD_ID", "١٢٣"),
        ("OWNER_IDS", "123,²"),
        ("LOG_LEVEL", "²"),
        ("DATABASE_POOL_SIZE", "²"),
        ("SHARD_COUNT", "²"),
        ("METRICS_PORT", "²"),
    ],
)
def test_bad_value_names_the_variable(tmp_path, variable, value):
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, **{variable: value})
    message = str(caught.value)
    assert message.startswith(f"{variable}: ") and "\n" not in message
    assert caught.value.variable == variable


def test_database_url_wins_over_the_path_and_its_password_stays_out_of_sight(tmp_path):
    url = "postgresql://bot:sekrit@db.example:5432/storybot"
    loaded = settings(tmp_path, DATABASE_URL=url, DATABASE_POOL_SIZE="12")
    assert loaded.database == url and loaded.database_pool_size == 12
    assert loaded.database_variable == "DATABASE_URL"
    assert "sekrit" not in repr(loaded) and "sekrit" not in loaded.database_name
    plain = settings(tmp_path)
    assert plain.database == plain.database_path and plain.database_pool_size == 5


def test_unwritable_database_path(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"^DATABASE_PATH: "):
        settings(tmp_path, DATABASE_PATH=str(blocker / "sub" / "storybot.db"))


def test_database_path_that_is_a_folder(tmp_path):
    with pytest.raises(ConfigError, match=r"^DATABASE_PATH: .* is a folder"):
        settings(tmp_path, DATABASE_PATH=str(tmp_path))


def test_dotenv_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEV_GUILD_ID=42\nLOG_LEVEL=WARNING\n")
    base = {"STORIES_DIR": str(ROOT / "seeds"), "DATABASE_PATH": str(tmp_path / "s.db")}
    loaded = load_settings(base | {"LOG_LEVEL": "ERROR"}, env_file=env_file)
    assert loaded.dev_guild_id == 42
    assert loaded.log_level == logging.ERROR



def test_env_example_loads_and_names_every_variable(tmp_path):
    example = ROOT / ".env.example"
    read = set(re.findall(r'get\("([A-Z_]+)"\)', (ROOT / "bot" / "config.py").read_text()))
    assert {"DISCORD_TOKEN", "LOG_FORMAT"} <= read
    listed = set(re.findall(r"^#? ?([A-Z_]+)=", example.read_text(), re.MULTILINE))
    assert read <= listed
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in read)
    base = {"STORIES_DIR": str(ROOT / "seeds"), "DATABASE_PATH": str(tmp_path / "s.db")}
    assert load_settings(base, env_file=example) == load_settings(base, env_file=None)


def test_sharding_and_metrics_values(tmp_path):
    loaded = settings(tmp_path, SHARD_COUNT="4", SHARD_IDS=" 3, 1 ", METRICS_PORT="9102", METRICS_HOST="0.0.0.0")
    assert loaded.shard_count == 4 and loaded.shard_ids == (1, 3)
    assert loaded.metrics_port == 9102 and loaded.metrics_host == "0.0.0.0"
    unset = settings(tmp_path)
    assert unset.shard_count is None and unset.shard_ids is None
    assert unset.metrics_port is None and unset.metrics_host == "127.0.0.1"
    assert settings(tmp_path, SHARD_COUNT="2").shard_ids is None


@pytest.mark.parametrize(
    ("env", "variable", "says"),
    [
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT", "whole number"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT", "whole number"),
        ({"SHARD_COUNT": "-1"}, "SHARD_COUNT", "whole number"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS", "needs SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "SHARD_IDS", "SHARD_COUNT is 2"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,x"}, "SHARD_IDS", "comma-separated"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "-1"}, "SHARD_IDS", "comma-separated"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": ","}, "SHARD_IDS", "comma-separated"),
        ({"SHARD_COUNT": "3", "SHARD_IDS": "1,1"}, "SHARD_IDS", "twice"),
        ({"SHARD_COUNT": "3", "SHARD_IDS": "0,²"}, "SHARD_IDS", "comma-separated"),
        ({"METRICS_PORT": "http"}, "METRICS_PORT", "TCP port"),
        ({"METRICS_PORT": "70000"}, "METRICS_PORT", "TCP port"),
    ],
)
def test_bad_sharding_or_metrics_value_is_one_line_naming_it(tmp_path, env, variable, says):
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, **env)
    message = str(caught.value)
    assert message.startswith(f"{variable}: ") and says in message and "\n" not in message


@pytest.mark.parametrize("variable", ["DATABASE_PATH", "STORIES_DIR"])
def test_a_path_too_long_for_the_system_is_one_line_naming_the_variable(tmp_path, variable):
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, **{variable: str(tmp_path / ("a" * 300))})
    message = str(caught.value)
    assert message.startswith(f"{variable}: cannot use ") and "name too long" in message
    assert "\n" not in message and len(message) < 200
