"""Stale unfurls end to end: signed `link_shared` events → the bot → fake Nexar → `chat.unfurl`
on the fake Slack, with the lookups' clock moved past the cache TTL. A part looked up before
is unfurled from its stored answer, marked stale and billed nothing, when no fresh answer
can be had (the poster's quota spent, Nexar down or at its part limit); nothing stored (or
stored too long ago) → no unfurl and nothing in the channel."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BotServer, bot_env
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack
from tests.test_unfurls_slack import DIGIKEY_LM358, MOUSER_NE555, link_shared, nothing_in_the_channel, spent, unfurls

HOUR = 3600


class Clock:
    """The lookups' clock: 01:00 UTC today, moved by hand (the quota day never rolls over)."""

    def __init__(self) -> None:
        self.now = time.time() // 86400 * 86400 + HOUR

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def start(tmp_path: Path, nexar: FakeNexar, slack: FakeSlack, clock: Clock, **env: str) -> BotServer:
    return BotServer(bot_env(tmp_path, nexar, slack, **env), slack, clock=clock)


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    return {} if request.param == "sqlite" else {"REDIS_URL": request.getfixturevalue("redis_url")}


@pytest.fixture
def one_a_day(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, clock: Clock, backend: dict[str, str]
) -> Iterator[BotServer]:
    """A bot whose users may buy one matched part a day (the default 6 h cache TTL)."""
    server = start(tmp_path, fake_nexar, fake_slack, clock, PARTBOT_USER_DAILY_PARTS="1", **backend)
    try:
        yield server
    finally:
        server.close()


def unfurl_text(found: dict[str, Any], url: str) -> str:
    return json.dumps(found[url]["blocks"], ensure_ascii=False)


def only_unfurls(slack: FakeSlack) -> None:
    assert {c.method for c in slack.calls if c.method.startswith("chat.")} <= {"chat.unfurl"}


def test_over_quota_an_expired_part_is_unfurled_from_its_stored_answer_marked_stale_and_free(
    one_a_day: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack, clock: Clock
) -> None:
    one_a_day.event(link_shared(DIGIKEY_LM358), event_id="EvStale1")
    first = unfurl_text(unfurls(fake_slack), DIGIKEY_LM358)
    assert "stale" not in first
    assert fake_nexar.matched_parts_billed == 1 and spent(one_a_day) == 1, "the day's one part is spent"
    clock.advance(7 * HOUR)  # past the 6 h cache TTL: the cache misses, the store still has the answer
    one_a_day.event(link_shared(DIGIKEY_LM358, ts="1700000400.000100"), event_id="EvStale2")
    found = unfurls(fake_slack, 2)
    text = unfurl_text(found, DIGIKEY_LM358)
    assert "LM358DR" in text and "Total stock: 309,079" in text
    assert "1: *$0.45* at Digi-Key" in text and "100: *$0.2082* at Digi-Key" in text, "the stored prices"
    assert (
        ":hourglass: *stale*: prices and stock from 7.0 hours ago, not looked up again "
        "because your daily quota is used up; billed nothing"
    ) in text
    assert found[DIGIKEY_LM358]["fallback"].startswith("[stale: 7.0 hours old, because your daily quota is used up] LM358DR")
    assert len(fake_nexar.requests) == 1 and fake_nexar.matched_parts_billed == 1, "Nexar was not asked again"
    assert spent(one_a_day) == 1
    only_unfurls(fake_slack)


def test_over_quota_an_answer_stored_longer_ago_than_the_stale_limit_gives_no_unfurl(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, clock: Clock
) -> None:
    env = {"PARTBOT_USER_DAILY_PARTS": "1", "PARTBOT_CACHE_TTL": str(HOUR // 2), "PARTBOT_STALE_MAX_AGE": str(HOUR)}
    server = start(tmp_path, fake_nexar, fake_slack, clock, **env)
    try:
        server.event(link_shared(DIGIKEY_LM358), event_id="EvStale3")
        unfurls(fake_slack)
        clock.advance(2 * HOUR)
        server.event(link_shared(DIGIKEY_LM358, ts="1700000401.000100"), event_id="EvStale4")
        server.drain()
        assert len(fake_slack.calls_to("chat.unfurl")) == 1, "no second unfurl"
        only_unfurls(fake_slack)
        assert len(fake_nexar.requests) == 1 and spent(server) == 1
    finally:
        server.close()


def test_over_quota_a_part_never_looked_up_gives_no_unfurl(
    one_a_day: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack, clock: Clock
) -> None:
    one_a_day.event(link_shared(MOUSER_NE555), event_id="EvStale5")
    unfurls(fake_slack)
    clock.advance(7 * HOUR)
    one_a_day.event(link_shared(DIGIKEY_LM358, MOUSER_NE555, ts="1700000402.000100"), event_id="EvStale6")
    found = unfurls(fake_slack, 2)
    assert set(found) == {MOUSER_NE555}, "the stored NE555DR only; LM358DR was never stored"
    assert "because your daily quota is used up" in unfurl_text(found, MOUSER_NE555)
    one_a_day.drain()
    assert len(fake_nexar.requests) == 1 and spent(one_a_day) == 1
    only_unfurls(fake_slack)


@pytest.mark.parametrize(
    ("fault", "why"), [("503", "because Nexar is not answering"), ("part_limit", "because Nexar's plan has used up")]
)
def test_with_nexar_failing_an_expired_part_is_unfurled_stale_and_nothing_billed(
    bot_at: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack, clock: Clock, fault: str, why: str
) -> None:
    bot_at.event(link_shared(DIGIKEY_LM358), event_id="EvStale7")
    unfurls(fake_slack)
    assert fake_nexar.matched_parts_billed == 1 and spent(bot_at) == 1
    clock.advance(7 * HOUR)
    fake_nexar.fail_next(fault, times=10, **({"retry_after": 0} if fault == "503" else {}))
    bot_at.event(link_shared(DIGIKEY_LM358, ts="1700000403.000100"), event_id="EvStale8")
    found = unfurls(fake_slack, 2)
    text = unfurl_text(found, DIGIKEY_LM358)
    assert "*stale*: prices and stock from 7.0 hours ago" in text and why in text and "billed nothing" in text
    assert len(fake_nexar.requests) > 1, "Nexar was asked again"
    assert fake_nexar.matched_parts_billed == 1 and spent(bot_at) == 1, "the failed lookup billed nothing"
    only_unfurls(fake_slack)


def test_with_nexar_down_and_nothing_stored_there_is_no_unfurl(
    bot_at: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    fake_nexar.fail_next("503", times=10, retry_after=0)
    bot_at.event(link_shared(DIGIKEY_LM358), event_id="EvStale9")
    bot_at.drain()
    nothing_in_the_channel(fake_slack)
    assert spent(bot_at) == 0


def test_a_link_being_typed_is_not_unfurled_stale_but_the_posted_one_is(
    one_a_day: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack, clock: Clock
) -> None:
    one_a_day.event(link_shared(DIGIKEY_LM358), event_id="EvStale10")
    unfurls(fake_slack)
    clock.advance(7 * HOUR)
    one_a_day.event(link_shared(DIGIKEY_LM358, source="composer", ts="1700000404.000100"), event_id="EvStale11")
    one_a_day.drain()
    assert len(fake_slack.calls_to("chat.unfurl")) == 1, "the preview asks nothing and shows no old data"
    one_a_day.event(link_shared(DIGIKEY_LM358, ts="1700000404.000100"), event_id="EvStale12")
    found = unfurls(fake_slack, 2)
    assert "because your daily quota is used up" in unfurl_text(found, DIGIKEY_LM358)
    assert len(fake_nexar.requests) == 1 and spent(one_a_day) == 1


def test_within_the_cache_ttl_the_unfurl_is_fresh_from_the_cache_even_over_quota(
    one_a_day: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack, clock: Clock
) -> None:
    one_a_day.event(link_shared(DIGIKEY_LM358), event_id="EvStale13")
    unfurls(fake_slack)
    clock.advance(2 * HOUR)
    one_a_day.event(link_shared(DIGIKEY_LM358, ts="1700000405.000100"), event_id="EvStale14")
    text = unfurl_text(unfurls(fake_slack, 2), DIGIKEY_LM358)
    assert "cached 2.0 h ago" in text and "stale" not in text
    assert len(fake_nexar.requests) == 1 and spent(one_a_day) == 1


@pytest.fixture
def bot_at(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, clock: Clock) -> Iterator[BotServer]:
    """A bot with the default quotas, on the test's clock."""
    server = start(tmp_path, fake_nexar, fake_slack, clock)
    try:
        yield server
    finally:
        server.close()
