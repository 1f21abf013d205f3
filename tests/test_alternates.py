"""`--alternates` and the "Show alternates" button, end to end: signed Slack requests → the
bot → fake Nexar's `similarParts` → fake Slack; quotas counted in SQLite or redis-server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.workspace import Workspace
from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, bot_env
from tests.fakes.nexar import FakeNexar
from tests.fakes.signing import button_click
from tests.fakes.slack import FakeSlack
from tests.shared import shared_dir

WS = "T0001"


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    return {} if request.param == "sqlite" else {"REDIS_URL": request.getfixturevalue("redis_url")}


@pytest.fixture
def start(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, backend: dict[str, str]) -> Iterator[Any]:
    servers: list[BotServer] = []

    def make(**env: str) -> BotServer:
        server = BotServer(bot_env(tmp_path, fake_nexar, fake_slack, **{**backend, **env}), fake_slack)
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.close()


def reply(slack: FakeSlack, n: int) -> dict[str, Any]:
    call = slack.wait_for("response_url", n)[n - 1]
    assert_valid_message(call.args)
    return call.args


def blocks(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def user_spent(bot: BotServer, user: str = "U123") -> int:
    view = bot.core.service.quota(WS, user)
    assert view is not None
    return view.user_spent


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def test_alternates_are_the_best_three_priced_billed_in_full_and_cached(
    start: Any, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    fake_nexar.similar = {"LM358DR": ["NE555DR", "AD7685ARMZ", "LM317T", "AD7685BRMZ", "TPS54331DR"]}
    bot = start(PARTBOT_ALTERNATES_RESERVE="2")
    bot.command("LM358DR x100 --alternates")
    body = blocks(reply(fake_slack, 1))
    assert "*Alternates* · the best 3 of 5 similar parts Nexar lists, for 100 pcs from authorized sellers" in body
    listed = [mpn for mpn in ("NE555DR", "AD7685ARMZ", "LM317T", "AD7685BRMZ", "TPS54331DR") if mpn in body]
    assert len(listed) == 3
    assert "Listing alternates cost 6 matched parts" in body, "five similar parts and the asked one, past the reserve of 2"
    assert "this answer cost 7 matched parts" in body
    assert user_spent(bot) == 7 == fake_nexar.matched_parts_billed
    alt = next(r for r in fake_nexar.requests if "PartAlternates" in r.query)
    assert alt.variables["queries"] == [{"mpn": "LM358DR", "limit": 1, "reference": "0"}]
    assert alt.variables["authorizedOnly"] is True

    bot.command("lm358dr x10 --alternates")
    again = blocks(reply(fake_slack, 2))
    assert "the best 3 of 5 similar parts" in again and "Alternates from the cache: no matched parts billed" in again
    assert "this answer cost 0 matched parts" in again
    assert user_spent(bot) == 7 and len(fake_nexar.requests) == 2


def test_the_cheapest_in_stock_alternates_come_first(start: Any, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    fake_nexar.similar = {"NE555DR": ["AD7685BRMZ", "LM358DR", "1N4148W-7-F", "BC547B"]}
    bot = start()
    bot.command("NE555DR x10 --alternates")
    section = next(
        b["text"]["text"] for b in reply(fake_slack, 1)["blocks"] if "*Alternates*" in b.get("text", {}).get("text", "")
    )
    order = [line.split("|")[1].split(">")[0] for line in section.split("\n")[1:]]
    assert "BC547B" not in order, "obsolete comes after parts in production"
    assert order[-1] == "AD7685BRMZ", "the dearest of the three"


def test_too_little_quota_left_refuses_alternates_up_front(start: Any, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot = start(PARTBOT_USER_DAILY_PARTS="5")
    bot.command("AD7685ARM x10 --alternates")
    msg = reply(fake_slack, 1)
    assert msg["blocks"][0]["text"]["text"] == "AD7685ARM — Analog Devices", "the part is still answered"
    body = blocks(msg)
    assert "*No alternates:* you have 4 matched parts left today, and listing alternates needs at least 10" in body
    assert "this answer cost 1 matched part" in body
    assert user_spent(bot) == 1 and len(fake_nexar.requests) == 1


def test_an_nrnd_part_offers_a_button_that_lists_alternates(start: Any, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot = start()
    bot.command("MAX232CPE x50")
    first = reply(fake_slack, 1)
    button = buttons(first)["show_alternates"]
    assert button["text"]["text"] == "Show alternates"
    assert "Share in channel" in blocks(first)
    bot.command("LM358DR x50")
    assert "show_alternates" not in buttons(reply(fake_slack, 2)), "in stock and in production: no button"

    payload = button_click(
        {"action_id": "show_alternates", "value": button["value"]},
        user="U777",
        team=WS,
        response_url=fake_slack.response_url("alternates"),
    )
    assert bot.action(payload).status_code == 200
    shown = reply(fake_slack, 3)
    assert shown["response_type"] == "ephemeral" and shown["replace_original"] is False
    body = blocks(shown)
    assert "74HC595N" in body and "for 50 pcs" in body and "the best 1 of 1 similar part" in body
    assert "Listing alternates cost 2 matched parts" in body, "74HC595N and MAX232CPE itself"
    assert user_spent(bot, "U777") == 2, "billed to whoever pressed; MAX232CPE was cached"
    assert "show_alternates" not in buttons(shown)


def test_several_parts_with_alternates_say_one_part_at_a_time(start: Any, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot = start()
    bot.command("LM358DR, NE555DR --alternates")
    body = blocks(reply(fake_slack, 1))
    assert "Alternates are shown for one part at a time" in body
    assert not any("PartAlternates" in r.query for r in fake_nexar.requests)
    assert user_spent(bot) == 2


def test_the_sample_catalog_answers_alternates_from_its_own_parts(tmp_path: Path, fake_slack: FakeSlack) -> None:
    bot = BotServer(bot_env(tmp_path, None, fake_slack), fake_slack)
    try:
        bot.command("AD7685ARM x10 --alternates")
        body = blocks(reply(fake_slack, 1))
        assert "AD7685ARMZ" in body and "AD7685BRMZ" in body and "the best 2 of 2 similar parts" in body
        assert "no matched parts billed (sample data)" in body
    finally:
        bot.close()


def test_a_real_block_actions_payload_from_an_org_presses_show_alternates(
    start: Any, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    path = shared_dir() / "realworld" / "slack" / "22-share-click-ephemeral.json"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    payload = json.loads(path.read_text(encoding="utf-8"))["interactive_payload"]
    bot = start()
    bot.command("74HC595N x20")
    button = buttons(reply(fake_slack, 1))["show_alternates"]
    payload["actions"][0].update(action_id="show_alternates", value=button["value"])
    payload["response_url"] = fake_slack.response_url("org")
    assert bot.action(payload).status_code == 200
    body = blocks(reply(fake_slack, 2))
    assert "MAX232CPE" in body and "for 20 pcs" in body
    view = bot.core.service.quota(Workspace.of(payload).key, payload["user"]["id"])
    assert view is not None and view.user_spent == 2, "billed in the org's workspace, to the presser"
