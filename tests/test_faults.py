"""Faults end to end: Nexar, Slack and the stores misbehave; users get a clear answer or a
clear error, the process survives, and no quota leaks."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.stores.redis import RedisStore
from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.commands import Lookup
from bot.domain.outcomes import Answer, Failed
from bot.domain.parsing import parse_command
from bot.service.lookup import LookupService
from tests.conftest import BotServer, RedisProcess, bot_env, free_port
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack
from tests.fakes.source import FakeSource


def answer_text(slack: FakeSlack, n: int) -> str:
    return json.dumps(slack.wait_for("response_url", n)[n - 1].args, ensure_ascii=False)


def used_today(bot: BotServer, user: str = "U123") -> str:
    return json.dumps(bot.command("usage", user=user).json())


def still_works(bot: BotServer, slack: FakeSlack) -> None:
    before = len(slack.calls_to("response_url"))
    bot.command("LM358DR x10", user="UOK")
    assert "LM358DR" in answer_text(slack, before + 1)


# --- Nexar ---------------------------------------------------------------------------------


def test_nexar_connection_refused(tmp_path: Path, fake_slack: FakeSlack) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    env = bot_env(
        tmp_path,
        None,
        fake_slack,
        NEXAR_CLIENT_ID="id",
        NEXAR_CLIENT_SECRET="secret-value-1",
        NEXAR_TOKEN_URL=closed + "/connect/token",
        NEXAR_API_URL=closed + "/graphql",
    )
    bot = BotServer(env, fake_slack)
    try:
        bot.command("AD7685ARM")
        assert "Nexar is not answering" in answer_text(fake_slack, 1)
        assert "0 of 25 matched parts used" in used_today(bot)
    finally:
        bot.close()


def test_nexar_429_with_retry_after_is_waited_out(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    fake_nexar.fail_next("429", retry_after=1)
    bot.command("AD7685ARM x5")
    assert "AD7685ARM — Analog Devices" in answer_text(fake_slack, 1)
    assert [r.status for r in fake_nexar.requests] == [429, 200]


def test_token_expiring_mid_run_is_renewed(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot.command("AD7685ARM")
    answer_text(fake_slack, 1)
    fake_nexar.expire_tokens()
    bot.command("NE555DR")
    assert "NE555DR" in answer_text(fake_slack, 2)
    assert fake_nexar.token_requests == 2


def test_one_failing_query_inside_a_multi_match(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot.command("NE555DR x5, FAIL-ME x3")
    text = answer_text(fake_slack, 1)
    assert "error: Nexar could not look up this part." in text
    assert "this answer cost 1 matched part" in text
    assert "1 of 25 matched parts used" in used_today(bot)


def test_read_timeouts_are_retried_once_then_explained_and_billed(
    bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    bot.core.source.inner._http.timeout = __import__("httpx").Timeout(0.3)  # type: ignore[attr-defined]
    fake_nexar.fail_next("timeout", times=3, seconds=1, bill=True)
    bot.command("AD7685ARM")
    assert "Nexar is not answering in time" in answer_text(fake_slack, 1)
    assert len(fake_nexar.requests) == 2, "a read timeout is retried at most once"
    assert "1 of 25 matched parts used" in used_today(bot), "Nexar may have billed it: settled as billed (SPEC)"
    fake_nexar.reset()
    still_works(bot, fake_slack)


# --- Slack ---------------------------------------------------------------------------------


def test_rate_limited_post_message_is_retried(bot: BotServer, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", "429", retry_after=1)
    bot.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> NE555DR", "ts": "1.1", "channel": "C1", "event_ts": "1.1"})
    calls = fake_slack.wait_for("chat.postMessage", 2, timeout=10)
    assert [c.status for c in calls] == [429, 200]


@pytest.mark.parametrize("kind", ["404", "500"])
def test_failing_response_url_falls_back_to_the_web_api(bot: BotServer, fake_slack: FakeSlack, kind: str) -> None:
    fake_slack.fail_next("response_url", kind)
    bot.command("AD7685ARM x250", channel="C777")
    ephemeral = fake_slack.wait_for("chat.postEphemeral")[0]
    assert ephemeral.args["channel"] == "C777" and ephemeral.args["user"] == "U123"
    assert "AD7685ARM" in json.dumps(ephemeral.args)
    still_works(bot, fake_slack)


def test_invalid_auth_is_logged_and_the_process_survives(
    bot: BotServer, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_next("chat.postMessage", "invalid_auth", times=3)
    bot.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> NE555DR", "ts": "2.1", "channel": "C1", "event_ts": "2.1"})
    fake_slack.wait_for("chat.postMessage", 2)
    still_works(bot, fake_slack)
    assert "invalid_auth" in caplog.text


# --- stores --------------------------------------------------------------------------------


def ask(text: str) -> Lookup:
    cmd = parse_command(text)
    assert isinstance(cmd, Lookup)
    return cmd


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("REDIS BACKEND NOT TESTED: redis-server is not installed")
    server = RedisProcess(binary)
    yield server
    server.stop()


def test_redis_restart_mid_run_loses_and_double_counts_nothing(own_redis: RedisProcess) -> None:
    store = RedisStore(own_redis.url)
    source = FakeSource()
    svc = LookupService(source, store, cache_ttl=3600, user_daily=25, team_monthly=1000)
    assert isinstance(svc.lookup("T", "U1", ask("LM358DR")), Answer)
    own_redis.stop()
    down = svc.lookup("T", "U1", ask("NE555DR"))
    assert isinstance(down, Failed) and "database" in down.message
    assert len(source.calls) == 1, "nothing is sent to Nexar when quota cannot be counted"
    own_redis.start()
    assert isinstance(svc.lookup("T", "U1", ask("NE555DR")), Answer)
    assert isinstance(svc.lookup("T", "U1", ask("LM358DR x5")), Answer)
    view = svc.quota("T", "U1")
    assert view is not None and view.user_spent == 2 == source.parts_returned
    store.close()


def test_sqlite_locked_fails_cleanly_and_recovers(tmp_path: Path) -> None:
    path = str(tmp_path / "locked.sqlite3")
    store = SQLiteStore(path, busy_timeout=0.2)
    source = FakeSource()
    svc = LookupService(source, store, cache_ttl=3600, user_daily=25, team_monthly=1000)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    out = svc.lookup("T", "U1", ask("LM358DR"))
    assert isinstance(out, Failed) and "database" in out.message
    assert source.calls == []
    blocker.execute("ROLLBACK")
    blocker.close()
    assert isinstance(svc.lookup("T", "U1", ask("LM358DR")), Answer)
    assert svc.quota("T", "U1").user_spent == 1  # type: ignore[union-attr]


class FullDiskStore(SQLiteStore):
    """Real SQLite whose file cannot grow past its current size once `full` is set."""

    full = threading.Event()

    def _conn(self) -> sqlite3.Connection:
        conn = super()._conn()
        if self.full.is_set():
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count={pages}")
        return conn


def test_disk_full_never_leaks_quota(tmp_path: Path) -> None:
    store = FullDiskStore(str(tmp_path / "full.sqlite3"))
    source = FakeSource()
    svc = LookupService(source, store, cache_ttl=3600, user_daily=100, team_monthly=1000)
    svc.lookup("T", "U1", ask("LM358DR"))
    store.full.set()
    outcomes = [
        svc.lookup("T", f"U{i}", ask(f"{mpn} x{i + 1}")) for i, mpn in enumerate(("NE555DR", "AD7685ARM", "TPS54331DR", "BC547B"))
    ]
    assert all(isinstance(o, Answer | Failed) for o in outcomes)
    assert any(isinstance(o, Answer) for o in outcomes) or all("database" in o.message for o in outcomes if isinstance(o, Failed))
    store.full.clear()
    view = svc.quota("T", "U1")
    assert view is not None and view.team_spent == source.parts_returned, "every part Nexar returned is billed exactly once"
    assert isinstance(svc.lookup("T", "U9", ask("LM358DR x3")), Answer), "the store works again once there is room"
