"""Watches end to end: signed `/part` commands over loopback, a fake Nexar whose stock and
prices change between checks, a fake Slack that records the alerts. The scheduler's thread
is stopped and its `check_due(now)` step is driven with a clock of the test's own."""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, bot_env, mention
from tests.fakes.nexar import FakeNexar, load_sample_parts
from tests.fakes.slack import FakeSlack

MPN = "WATCH-TEST1"
DAY = 86400.0


def watched_part(price: float, stock: int, *, authorized: bool = True) -> dict[str, Any]:
    """A part with one seller: `stock` pieces at `price` USD each from 1 piece."""
    part = copy.deepcopy(next(p for p in load_sample_parts() if p["mpn"] == "AD7685ARM"))
    part["mpn"] = MPN
    part["totalAvail"] = stock
    part["sellers"] = [
        {
            "company": {"name": "Digi-Key", "homepageUrl": "https://www.digikey.com/"},
            "isAuthorized": authorized,
            "isBroker": False,
            "offers": [
                {
                    "sku": f"{MPN}-ND",
                    "inventoryLevel": stock,
                    "moq": 1,
                    "packaging": "Tape & Reel",
                    "clickUrl": "https://www.digikey.com/",
                    "updated": "2026-11-26T06:12:00Z",
                    "prices": [
                        {
                            "quantity": 1,
                            "price": price,
                            "currency": "USD",
                            "convertedPrice": price,
                            "convertedCurrency": "USD",
                            "conversionRate": 1.0,
                        }
                    ],
                }
            ],
        }
    ]
    return part


def set_market(nexar: FakeNexar, price: float, stock: int) -> None:
    nexar.parts = [p for p in nexar.parts if p["mpn"] != MPN] + [watched_part(price, stock)]


def alerts(slack: FakeSlack) -> list[dict[str, Any]]:
    found = [c.args for c in slack.calls_to("chat.postMessage") if "holds" in json.dumps(c.args.get("blocks", ""))]
    for a in found:
        assert_valid_message(
            {"text": a["text"], "blocks": json.loads(a["blocks"]) if isinstance(a["blocks"], str) else a["blocks"]}
        )
    return found


def stopped(bot: BotServer) -> BotServer:
    """The bot with its scheduler thread stopped: the test drives `check_due` itself."""
    assert bot.core.scheduler is not None
    bot.core.scheduler.close()
    return bot


@pytest.fixture
def watch_bot(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> Iterator[BotServer]:
    set_market(fake_nexar, 0.25, 5000)
    server = BotServer(bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_CACHE_TTL="0"), fake_slack)
    try:
        yield stopped(server)
    finally:
        server.close()


def replies_at(slack: FakeSlack, name: str) -> list[dict[str, Any]]:
    """What partbot posted to the response_url `name`, each with blocks a valid message."""
    found = [c.args for c in slack.calls_to("response_url") if c.path == f"/response/{name}"]
    for message in found:
        if "blocks" in message:
            assert_valid_message(message)
    return found


def offer_of(bot: BotServer, slack: FakeSlack, text: str, user: str = "U123") -> dict[str, Any]:
    """The reply to `/part <text>`: for a watch, its offer (what it will cost, the buttons)."""
    name = f"cmd-{uuid.uuid4().hex[:8]}"
    assert bot.command(text, user=user, response=name).status_code == 200
    bot.drain()
    (reply,) = replies_at(slack, name)
    return reply


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    blocks = message["blocks"] if isinstance(message["blocks"], list) else json.loads(message["blocks"])
    return {e["text"]["text"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def press(bot: BotServer, slack: FakeSlack, message: dict[str, Any], label: str, user: str = "U123") -> list[dict[str, Any]]:
    """`user` presses the button `label` under `message`: what partbot posted to the press's response_url."""
    b = buttons(message)[label]
    name = f"press-{uuid.uuid4().hex[:8]}"
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": "T0001"},
        "team": {"id": "T0001"},
        "channel": {"id": "C123"},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C123", "is_ephemeral": True},
        "response_url": slack.response_url(name),
        "actions": [{"type": "button", "action_id": b["action_id"], "value": b["value"], "action_ts": "1"}],
    }
    assert bot.action(payload).status_code == 200
    bot.drain()
    return replies_at(slack, name)


def make_watch(bot: BotServer, slack: FakeSlack, text: str) -> dict[str, Any]:
    """`/part <text>`, then "Start watching": the message that replaced the offer (or the refusal)."""
    offer = offer_of(bot, slack, text)
    if "Start watching" not in buttons(offer):
        return offer
    (started,) = press(bot, slack, offer, "Start watching")
    assert started.get("replace_original") is True
    return started


def check(bot: BotServer, at: float) -> None:
    assert bot.core.scheduler is not None
    report = bot.core.scheduler.check_due(at)
    assert report.ran


def test_a_watch_fires_once_stays_quiet_and_fires_again_after_it_stopped(
    watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    msg = make_watch(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    body = json.dumps(msg)
    assert "Watching" in body and "does not hold" in body and "Next check" in body and "unwatch W" in body
    billed = fake_nexar.matched_parts_billed
    assert billed == 1  # the look made to judge it at once, billed to the asker
    now = time.time()

    check(watch_bot, now + 1)  # not due yet: the answer is fresh
    assert fake_nexar.matched_parts_billed == billed

    set_market(fake_nexar, 0.18, 5000)
    check(watch_bot, now + DAY + 1)
    assert fake_nexar.matched_parts_billed == billed + 1
    first = alerts(fake_slack)
    assert len(first) == 1
    assert first[0]["channel"] == "C123" and "<@U123>" in first[0]["text"]
    blocks = json.dumps(first[0]["blocks"])
    assert "Digi-Key" in blocks and "5,000" in blocks and "$0.18" in blocks and "Stop watching" in blocks

    check(watch_bot, now + 2 * DAY + 2)  # still holds: quiet
    assert len(alerts(fake_slack)) == 1

    set_market(fake_nexar, 0.18, 10)  # too little stock: stops holding
    check(watch_bot, now + 3 * DAY + 3)
    assert len(alerts(fake_slack)) == 1

    set_market(fake_nexar, 0.19, 2000)
    check(watch_bot, now + 4 * DAY + 4)
    assert len(alerts(fake_slack)) == 2
    assert fake_nexar.matched_parts_billed == billed + 4


def test_a_lookup_by_anyone_checks_the_watch_for_free(watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    make_watch(watch_bot, fake_slack, f"watch {MPN} x100 stock")
    set_market(fake_nexar, 0.25, 0)
    watch_bot.command(MPN, user="U999", response="u999-1")
    watch_bot.drain()
    assert alerts(fake_slack) == []  # it held when made (said so then); now it stopped holding
    set_market(fake_nexar, 0.25, 500)
    watch_bot.command(f"{MPN} x5", user="U999", response="u999-2")
    watch_bot.drain()
    requests = len(fake_nexar.requests)
    check(watch_bot, time.time() + 60)  # not due: U999's lookups checked it
    assert len(fake_nexar.requests) == requests
    (alert,) = alerts(fake_slack)
    assert "500" in json.dumps(alert["blocks"])
    assert watch_bot.core.watches is not None and watch_bot.core.watches.stats.rode == 2


def test_a_watch_that_already_holds_says_so_in_the_offer_and_does_not_alert_twice(
    watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    offer = offer_of(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.30")
    text = json.dumps(offer)
    assert "already holds" in text and "Digi-Key" in text and "$0.25" in text
    assert watch_bot.core.store.watches("T0001") == []
    (started,) = press(watch_bot, fake_slack, offer, "Start watching")
    assert "holds right now" in json.dumps(started)
    watch_bot.command(MPN, user="U999", response="u999")  # someone's fresh lookup judges it: still holds
    watch_bot.drain()
    check(watch_bot, time.time() + DAY + 1)  # a paid check: still holds
    assert fake_nexar.matched_parts_billed == 3
    assert alerts(fake_slack) == []


def test_the_offer_says_what_the_watch_will_cost_before_anything_is_saved(
    watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    offer = offer_of(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    assert offer["response_type"] == "ephemeral"
    text = json.dumps(offer)
    assert "What it will cost" in text and "1 matched part" in text and "never your daily quota" in text
    assert "About 30 checks a month at the current period (one every 24 h)" in text
    assert "Watches spent 0 of 300 matched parts this month; 1 watched part" in text
    assert "does not hold" in text and "cost you 1 matched part" in text
    assert set(buttons(offer)) == {"Start watching", "Cancel"}
    assert watch_bot.core.store.watches("T0001") == []
    assert "no watches" in json.dumps(watch_bot.command("watches").json())
    assert fake_nexar.matched_parts_billed == 1  # the look that judged it, billed to the asker

    make_watch(watch_bot, fake_slack, f"watch {MPN} x10 stock")
    shared = json.dumps(offer_of(watch_bot, fake_slack, f"watch {MPN} x5 stock", user="U456"))
    assert "Shared with 1 other watch of this part: one check serves them all" in shared and "1 watched part" in shared


def test_only_the_asker_can_start_the_watch(watch_bot: BotServer, fake_slack: FakeSlack) -> None:
    offer = offer_of(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    (refused,) = press(watch_bot, fake_slack, offer, "Start watching", user="U777")
    assert "Only <@U123>" in refused["text"] and refused["replace_original"] is False
    (refused,) = press(watch_bot, fake_slack, offer, "Cancel", user="U777")
    assert "Only <@U123>" in refused["text"]
    assert watch_bot.core.store.watches("T0001") == []
    (started,) = press(watch_bot, fake_slack, offer, "Start watching")
    assert "Watching" in started["text"]
    (saved,) = watch_bot.core.store.watches("T0001")
    assert saved["user"] == "U123" and saved["id"] in started["text"]


def test_cancel_saves_nothing_and_a_later_press_does_nothing(watch_bot: BotServer, fake_slack: FakeSlack) -> None:
    offer = offer_of(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    (cancelled,) = press(watch_bot, fake_slack, offer, "Cancel")
    assert cancelled["replace_original"] is True and "Nothing was saved" in cancelled["text"]
    assert press(watch_bot, fake_slack, offer, "Start watching") == []
    assert watch_bot.core.store.watches("T0001") == []


def test_a_double_press_makes_one_watch(watch_bot: BotServer, fake_slack: FakeSlack) -> None:
    offer = offer_of(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    (started,) = press(watch_bot, fake_slack, offer, "Start watching")
    assert "Watching" in started["text"]
    assert press(watch_bot, fake_slack, offer, "Start watching") == []  # a second press does nothing
    assert press(watch_bot, fake_slack, offer, "Cancel") == []
    assert len(watch_bot.core.store.watches("T0001")) == 1


def test_two_presses_at_once_make_one_watch(watch_bot: BotServer, fake_slack: FakeSlack) -> None:
    offer = offer_of(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    b = buttons(offer)["Start watching"]
    for n in range(2):
        payload = {
            "type": "block_actions",
            "user": {"id": "U123"},
            "team": {"id": "T0001"},
            "response_url": fake_slack.response_url(f"both-{n}"),
            "actions": [{"type": "button", "action_id": b["action_id"], "value": b["value"], "action_ts": "1"}],
        }
        assert watch_bot.action(payload).status_code == 200
    watch_bot.drain()
    started = [m for n in range(2) for m in replies_at(fake_slack, f"both-{n}") if m["text"].startswith("Watching")]
    assert len(started) == 1
    assert len(watch_bot.core.store.watches("T0001")) == 1


def test_limits_are_checked_when_the_watch_is_started(watch_bot: BotServer, fake_slack: FakeSlack) -> None:
    for i in range(9):
        make_watch(watch_bot, fake_slack, f"watch {MPN} x{i + 1} stock")
    first, second = (offer_of(watch_bot, fake_slack, f"watch {MPN} x{n} stock") for n in (50, 60))  # 9 saved: both offered
    press(watch_bot, fake_slack, first, "Start watching")
    (refused,) = press(watch_bot, fake_slack, second, "Start watching")
    assert "10 watches" in refused["text"] and "offer stays" in refused["text"] and refused["replace_original"] is False
    assert len(watch_bot.core.store.watches("T0001")) == 10
    victim = watch_bot.core.store.watches("T0001")[0]["id"]
    assert "Stopped watching" in json.dumps(watch_bot.command(f"unwatch {victim}").json())
    (started,) = press(watch_bot, fake_slack, second, "Start watching")
    assert "Watching" in started["text"] and "60 in stock" in started["text"]
    assert len(watch_bot.core.store.watches("T0001")) == 10


def test_an_expired_offer_says_so(watch_bot: BotServer, fake_slack: FakeSlack) -> None:
    offer = offer_of(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    gone = copy.deepcopy(offer)
    for b in buttons(gone).values():
        b["value"] = "0" * 32 + "|U123"  # an offer the stash no longer holds
    blocks = gone["blocks"] if isinstance(gone["blocks"], list) else json.loads(gone["blocks"])
    gone["blocks"] = [b for b in blocks if b["type"] != "actions"] + [
        {"type": "actions", "elements": list(buttons(gone).values())}
    ]
    (expired,) = press(watch_bot, fake_slack, gone, "Start watching")
    assert "expired" in expired["text"]
    assert watch_bot.core.store.watches("T0001") == []


def test_watches_lists_state_and_next_check_and_unwatch_removes(
    watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    make_watch(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    make_watch(watch_bot, fake_slack, f"watch {MPN} x10 stock")
    listing = watch_bot.command("watches").json()
    assert_valid_message(listing)
    text = json.dumps(listing)
    assert "does not hold" in text and "holds" in text and "next check" in text and "last checked" in text
    assert "1 watched part" in text  # two watches, one part: one check serves both
    assert "Nothing" not in text
    usage = json.dumps(watch_bot.command("usage").json())
    assert "Watches this month" in usage
    gone = watch_bot.command(f"unwatch {MPN.lower()}").json()
    assert "Stopped watching" in json.dumps(gone)
    assert "no watches" in json.dumps(watch_bot.command("watches").json())


def test_limits_are_ten_a_user(watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    for i in range(10):
        make_watch(watch_bot, fake_slack, f"watch {MPN} x{i + 1} stock")
    refused = make_watch(watch_bot, fake_slack, f"watch {MPN} x99 stock")
    assert "10 watches" in json.dumps(refused)
    requests = len(fake_nexar.requests)
    assert requests == 10  # the refused one looked nothing up


def test_stop_watching_button_removes_only_the_owners_watch(
    watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    make_watch(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    set_market(fake_nexar, 0.10, 5000)
    check(watch_bot, time.time() + DAY + 1)
    (alert,) = alerts(fake_slack)
    blocks = alert["blocks"] if isinstance(alert["blocks"], list) else json.loads(alert["blocks"])
    button = blocks[-1]["elements"][0]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "channel": {"id": "C123"},
        "actions": [{"action_id": button["action_id"], "value": button["value"], "type": "button"}],
        "response_url": fake_slack.response_url("stop"),
    }
    watch_bot.action({**payload, "user": {"id": "U777"}})
    watch_bot.drain()
    not_yours = replies_at(fake_slack, "stop")[-1]
    assert "not one of yours" in not_yours["text"]
    watch_bot.action({**payload, "user": {"id": "U123"}})
    watch_bot.drain()
    done = replies_at(fake_slack, "stop")[-1]
    assert "Stopped watching" in done["text"]
    assert "no watches" in json.dumps(watch_bot.command("watches").json())


def test_not_a_member_says_so_and_alerts_by_dm(watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("conversations.info", "error", error="channel_not_found")
    msg = make_watch(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    assert "by DM" in json.dumps(msg)
    set_market(fake_nexar, 0.10, 5000)
    check(watch_bot, time.time() + DAY + 1)
    (alert,) = alerts(fake_slack)
    assert alert["channel"] == "U123"


def test_slack_failing_keeps_the_alert_pending_and_nexar_failing_alerts_nobody(
    watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    make_watch(watch_bot, fake_slack, f"watch {MPN} x1000 below 0.20")
    set_market(fake_nexar, 0.10, 5000)
    billed = fake_nexar.matched_parts_billed
    fake_nexar.fail_next("500", times=10)
    now = time.time()
    check(watch_bot, now + DAY + 1)
    assert alerts(fake_slack) == [] and fake_nexar.matched_parts_billed == billed
    fake_nexar.reset()
    fake_slack.fail_next("chat.postMessage", "error", error="fatal_error")
    check(watch_bot, now + 2 * DAY)  # Nexar answers; Slack fails: the alert waits
    assert fake_nexar.matched_parts_billed == 1
    listing = json.dumps(watch_bot.command("watches").json())
    assert "alert waiting to be posted" in listing
    check(watch_bot, time.time() + 30)  # not due again, but the pending alert goes out
    failed, posted = alerts(fake_slack)  # the call Slack refused, then the one it took
    assert failed["blocks"] == posted["blocks"]
    assert fake_nexar.matched_parts_billed == 1
    assert "alert waiting" not in json.dumps(watch_bot.command("watches").json())


def test_a_spent_budget_pauses_watches_and_says_so(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    set_market(fake_nexar, 0.25, 5000)
    env = bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_CACHE_TTL="0", PARTBOT_TEAM_MONTHLY_PARTS="1")
    bot = stopped(BotServer(env, fake_slack))
    try:
        make_watch(bot, fake_slack, f"watch {MPN} x1000 below 0.20")  # the team's one part
        check(bot, time.time() + DAY + 1)
        assert fake_nexar.matched_parts_billed == 1  # paused until the month ends
        listing = json.dumps(bot.command("watches").json())
        assert "paused" in listing
        assert "paused" in json.dumps(bot.command("usage").json())
    finally:
        bot.close()


def test_a_watch_made_in_a_thread_alerts_in_that_thread(
    watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    watch_bot.event(mention(f"watch {MPN} x1000 below 0.20", ts="1700000002.000200", thread_ts="1700000001.000100"))
    watch_bot.drain()
    (offer,) = [c.args for c in fake_slack.calls_to("chat.postEphemeral")]  # only the asker sees the offer
    assert offer["user"] == "U123" and offer["thread_ts"] == "1700000001.000100"
    assert watch_bot.core.store.watches("T0001") == []
    (started,) = press(watch_bot, fake_slack, offer, "Start watching")
    assert "Watching" in started["text"]
    set_market(fake_nexar, 0.10, 5000)
    check(watch_bot, time.time() + DAY + 1)
    (alert,) = alerts(fake_slack)
    assert alert["thread_ts"] == "1700000001.000100" and alert["channel"] == "C123"


def test_two_processes_on_one_redis_send_one_alert(
    tmp_path: Path, redis_url: str, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    set_market(fake_nexar, 0.25, 5000)
    env = bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_CACHE_TTL="0", REDIS_URL=redis_url)
    one, two = stopped(BotServer(env, fake_slack)), stopped(BotServer(env, fake_slack))
    try:
        make_watch(one, fake_slack, f"watch {MPN} x1000 below 0.20")
        set_market(fake_nexar, 0.10, 5000)
        at = time.time() + DAY + 1
        start = threading.Barrier(2)

        def run(bot: BotServer) -> None:
            start.wait()
            assert bot.core.scheduler is not None
            bot.core.scheduler.check_due(at)

        threads = [threading.Thread(target=run, args=(b,)) for b in (one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        later = time.time() + 10  # not due again: each process only posts what is pending
        run_again = [b.core.scheduler.check_due(later) for b in (two, one) if b.core.scheduler]
        assert all(r.ran for r in run_again)
        assert len(alerts(fake_slack)) == 1
        assert fake_nexar.matched_parts_billed == 2  # the first look, then one check
        assert "1 watched part" in json.dumps(two.command("watches").json())
    finally:
        one.close()
        two.close()


def test_a_part_nexar_does_not_know_is_not_watched(watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    msg = make_watch(watch_bot, fake_slack, "watch NOSUCHPART123 x10 stock")
    assert "knows no part" in json.dumps(msg)
    assert "no watches" in json.dumps(watch_bot.command("watches").json())


def test_the_scheduler_thread_runs_with_the_app_and_stops_on_close(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    server = BotServer(bot_env(tmp_path, fake_nexar, fake_slack), fake_slack)
    scheduler = server.core.scheduler
    assert scheduler is not None
    thread = scheduler._thread
    assert thread is not None and thread.is_alive()
    server.close()
    assert not thread.is_alive()


def test_a_replayed_watch_command_makes_one_watch(watch_bot: BotServer, fake_slack: FakeSlack) -> None:
    """A signed `/part watch` sent again within Slack's 5 minutes (a replay) offers once."""
    from tests.conftest import SIGNING_SECRET
    from tests.fakes.signing import signed_headers, slash_command_body

    body = slash_command_body("watch LM358DR x1000 stock", response_url=fake_slack.response_url("replayed"))
    headers = signed_headers(SIGNING_SECRET, body)
    for _ in range(2):
        assert watch_bot.http.post("/slack/events", content=body, headers=headers).status_code == 200
    watch_bot.drain()
    (offer,) = replies_at(fake_slack, "replayed")  # one offer; nothing saved before it is accepted
    assert watch_bot.core.store.watches("T0001") == []
    (started,) = press(watch_bot, fake_slack, offer, "Start watching")
    assert "Watching" in started["text"]
    assert len(watch_bot.core.store.watches("T0001")) == 1


def test_a_watch_asked_for_in_a_dm_is_offered_in_the_dm(
    watch_bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    from tests.test_direct_slack import dm

    watch_bot.event(dm(f"watch {MPN} x1000 below 0.20"))
    watch_bot.drain()
    (offer,) = [c.args for c in fake_slack.calls_to("chat.postMessage") if "Start watching" in json.dumps(c.args)]
    assert offer["channel"] == "D0123" and "What it will cost" in json.dumps(offer)
    assert watch_bot.core.store.watches("T0001") == []
    (started,) = press(watch_bot, fake_slack, offer, "Start watching")
    assert started["replace_original"] is True and "by DM" in started["text"] + json.dumps(started["blocks"])
    set_market(fake_nexar, 0.10, 5000)
    check(watch_bot, time.time() + DAY + 1)
    (alert,) = alerts(fake_slack)
    assert alert["channel"] == "U123"
