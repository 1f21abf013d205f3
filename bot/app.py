"""Wiring: settings → store, part source, lookup service → Bolt app with its listeners."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.error import URLError

import httpx
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.adapters.batching import BatchingSource
from bot.adapters.catalog import SampleCatalog
from bot.adapters.installations import Sealer, StoreInstallationStore, StoreStateStore
from bot.adapters.nexar import NexarClient
from bot.adapters.slack_clients import ROTATE_MINUTES, InstalledTokens, WorkspaceAuthorize
from bot.adapters.stores import open_store
from bot.jobs import Jobs
from bot.listeners import register_listeners
from bot.listeners.common import Deps
from bot.listeners.watches import alert_sender
from bot.ports import PartSource, Store
from bot.service.lookup import LookupService
from bot.service.watch_scheduler import WatchScheduler
from bot.service.watches import WatchService
from bot.settings import ConfigError, Settings

log = logging.getLogger(__name__)

JOB_THREADS = 64
"""Listener work in flight at once per process (lookups mostly wait on Nexar; a burst of
distinct lookups is batched into few requests)."""


@dataclass
class Core:
    """Everything but Slack: usable from the command line as well as from the app."""

    settings: Settings
    store: Store
    source: PartSource
    service: LookupService
    closers: list[Callable[[], None]] = field(default_factory=list)
    """What was built on this core (the app's jobs and HTTP client), closed first."""
    watches: WatchService | None = None
    scheduler: WatchScheduler | None = None
    """The watch scheduler of the app built on this core (none for the command line)."""

    def close(self) -> None:
        for close_one in reversed(self.closers):
            close_one()
        close = getattr(self.source, "close", None)
        if close:
            close()
        self.store.close()


def build_core(settings: Settings, *, clock: Callable[[], float] = time.time) -> Core:
    """The store, the part source and the services; `clock` is the lookups' (tests move it)."""
    try:
        store = open_store(settings.db_path, settings.redis_url)
        store.ping()
    except Exception as exc:
        name = "REDIS_URL" if settings.redis_url else "PARTBOT_DB"
        where = "the Redis server" if settings.redis_url else repr(settings.db_path)
        raise ConfigError([f"{name}: cannot open {where} ({type(exc).__name__}: {str(exc)[:120]})"]) from exc
    source: PartSource
    if settings.uses_sample_catalog:
        source = SampleCatalog()
    else:
        assert settings.nexar_client_id and settings.nexar_client_secret
        source = BatchingSource(
            NexarClient(
                settings.nexar_client_id,
                settings.nexar_client_secret,
                token_url=settings.nexar_token_url,
                api_url=settings.nexar_api_url,
            )
        )
    service = LookupService(
        source,
        store,
        cache_ttl=settings.cache_ttl,
        user_daily=settings.user_daily_parts,
        team_monthly=settings.team_monthly_parts,
        user_bom_monthly=settings.user_bom_monthly_parts,
        stale_max_age=settings.stale_max_age,
        concurrency=settings.nexar_concurrency,
        watch_monthly=settings.watch_monthly_parts,
        plan_monthly=settings.plan_monthly_parts,
        clock=clock,
    )
    watches = WatchService(store, service, every=settings.watch_every, max_age=settings.cache_ttl)
    return Core(settings, store, source, service, watches=watches)


BOT_SCOPES = (
    "commands",
    "chat:write",
    "app_mentions:read",
    "files:read",
    "files:write",
    "links:read",
    "links:write",
    "im:history",
    "im:write",
    "channels:read",
    "groups:read",
)
"""What an OAuth install asks for: manifest.yml's bot scopes (a test keeps them equal)."""


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A client with `token`, else the single-workspace SLACK_BOT_TOKEN (None with OAuth)."""
    return WebClient(
        token=token or settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def reply_http() -> httpx.Client:
    """The pooled client for response_url posts: keep-alive saves a TLS handshake per answer."""
    return httpx.Client(
        timeout=httpx.Timeout(10.0, connect=5.0),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        headers={"User-Agent": "partbot/1.0"},
        follow_redirects=False,
    )


def installation_store(settings: Settings, store: Store) -> StoreInstallationStore:
    return StoreInstallationStore(store, Sealer(settings.token_key))


def installed_tokens(settings: Settings, store: Store) -> InstalledTokens | None:
    """Each workspace's own token when installed through OAuth; None for one SLACK_BOT_TOKEN."""
    if not settings.oauth:
        return None
    assert settings.slack_client_id and settings.slack_client_secret
    rotator = TokenRotator(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, client=web_client(settings)
    )
    return InstalledTokens(installation_store(settings, store), lambda token: web_client(settings, token), rotator, store)


AUTHORIZE_FAILED = (
    ":warning: partbot cannot answer this workspace right now: its installation was not found, or partbot's "
    "database is not answering. Try again in a minute; if it goes on, an admin can reinstall partbot."
)


def oauth_options(settings: Settings, store: Store, tokens: InstalledTokens) -> dict[str, Any]:
    """Bolt's OAuth flow (`/slack/install`, `/slack/oauth_redirect`) and an authorize, on
    partbot's store: any process can finish an install another began, and answer any workspace."""
    assert settings.slack_client_id and settings.slack_client_secret
    oauth = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=tokens.installations,
        state_store=StoreStateStore(store, settings.slack_state_secret),
        token_rotation_expiration_minutes=ROTATE_MINUTES,
        logger=logging.getLogger("bot.oauth"),
    )
    return {
        "installation_store": tokens.installations,
        "authorize": WorkspaceAuthorize(tokens),
        "oauth_settings": oauth,
        "user_facing_authorize_error_message": AUTHORIZE_FAILED,
    }


def check_slack(settings: Settings) -> None:
    """Ask Slack whether the bot token is good, before a server forks its workers."""
    if settings.oauth:
        return
    try:
        web_client(settings).auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "error")
        raise ConfigError([f"Slack did not accept SLACK_BOT_TOKEN ({error}); check the token and SLACK_API_URL"]) from exc
    except (OSError, URLError) as exc:
        raise ConfigError(
            [f"could not reach Slack at {settings.slack_api_url} ({type(exc).__name__}); check SLACK_API_URL and the network"]
        ) from exc


def build_app(core: Core, mode: str = "http", *, jobs: Jobs | None = None) -> App:
    """The Bolt app. `mode` is "http" (signed requests) or "socket". Listeners ack, then
    hand their work to one bounded pool in this process (`Deps.jobs`)."""
    settings = core.settings
    problems = settings.slack_problems(mode)
    if problems:
        raise ConfigError(problems)
    tokens = installed_tokens(settings, core.store)
    try:
        app = App(
            client=web_client(settings),
            **(oauth_options(settings, core.store, tokens) if tokens is not None else {}),
            signing_secret=settings.slack_signing_secret if mode == "http" else None,
            request_verification_enabled=mode == "http",
            # Listeners only ack and hand work to the job pool, so run them in the request
            # thread: the ack goes out as soon as the listener returns, not on Bolt's 10 ms poll.
            process_before_response=True,
            raise_error_for_unhandled_request=False,
        )
    except BoltError as exc:
        raise ConfigError([f"Slack did not accept SLACK_BOT_TOKEN ({exc}); check the token and SLACK_API_URL"]) from exc
    deps = Deps(
        settings=settings,
        service=core.service,
        store=core.store,
        client=app.client,
        jobs=jobs or Jobs(JOB_THREADS),
        http=reply_http(),
        watches=core.watches,
        clients=tokens,
    )
    core.closers += [deps.http.close, deps.jobs.close]  # closed last first: jobs finish, then their client
    if core.watches is not None:
        core.scheduler = WatchScheduler(core.watches, core.store, alert_sender(deps.client_for))
        core.scheduler.start()
        core.closers.append(core.scheduler.close)

    @app.error
    def on_error(error: Exception, logger: logging.Logger) -> None:
        logger.error("unhandled error in a listener: %s", error, exc_info=error)

    register_listeners(app, deps)
    return app
