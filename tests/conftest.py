"""Shared fixtures: fake Nexar and Slack on loopback, a real redis-server, the bot over HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.stores.redis import RedisStore
from bot.adapters.stores.sqlite import SQLiteStore
from bot.app import Core, build_app, build_core
from bot.jobs import Jobs
from bot.ports import Store
from bot.settings import Settings
from bot.web import Front
from tests.fakes.nexar import FakeNexar
from tests.fakes.signing import event_body, interaction_body, signed_headers, slash_command_body
from tests.fakes.slack import FakeSlack
from tests.shared import has_nexar_schema, nexar_schema_errors, nexar_variable_errors

SIGNING_SECRET = "test-signing-secret-5f2b9c0e7d"
BOT_TOKEN = "xoxb-test-token-1234567890"
NEXAR_ID = "test-client"
NEXAR_SECRET = "test-nexar-secret-8c1d7a"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- fakes ---------------------------------------------------------------------------


@pytest.fixture
def fake_nexar() -> Iterator[FakeNexar]:
    with FakeNexar(client_id=NEXAR_ID, client_secret=NEXAR_SECRET) as fake:
        yield fake
        if has_nexar_schema():
            for req in fake.requests:
                assert nexar_schema_errors(req.query) == [], req.query
                assert nexar_variable_errors(req.query, req.variables, req.operation_name) == [], req.variables


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN) as fake:
        yield fake


# --- redis ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port (REDIS_TEST_URL to use another)."""
    if os.environ.get("REDIS_TEST_URL"):
        yield os.environ["REDIS_TEST_URL"]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; .ci/run installs it from Debian's packages")
        pytest.skip("REDIS BACKEND NOT TESTED: redis-server is not installed (apt-get install redis-server)")
    server = RedisProcess(binary)
    try:
        yield server.url
    finally:
        server.stop()


class RedisProcess:
    """A redis-server child process with an append-only file, so restarts keep data."""

    def __init__(self, binary: str, port: int | None = None, workdir: Path | None = None) -> None:
        import tempfile

        self.binary = binary
        self.port = port or free_port()
        self.dir = workdir or Path(tempfile.mkdtemp(prefix="partbot-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis_url(redis_server: str) -> str:
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    return redis_server


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store backend in turn: SQLite in a temp dir, then a real redis-server."""
    s: Store
    if request.param == "sqlite":
        s = SQLiteStore(str(tmp_path / "store.sqlite3"))
    else:
        s = RedisStore(request.getfixturevalue("redis_url"))
    yield s
    s.close()


# --- the bot over HTTP ---------------------------------------------------------------


def bot_env(tmp_path: Path, nexar: FakeNexar | None, slack: FakeSlack, **extra: str) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PARTBOT_DB": str(tmp_path / "partbot.sqlite3"),
        "PARTBOT_SLACK_FILE_HOSTS": "127.0.0.1",
    }
    if nexar is not None:
        env.update(
            NEXAR_CLIENT_ID=NEXAR_ID,
            NEXAR_CLIENT_SECRET=NEXAR_SECRET,
            NEXAR_TOKEN_URL=nexar.token_url,
            NEXAR_API_URL=nexar.api_url,
        )
    env.update(extra)
    return env


def mention(text: str, ts: str = "1700000001.000100", thread_ts: str | None = None) -> dict[str, Any]:
    """An app_mention event as Slack sends it (in a thread when `thread_ts` is given)."""
    event = {"type": "app_mention", "user": "U123", "text": f"<@UBOT> {text}", "ts": ts, "channel": "C123", "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


class BotServer:
    """The bot's real ASGI front under uvicorn in a thread on loopback, driven like Slack drives it."""

    def __init__(self, env: dict[str, str], slack: FakeSlack, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = Settings.from_mapping(env)
        self.slack = slack
        self.core: Core = build_core(self.settings, clock=clock)
        nexar = getattr(self.core.source, "inner", None)
        if nexar is not None:
            nexar.backoff = 0.01
        self.jobs = Jobs(16)
        self.app = build_app(self.core, "http", jobs=self.jobs)
        import uvicorn

        assert self.settings.slack_signing_secret
        front = Front(self.app, self.core.store, self.settings.slack_signing_secret)
        port = free_port()
        config = uvicorn.Config(front, host="127.0.0.1", port=port, lifespan="off", access_log=False, log_config=None)
        self.server = uvicorn.Server(config)
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self._thread.is_alive(), "uvicorn did not start"
            time.sleep(0.01)
        self.http = httpx.Client(base_url=self.url, timeout=10)
        self._n = 0

    def drain(self) -> None:
        """Wait for the background jobs the requests so far started."""
        assert self.jobs.wait_idle(30), "jobs still running after 30 s"

    def close(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self._thread.join(10)
        self.core.close()

    def _post(self, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> httpx.Response:
        h = signed_headers(SIGNING_SECRET, body, content_type=content_type)
        h.update(headers or {})
        return self.http.post("/slack/events", content=body, headers=h)

    def command(self, text: str, *, user: str = "U123", response: str | None = None, channel: str = "C123") -> httpx.Response:
        self._n += 1
        url = self.slack.response_url(response or f"r{self._n}")
        return self._post(
            slash_command_body(text, user_id=user, channel_id=channel, response_url=url), "application/x-www-form-urlencoded"
        )

    def event(self, event: dict[str, Any], *, event_id: str = "Ev0001", retry: int | None = None) -> httpx.Response:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self._post(event_body(event, event_id=event_id), "application/json", headers)

    def action(self, payload: dict[str, Any]) -> httpx.Response:
        return self._post(interaction_body(payload), "application/x-www-form-urlencoded")


@pytest.fixture
def bot(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> Iterator[BotServer]:
    server = BotServer(bot_env(tmp_path, fake_nexar, fake_slack), fake_slack)
    try:
        yield server
    finally:
        server.close()
