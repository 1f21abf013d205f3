"""Stale beats nothing, end to end: signed Slack requests → the bot → fake Nexar, fake Slack
and a real store (SQLite, then redis-server). A part asked before is answered from its
last stored answer when the lookup cannot be paid for or Nexar is down: marked, free."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.stores.redis import RedisStore
from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.models import LookupKey, SearchResult
from bot.service.cache import AnswerCache
from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, bot_env
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack

DAY = 86400


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    return {} if request.param == "sqlite" else {"REDIS_URL": request.getfixturevalue("redis_url")}


def start(tmp_path: Path, nexar: FakeNexar, slack: FakeSlack, **env: str) -> BotServer:
    return BotServer(bot_env(tmp_path, nexar, slack, **env), slack)


@pytest.fixture
def bot(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, backend: dict[str, str]) -> Iterator[BotServer]:
    server = start(tmp_path, fake_nexar, fake_slack, PARTBOT_USER_DAILY_PARTS="1", **backend)
    try:
        yield server
    finally:
        server.close()


def remember(bot: BotServer, nexar: FakeNexar, mpn: str, age: float) -> None:
    """Store Nexar's answer for `mpn` as if it had been fetched `age` seconds ago."""
    key = LookupKey(mpn)
    result = bot.core.source.search_mpn(key, 1)
    assert result.part is not None
    bot.core.store.cache_put(key.cache_key(), result.to_json(), time.time() - age, 30 * DAY)
    nexar.reset()


def reply(slack: FakeSlack, n: int) -> dict[str, Any]:
    call = slack.wait_for("response_url", n)[n - 1]
    assert_valid_message(call.args)
    return call.args


def blocks(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def spent(bot: BotServer, user: str = "U123") -> tuple[int, int]:
    view = bot.core.service.quota("T0001", user) or bot.core.service.quota("", user)
    assert view is not None
    return view.user_spent, view.team_spent


def test_over_the_daily_quota_a_part_asked_before_is_answered_stale_and_free(
    bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    remember(bot, fake_nexar, "AD7685ARM", 3 * DAY)
    bot.command("NE555DR")
    assert "cost 1 matched part" in blocks(reply(fake_slack, 1))
    bot.command("AD7685ARM x250")
    msg = reply(fake_slack, 2)
    body = blocks(msg)
    assert msg["blocks"][0]["text"]["text"] == "AD7685ARM — Analog Devices"
    assert "Not fresh: This answer is the last stored data, up to 3.0 days old" in body
    assert "because your daily quota is used up" in body and "Billed nothing" in body
    assert "this answer cost 0 matched parts" in body and "stored 3.0 days ago" in body
    assert "for 250 pcs" in body and "Digi-Key" in body
    assert msg["text"].startswith("[not fresh: up to 3.0 days old, because your daily quota is used up]")
    assert len(fake_nexar.requests) == 1 and fake_nexar.matched_parts_billed == 1, "only NE555DR went to Nexar"
    assert spent(bot) == (1, 1)
    bot.command("LM358DR")
    refused = reply(fake_slack, 3)
    assert "You have 0 matched parts left today" in blocks(refused), "never asked before: refused as before"
    assert len(fake_nexar.requests) == 1 and spent(bot) == (1, 1)


def test_several_parts_over_quota_answer_the_stored_ones_and_say_which_were_not_looked_up(
    bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    remember(bot, fake_nexar, "AD7685ARM", 7 * 3600)
    remember(bot, fake_nexar, "NE555DR", 10 * DAY)
    bot.command("LM358DR")
    reply(fake_slack, 1)
    bot.command("AD7685ARM x10, NE555DR x5, TPS62130RGTR")
    msg = reply(fake_slack, 2)
    table = next(b for b in msg["blocks"] if b["type"] == "table")
    statuses = [row[-1]["text"] for row in table["rows"][1:]]
    assert statuses[0].startswith("stale") and statuses[1].startswith("stale")
    assert "Not looked up: your daily quota is used up" in statuses[2]
    assert "Not fresh: 2 of 3 answers are the last stored data, up to 10.0 days old" in blocks(msg)
    assert "this answer cost 0 matched parts" in blocks(msg)
    assert len(fake_nexar.requests) == 1 and spent(bot) == (1, 1)


def test_answers_older_than_the_stale_limit_are_not_used(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, backend: dict[str, str]
) -> None:
    server = start(tmp_path, fake_nexar, fake_slack, PARTBOT_USER_DAILY_PARTS="0", PARTBOT_STALE_MAX_AGE=str(2 * DAY), **backend)
    try:
        remember(server, fake_nexar, "AD7685ARM", 3 * DAY)
        remember(server, fake_nexar, "NE555DR", DAY)
        server.command("AD7685ARM")
        assert "You have 0 matched parts left today" in blocks(reply(fake_slack, 1))
        server.command("NE555DR")
        assert "up to 24.0 hours old" in blocks(reply(fake_slack, 2))
        assert fake_nexar.requests == []
    finally:
        server.close()


@pytest.mark.parametrize(
    ("fault", "why"), [("503", "because Nexar is not answering"), ("part_limit", "because Nexar's plan has used up")]
)
def test_with_nexar_down_or_at_its_part_limit_the_stored_answer_is_given_and_nothing_billed(
    bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack, fault: str, why: str
) -> None:
    remember(bot, fake_nexar, "AD7685ARM", 8 * 3600)
    fake_nexar.fail_next(fault, times=5, **({"retry_after": 0} if fault == "503" else {}))
    bot.command("AD7685ARM x100")
    body = blocks(reply(fake_slack, 1))
    assert "up to 8.0 hours old" in body and why in body and "this answer cost 0 matched parts" in body
    assert spent(bot) == (0, 0)
    assert fake_nexar.matched_parts_billed == 0


def test_a_fresh_answer_within_the_ttl_is_not_marked_stale(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    remember(bot, fake_nexar, "AD7685ARM", 3600)
    bot.command("AD7685ARM")
    body = blocks(reply(fake_slack, 1))
    assert "Not fresh" not in body and "cached 1.0 h ago" in body
    assert spent(bot) == (0, 0) and fake_nexar.requests == []


# --- the store keeps expired answers, bounded by age and count ------------------------


def test_the_cache_misses_past_its_ttl_but_keeps_the_answer_for_stale_use(tmp_path: Path) -> None:
    start = time.time()
    now = [start]
    store = SQLiteStore(str(tmp_path / "s.sqlite3"))
    cache = AnswerCache(store, 3600, stale_max_age=10 * DAY, clock=lambda: now[0])
    result = SearchResult(None, 0)
    cache.put("k", result, now[0])
    now[0] += 2 * 3600
    assert cache.get("k") is None
    assert cache.stale("k") == (result, start)
    now[0] += 10 * DAY
    assert cache.stale("k") is None
    store.close()


def test_sqlite_keeps_at_most_its_bound_of_answers_the_newest(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "s.sqlite3"), cache_max_rows=5)
    now = time.time()
    for i in range(200):
        store.cache_put(f"k{i}", {"i": i}, now - 1000 + i, 30 * DAY)
    kept = [i for i in range(200) if store.cache_get(f"k{i}") is not None]
    assert kept == list(range(195, 200))
    store.close()


def test_redis_keeps_at_most_its_bound_of_answers_the_newest(redis_url: str) -> None:
    store = RedisStore(redis_url, cache_max_keys=5)
    now = time.time()
    for i in range(12):
        store.cache_put(f"k{i}", {"i": i}, now - 1000 + i, 30 * DAY)
    kept = [i for i in range(12) if store.cache_get(f"k{i}") is not None]
    assert kept == list(range(7, 12))
    store.close()


def test_bom_lines_over_the_team_budget_are_priced_from_stored_answers(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, backend: dict[str, str]
) -> None:
    server = start(tmp_path, fake_nexar, fake_slack, PARTBOT_TEAM_MONTHLY_PARTS="1", **backend)
    try:
        remember(server, fake_nexar, "AD7685ARM", 3 * DAY)
        remember(server, fake_nexar, "NE555DR", 2 * DAY)
        file = fake_slack.add_file("F1", "board.csv", b"MPN,Qty\nAD7685ARM,2\nNE555DR,5\nLM358DR,10\n")
        event = {"type": "app_mention", "user": "U123", "text": "<@UBOT> price this", "ts": "1700000040.000100"}
        server.event({**event, "channel": "C123", "event_ts": event["ts"], "files": [file]}, event_id="EvBom1")
        fake_slack.wait_for("files.completeUploadExternal")
        rows = list(csv.DictReader(io.StringIO(next(iter(fake_slack.uploads.values())).decode("utf-8"))))
        assert [r["status"].split(",")[0] for r in rows[:2]] == ["stale", "stale"]
        assert "Not looked up: the team's monthly quota is used up" in rows[2]["status"]
        summary = fake_slack.calls_to("chat.update")[-1].args
        assert_valid_message(summary)
        text = json.dumps(summary["blocks"], ensure_ascii=False)
        assert "Not fresh: 2 of 3 answers are the last stored data, up to 3.0 days old" in text
        assert "the team's monthly quota is used up" in text and "this answer cost 0 matched parts" in text
        assert fake_nexar.requests == [] and spent(server) == (0, 0)
    finally:
        server.close()
