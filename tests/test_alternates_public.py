""" "Show alternates" on public answers (a mention's thread, `--public`, a DM, a shared answer),
end to end: signed Slack requests → the bot → fake Nexar → fake Slack. Whoever presses the
button is answered privately, in the thread the button is in, and billed for it."""

from __future__ import annotations

import copy
import json
from typing import Any

from bot.messages.blocks import SHARE_ACTION
from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, mention
from tests.fakes.nexar import FakeNexar
from tests.fakes.signing import button_click
from tests.fakes.slack import FakeSlack, SlackCall

WS = "T0001"
PRESSER = "U777"


def message_of(call: SlackCall) -> dict[str, Any]:
    """A chat.* call or response_url post as a message, checked against Block Kit."""
    args = dict(call.args)
    if isinstance(args.get("blocks"), str):
        args["blocks"] = json.loads(args["blocks"])
    assert_valid_message({"text": args["text"], "blocks": args["blocks"]})
    return args


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def body(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def spent(bot: BotServer, user: str) -> int:
    view = bot.core.service.quota(WS, user)
    assert view is not None
    return view.user_spent


def press(
    bot: BotServer,
    fake_slack: FakeSlack,
    button: dict[str, Any],
    *,
    channel: str = "C123",
    ts: str = "1700000500.000100",
    thread_ts: str | None = None,
    ephemeral: bool = False,
) -> None:
    """PRESSER presses `button` on the message `ts` (a reply in `thread_ts` when given)."""
    container: dict[str, Any] = {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": ephemeral}
    message: dict[str, Any] = {"type": "message", "ts": ts, "user": "UBOT", "text": "…"}
    if thread_ts:
        container["thread_ts"] = message["thread_ts"] = thread_ts
    payload = button_click(
        {"action_id": "show_alternates", "value": button["value"]},
        user=PRESSER,
        team=WS,
        response_url=fake_slack.response_url("pressed"),
        channel=channel,
        container=container,
        message=None if ephemeral else message,
    )
    assert bot.action(payload).status_code == 200
    bot.drain()


def out_of_stock(fake_nexar: FakeNexar, mpn: str) -> None:
    """`mpn` in production, but no seller has any."""
    part = next(p for p in fake_nexar.parts if p["mpn"] == mpn)
    gone = copy.deepcopy(part)
    gone["totalAvail"] = 0
    for seller in gone["sellers"]:
        for offer in seller["offers"]:
            offer["inventoryLevel"] = 0
    fake_nexar.parts[fake_nexar.parts.index(part)] = gone


def assert_public(message: dict[str, Any]) -> None:
    assert SHARE_ACTION not in buttons(message) and "Share in channel" not in body(message)
    assert "left today" not in body(message), "a public answer never shows the asker's quota"
    assert message["blocks"][-1]["type"] == "context" and message["blocks"][-2]["type"] == "actions"


def test_a_mention_of_an_nrnd_part_offers_alternates_that_another_user_gets_privately_in_the_thread(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    bot.event(mention("MAX232CPE x50", ts="1700000100.000100"), event_id="EvAlt1")
    posted = fake_slack.wait_for("chat.postMessage")[0]
    answer = message_of(posted)
    assert posted.args["thread_ts"] == "1700000100.000100"
    assert list(buttons(answer)) == ["show_alternates"]
    assert buttons(answer)["show_alternates"]["text"]["text"] == "Show alternates"
    assert_public(answer)
    assert spent(bot, "U123") == 1

    press(bot, fake_slack, buttons(answer)["show_alternates"], thread_ts="1700000100.000100")
    [call] = fake_slack.calls_to("chat.postEphemeral")
    assert (call.args["user"], call.args["channel"], call.args["thread_ts"]) == (PRESSER, "C123", "1700000100.000100")
    shown = message_of(call)
    assert "74HC595N" in body(shown) and "for 50 pcs" in body(shown) and "the best 1 of 1 similar part" in body(shown)
    assert "Listing alternates cost 2 matched parts" in body(shown)
    assert "show_alternates" not in buttons(shown)
    assert fake_slack.calls_to("response_url") == [], "not at the response_url: that would land outside the thread"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1, "nothing public"
    assert spent(bot, PRESSER) == 2 and spent(bot, "U123") == 1, "billed to whoever pressed, not the asker"


def test_a_mention_of_an_out_of_stock_part_offers_alternates(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    out_of_stock(fake_nexar, "LM358DR")
    fake_nexar.similar = {"LM358DR": ["NE555DR"]}
    bot.event(mention("LM358DR x100", ts="1700000200.000200", thread_ts="1700000199.000100"), event_id="EvAlt2")
    answer = message_of(fake_slack.wait_for("chat.postMessage")[0])
    assert "Listed without stock" in body(answer) and "Lifecycle:* Production" in body(answer)
    assert_public(answer)

    press(bot, fake_slack, buttons(answer)["show_alternates"], thread_ts="1700000199.000100")
    call = fake_slack.calls_to("chat.postEphemeral")[0]
    assert call.args["thread_ts"] == "1700000199.000100" and call.args["user"] == PRESSER
    assert "NE555DR" in body(message_of(call))
    assert spent(bot, PRESSER) == 2


def test_an_in_stock_production_part_has_no_buttons_in_public(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.event(mention("LM358DR x100"), event_id="EvAlt3")
    answer = message_of(fake_slack.wait_for("chat.postMessage")[0])
    assert not any(b["type"] == "actions" for b in answer["blocks"])
    bot.command("NE555DR x10 --public")
    assert not any(b["type"] == "actions" for b in message_of(fake_slack.wait_for("response_url")[0])["blocks"])


def test_when_slack_refuses_the_ephemeral_in_the_thread_the_response_url_answers(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.event(mention("BC547B x10", ts="1700000300.000100"), event_id="EvAlt4")
    answer = message_of(fake_slack.wait_for("chat.postMessage")[0])
    assert ":warning: *Lifecycle: Obsolete" in body(answer)
    fake_slack.fail_next("chat.postEphemeral", "error", error="channel_not_found")
    press(bot, fake_slack, buttons(answer)["show_alternates"], thread_ts="1700000300.000100")
    shown = message_of(fake_slack.wait_for("response_url")[0])
    assert shown["response_type"] == "ephemeral" and shown["replace_original"] is False
    assert "Nexar lists no similar parts for this one (cost 1 matched part)" in body(shown)
    assert spent(bot, PRESSER) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_public_slash_answer_keeps_the_button_and_a_press_outside_a_thread_uses_the_response_url(
    bot: BotServer, fake_slack: FakeSlack
) -> None:
    bot.command("MAX232CPE x50 --public")
    answer = message_of(fake_slack.wait_for("response_url")[0])
    assert answer["response_type"] == "in_channel"
    assert list(buttons(answer)) == ["show_alternates"]
    assert_public(answer)
    press(bot, fake_slack, buttons(answer)["show_alternates"])
    shown = message_of(fake_slack.wait_for("response_url", 2)[1])
    assert shown["response_type"] == "ephemeral" and "74HC595N" in body(shown)
    assert fake_slack.calls_to("chat.postEphemeral") == []
    assert spent(bot, PRESSER) == 2


def test_a_shared_answer_keeps_show_alternates_but_not_share(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.command("MAX232CPE x50")
    private = message_of(fake_slack.wait_for("response_url")[0])
    assert set(buttons(private)) == {SHARE_ACTION, "show_alternates"}
    share = buttons(private)[SHARE_ACTION]
    payload = button_click(share, user="U123", team=WS, response_url=fake_slack.response_url("share"))
    assert bot.action(payload).status_code == 200
    shared = message_of(fake_slack.wait_for("response_url", 2)[1])
    assert shared["response_type"] == "in_channel" and "Shared by <@U123>" in body(shared)
    assert list(buttons(shared)) == ["show_alternates"]
    assert_public(shared)

    press(bot, fake_slack, buttons(shared)["show_alternates"])
    replies = [c.args for c in fake_slack.wait_for("response_url", 4)]
    shown = next(r for r in replies if r.get("response_type") == "ephemeral" and "74HC595N" in json.dumps(r.get("blocks")))
    assert shown["replace_original"] is False
    assert spent(bot, PRESSER) == 2 and spent(bot, "U123") == 1


def test_a_dm_answer_keeps_the_button(bot: BotServer, fake_slack: FakeSlack) -> None:
    event = {"type": "message", "channel": "D0123", "channel_type": "im", "user": "U123", "text": "74HC595N x20"}
    event |= {"ts": "1700000400.000100", "event_ts": "1700000400.000100"}
    bot.event(event, event_id="EvAlt5")
    answer = message_of(fake_slack.wait_for("chat.postMessage")[0])
    assert list(buttons(answer)) == ["show_alternates"]
    assert_public(answer)
