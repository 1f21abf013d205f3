"""Configuration, read once from a mapping into a frozen object.

`Settings.from_mapping` takes any mapping (tests pass a dict); `load_settings` reads
the process environment over a `.env` file. Every problem is collected and reported
in one `ConfigError`, and secret values never appear in it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "partbot cannot start; fix its configuration (environment or .env):\n" + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    nexar_client_id: str | None = field(default=None, repr=False)
    nexar_client_secret: str | None = field(default=None, repr=False)
    nexar_token_url: str = "https://identity.nexar.com/connect/token"
    nexar_api_url: str = "https://api.nexar.com/graphql"
    port: int = 3000
    db_path: str = "partbot.sqlite3"
    redis_url: str | None = field(default=None, repr=False)
    cache_ttl: int = 21600
    user_daily_parts: int = 25
    team_monthly_parts: int = 1000
    admins: frozenset[str] = frozenset()
    allowed_bots: frozenset[str] = frozenset()
    """Other apps' bot IDs (B…) or app IDs (A…) whose mentions are answered, billed as themselves."""
    offline: bool = False
    slack_file_hosts: tuple[str, ...] = ("files.slack.com",)
    bom_download_seconds: int = 30
    nexar_concurrency: int = 5
    stale_max_age: int = 2592000
    bom_max_parts: int = 200
    user_bom_monthly_parts: int = 300
    alternates_reserve: int = 10
    watch_every: int = 86400
    """Seconds between paid checks of a watched part nobody asked about (stretched to fit the budget)."""
    watch_monthly_parts: int = 300
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_state_secret: str | None = field(default=None, repr=False)
    token_key: str | None = field(default=None, repr=False)
    """A Fernet key: installations (their tokens) are encrypted at rest with it."""
    plan_monthly_parts: int | None = None
    """The Nexar plan's matched parts per month, shared by every workspace (None: no cap)."""
    support_url: str | None = None

    @property
    def uses_sample_catalog(self) -> bool:
        return self.offline or not (self.nexar_client_id and self.nexar_client_secret)

    @property
    def oauth(self) -> bool:
        """Many workspaces: installed through Slack's OAuth flow, each with its own bot token."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a log line or a Slack message."""
        values = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.nexar_client_secret,
            self.slack_client_secret,
            self.slack_state_secret,
            self.token_key,
        )
        return tuple(v for v in values if v)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str], *, mode: str | None = None) -> Settings:
        """Read `env`. With `mode` ("http" or "socket") the Slack credentials that mode needs
        are required too, and reported together with every other problem."""
        problems: list[str] = []

        def text(name: str) -> str | None:
            value = env.get(name, "")
            value = value.strip() if value else ""
            return value or None

        def integer(name: str, default: int, low: int, high: int) -> int:
            raw = text(name)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                problems.append(f"{name} must be a whole number (got {raw[:20]!r})")
                return default
            if not low <= value <= high:
                problems.append(f"{name} must be between {low} and {high} (got {value})")
                return default
            return value

        def url(name: str, default: str) -> str:
            raw = text(name) or default
            parsed = urlparse(raw)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                problems.append(f"{name} must be an http(s) URL (got {raw[:60]!r})")
            return raw

        def token(name: str, prefix: str) -> str | None:
            raw = text(name)
            if raw is not None and not raw.startswith(prefix):
                problems.append(f"{name} must start with {prefix!r} (value not shown)")
            return raw

        bot_token = token("SLACK_BOT_TOKEN", "xoxb-")
        app_token = token("SLACK_APP_TOKEN", "xapp-")
        client_id, client_secret = text("NEXAR_CLIENT_ID"), text("NEXAR_CLIENT_SECRET")
        if bool(client_id) != bool(client_secret):
            missing = "NEXAR_CLIENT_SECRET" if client_id else "NEXAR_CLIENT_ID"
            problems.append(f"{missing} is missing: set both Nexar credentials, or neither for the sample catalog")
        api_url = url("SLACK_API_URL", "https://slack.com/api/")
        if not api_url.endswith("/"):
            api_url += "/"

        def flag(name: str, default: bool) -> bool:
            raw = (text(name) or ("1" if default else "0")).lower()
            if raw not in ("0", "1", "true", "false", "yes", "no"):
                problems.append(f"{name} must be 1 or 0 (got {raw[:10]!r})")
                return default
            return raw in ("1", "true", "yes")

        admins = frozenset(a for a in re.split(r"[\s,]+", text("PARTBOT_ADMINS") or "") if a)
        bad_admins = sorted(a for a in admins if not re.fullmatch(r"[UW][A-Z0-9]{2,}", a))
        if bad_admins:
            problems.append(f"PARTBOT_ADMINS must be Slack user IDs like U012ABC (not {', '.join(bad_admins)[:60]})")
        allowed_bots = frozenset(b for b in re.split(r"[\s,]+", text("PARTBOT_ALLOWED_BOTS") or "") if b)
        bad_bots = sorted(b for b in allowed_bots if not re.fullmatch(r"[AB][A-Z0-9]{2,}", b))
        if bad_bots:
            problems.append(
                f"PARTBOT_ALLOWED_BOTS must be bot IDs (B012ABC) or app IDs (A012ABC) (not {', '.join(bad_bots)[:60]})"
            )
        redis_url = text("REDIS_URL")
        if redis_url and urlparse(redis_url).scheme not in ("redis", "rediss", "unix"):
            problems.append("REDIS_URL must be a redis://, rediss:// or unix:// URL")
        slack_id, slack_secret = text("SLACK_CLIENT_ID"), text("SLACK_CLIENT_SECRET")
        if bool(slack_id) != bool(slack_secret):
            missing = "SLACK_CLIENT_SECRET" if slack_id else "SLACK_CLIENT_ID"
            problems.append(
                f"{missing} is missing: set both Slack OAuth credentials (Basic Information → App Credentials), or neither"
            )
        token_key = text("PARTBOT_TOKEN_KEY")
        if token_key is not None and not _is_fernet_key(token_key):
            problems.append(
                "PARTBOT_TOKEN_KEY must be Fernet keys (comma-separated to rotate): each 32 random bytes in "
                "URL-safe base64 (value not shown); make one with python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
        plan = None if text("PARTBOT_PLAN_MONTHLY_PARTS") is None else integer("PARTBOT_PLAN_MONTHLY_PARTS", 0, 0, 10**9)
        support = text("PARTBOT_SUPPORT_URL")
        if support is not None:
            support = url("PARTBOT_SUPPORT_URL", support)
        hosts = tuple(h for h in re.split(r"[\s,]+", text("PARTBOT_SLACK_FILE_HOSTS") or "files.slack.com") if h)
        settings = cls(
            slack_bot_token=bot_token,
            slack_signing_secret=text("SLACK_SIGNING_SECRET"),
            slack_app_token=app_token,
            slack_api_url=api_url,
            nexar_client_id=client_id,
            nexar_client_secret=client_secret,
            nexar_token_url=url("NEXAR_TOKEN_URL", "https://identity.nexar.com/connect/token"),
            nexar_api_url=url("NEXAR_API_URL", "https://api.nexar.com/graphql"),
            port=integer("PORT", 3000, 1, 65535),
            db_path=text("PARTBOT_DB") or "partbot.sqlite3",
            redis_url=redis_url,
            cache_ttl=integer("PARTBOT_CACHE_TTL", 21600, 0, 30 * 86400),
            user_daily_parts=integer("PARTBOT_USER_DAILY_PARTS", 25, 0, 1_000_000),
            team_monthly_parts=integer("PARTBOT_TEAM_MONTHLY_PARTS", 1000, 0, 100_000_000),
            admins=admins,
            allowed_bots=allowed_bots,
            offline=flag("PARTBOT_OFFLINE", False),
            slack_file_hosts=hosts,
            bom_download_seconds=integer("PARTBOT_BOM_DOWNLOAD_SECONDS", 30, 1, 600),
            nexar_concurrency=integer("PARTBOT_NEXAR_CONCURRENCY", 5, 1, 20),
            stale_max_age=integer("PARTBOT_STALE_MAX_AGE", 2592000, 0, 366 * 86400),
            bom_max_parts=integer("PARTBOT_BOM_MAX_PARTS", 200, 1, 500),
            user_bom_monthly_parts=integer("PARTBOT_USER_BOM_MONTHLY_PARTS", 300, 0, 100_000_000),
            alternates_reserve=integer("PARTBOT_ALTERNATES_RESERVE", 10, 0, 1_000_000),
            watch_every=integer("PARTBOT_WATCH_EVERY", 86400, 60, 90 * 86400),
            watch_monthly_parts=integer("PARTBOT_WATCH_MONTHLY_PARTS", 300, 0, 100_000_000),
            slack_client_id=slack_id,
            slack_client_secret=slack_secret,
            slack_state_secret=text("SLACK_STATE_SECRET"),
            token_key=token_key,
            plan_monthly_parts=plan,
            support_url=support,
        )
        if mode:
            problems.extend(settings.slack_problems(mode))
        if problems:
            raise ConfigError(problems)
        return settings

    def slack_problems(self, mode: str) -> list[str]:
        """What is missing to talk to Slack in `mode` ("http" or "socket")."""
        problems = []
        if mode == "socket" and not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is not set (the bot token, xoxb-…, from OAuth & Permissions)")
        if mode == "http" and not (self.slack_bot_token or self.oauth):
            problems.append(
                "SLACK_BOT_TOKEN is not set (the bot token, xoxb-…, from OAuth & Permissions; or, to install "
                "partbot in many workspaces, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead)"
            )
        if mode == "http" and not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is not set (Basic Information → App Credentials)")
        if mode == "socket" and not self.slack_app_token:
            problems.append("SLACK_APP_TOKEN is not set (an app-level token, xapp-…, with connections:write)")
        return problems


def _is_fernet_key(keys: str) -> bool:
    """One Fernet key, or several comma-separated (the first encrypts; all decrypt)."""
    from cryptography.fernet import Fernet

    parts = [k.strip() for k in keys.split(",") if k.strip()]
    try:
        for key in parts:
            Fernet(key.encode("ascii"))
    except (ValueError, UnicodeError):
        return False
    return bool(parts)


def load_settings(env_file: str | Path = ".env", *, mode: str | None = None) -> Settings:
    """The process environment over the values of `env_file` (if it exists)."""
    values: dict[str, str] = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    values.update(os.environ)
    return Settings.from_mapping(values, mode=mode)
