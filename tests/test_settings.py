"""Settings: read once from a mapping, defaults as in the spec, every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_app, build_core
from bot.settings import ConfigError, Settings, load_settings
from tests.fakes.slack import FakeSlack


def test_defaults_match_the_spec() -> None:
    s = Settings.from_mapping({})
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.nexar_token_url == "https://identity.nexar.com/connect/token"
    assert s.nexar_api_url == "https://api.nexar.com/graphql"
    assert (s.port, s.db_path, s.redis_url, s.cache_ttl) == (3000, "partbot.sqlite3", None, 21600)
    assert (s.user_daily_parts, s.team_monthly_parts, s.admins, s.offline) == (25, 1000, frozenset(), False)
    assert s.uses_sample_catalog


def test_values_are_read() -> None:
    s = Settings.from_mapping(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "NEXAR_CLIENT_ID": "id",
            "NEXAR_CLIENT_SECRET": "secret",
            "PORT": "8080",
            "PARTBOT_DB": "/tmp/x.sqlite3",
            "REDIS_URL": "redis://localhost:6379/1",
            "PARTBOT_CACHE_TTL": "60",
            "PARTBOT_USER_DAILY_PARTS": "5",
            "PARTBOT_TEAM_MONTHLY_PARTS": "50",
            "PARTBOT_ADMINS": "U1ABC, U2DEF",
        }
    )
    assert s.slack_api_url == "http://127.0.0.1:9/api/"
    assert (s.port, s.cache_ttl, s.user_daily_parts, s.team_monthly_parts) == (8080, 60, 5, 50)
    assert s.admins == frozenset({"U1ABC", "U2DEF"})
    assert not s.uses_sample_catalog
    assert Settings.from_mapping(
        {"NEXAR_CLIENT_ID": "id", "NEXAR_CLIENT_SECRET": "s", "PARTBOT_OFFLINE": "1"}
    ).uses_sample_catalog


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_mapping(
            {
                "PORT": "http",
                "PARTBOT_CACHE_TTL": "-1",
                "NEXAR_API_URL": "ftp://x",
                "NEXAR_CLIENT_SECRET": "s",
                "PARTBOT_ADMINS": "bob",
                "REDIS_URL": "http://nope",
                "PARTBOT_OFFLINE": "maybe",
            }
        )
    problems = err.value.problems
    assert len(problems) == 7
    for name in (
        "PORT",
        "PARTBOT_CACHE_TTL",
        "NEXAR_API_URL",
        "NEXAR_CLIENT_ID",
        "PARTBOT_ADMINS",
        "REDIS_URL",
        "PARTBOT_OFFLINE",
    ):
        assert any(name in p for p in problems), name


def test_environment_wins_over_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PARTBOT_USER_DAILY_PARTS=7\nPARTBOT_TEAM_MONTHLY_PARTS=70\n")
    monkeypatch.setenv("PARTBOT_TEAM_MONTHLY_PARTS", "99")
    s = load_settings(env_file)
    assert (s.user_daily_parts, s.team_monthly_parts) == (7, 99)


def test_slack_problems_per_mode(tmp_path: Path) -> None:
    core = build_core(Settings.from_mapping({"PARTBOT_DB": str(tmp_path / "db.sqlite3")}))
    try:
        with pytest.raises(ConfigError) as err:
            build_app(core, "socket")
        assert any("SLACK_APP_TOKEN" in p for p in err.value.problems)
        assert any("SLACK_BOT_TOKEN" in p for p in err.value.problems)
        with pytest.raises(ConfigError) as err:
            build_app(core, "http")
        assert any("SLACK_SIGNING_SECRET" in p for p in err.value.problems)
    finally:
        core.close()


def on_fake_slack(tmp_path: Path, slack: FakeSlack, **values: str) -> Settings:
    return Settings.from_mapping({"SLACK_API_URL": slack.api_url, "PARTBOT_DB": str(tmp_path / "db.sqlite3"), **values})


def test_socket_mode_app_builds_without_a_signing_secret(tmp_path: Path) -> None:
    with FakeSlack(bot_token="xoxb-sock") as slack:
        core = build_core(on_fake_slack(tmp_path, slack, SLACK_BOT_TOKEN="xoxb-sock", SLACK_APP_TOKEN="xapp-1"))
        try:
            app = build_app(core, "socket")
            assert app.client.base_url == slack.api_url
            assert slack.calls_to("auth.test"), "Bolt verifies the token at start-up"
        finally:
            core.close()


def test_a_rejected_bot_token_is_a_config_error(tmp_path: Path) -> None:
    with FakeSlack(bot_token="xoxb-right") as slack:
        core = build_core(on_fake_slack(tmp_path, slack, SLACK_BOT_TOKEN="xoxb-wrong", SLACK_SIGNING_SECRET="s"))
        try:
            with pytest.raises(ConfigError) as err:
                build_app(core, "http")
            assert "SLACK_BOT_TOKEN" in str(err.value) and "xoxb-wrong" not in str(err.value)
        finally:
            core.close()


def test_nexar_concurrency_setting(tmp_path: Path) -> None:
    assert Settings.from_mapping({}).nexar_concurrency == 5
    s = Settings.from_mapping({"PARTBOT_NEXAR_CONCURRENCY": "3", "PARTBOT_DB": str(tmp_path / "db.sqlite3")})
    core = build_core(s)
    try:
        assert core.service.concurrency == 3
    finally:
        core.close()
    for bad in ("0", "21", "many"):
        with pytest.raises(ConfigError, match="PARTBOT_NEXAR_CONCURRENCY"):
            Settings.from_mapping({"PARTBOT_NEXAR_CONCURRENCY": bad})
