"""The message shortcut "Price these parts" (`price_message`) end to end: the message's text
or its BOM is priced for the user alone, through the payload's response_url (which works
where partbot is not a member); a priced BOM's CSV goes to the user's DM with partbot."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.blockkit import assert_valid_message
from tests.conftest import BotServer
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack, SlackCall


def shortcut(slack: FakeSlack, message: dict[str, Any], name: str = "sc1") -> dict[str, Any]:
    """A message_action payload as Slack sends it, from a channel partbot is not in."""
    return {
        "type": "message_action",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "action_ts": "1700000500.123456",
        "team": {"id": "T0001", "domain": "partbot-test"},
        "user": {"id": "U123", "username": "alice", "team_id": "T0001", "name": "alice"},
        "channel": {"id": "C999", "name": "hw-team"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "price_message",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "response_url": slack.response_url(name),
        "message_ts": message["ts"],
        "message": {"type": "message", "user": "U777", **message},
    }


def answers(slack: FakeSlack, count: int = 1) -> list[SlackCall]:
    calls = slack.wait_for("response_url", count)
    for call in calls:
        assert call.args["response_type"] == "ephemeral" and call.args["replace_original"] is False
        assert_valid_message({"text": call.args["text"], "blocks": call.args.get("blocks") or []})
    return calls


def spent(bot: BotServer) -> int:
    quota = bot.core.service.quota("T0001", "U123")
    assert quota is not None
    return quota.user_spent


def test_the_parts_in_a_message_are_priced_privately(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    message = {"ts": "1700000500.000100", "text": "Can we still get *LM358DR* x100 and `NE555DR` x50 before Friday?"}
    assert bot.action(shortcut(fake_slack, message)).status_code == 200
    (call,) = answers(fake_slack)
    text = json.dumps(call.args, ensure_ascii=False)
    assert "LM358DR" in text and "NE555DR" in text
    assert "share_answer" in text, "the private answer can be shared with the channel"
    assert [c.method for c in fake_slack.calls if c.method.startswith("chat.")] == [], "nothing posted: the bot is no member"
    assert spent(bot) == 2 and fake_nexar.matched_parts_billed == 2


def test_a_message_in_a_thread_is_answered_the_same_way(bot: BotServer, fake_slack: FakeSlack) -> None:
    message = {"ts": "1700000501.000200", "thread_ts": "1700000501.000100", "text": "<@U777> LM358DR x2.5k?"}
    bot.action(shortcut(fake_slack, message))
    (call,) = answers(fake_slack)
    assert "LM358DR" in call.args["text"]


def test_a_message_without_part_numbers_gets_a_clear_private_message(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    bot.action(shortcut(fake_slack, {"ts": "1700000502.000100", "text": "lunch at noon, anyone?"}, name="sc-none"))
    bot.action(shortcut(fake_slack, {"ts": "1700000503.000100", "text": ""}, name="sc-empty"))
    calls = {c.path.rsplit("/", 1)[-1]: json.dumps(c.args) for c in answers(fake_slack, 2)}
    assert "could not find a part number" in calls["sc-none"] and "Price these parts" in calls["sc-none"]
    assert "no text or BOM file" in calls["sc-empty"]
    assert fake_nexar.requests == [] and spent(bot) == 0


def test_a_bom_on_the_message_is_priced_privately_and_its_csv_sent_by_dm(bot: BotServer, fake_slack: FakeSlack) -> None:
    file = fake_slack.add_file("FSC1", "amp-board.csv", b"Manufacturer Part Number,Quantity\nLM358DR,10\nNE555DR,4\n")
    message = {"ts": "1700000504.000100", "text": "here is the BOM for rev B", "files": [file]}
    bot.action(shortcut(fake_slack, message, name="sc-bom"))
    fake_slack.wait_for("files.completeUploadExternal")
    progress, summary = answers(fake_slack, 2)
    assert "amp-board.csv" in progress.args["text"]
    assert "amp-board.csv" in json.dumps(summary.args) and "2" in summary.args["text"]
    assert fake_slack.calls_to("conversations.open")[0].args["users"] == "U123"
    assert fake_slack.calls_to("files.completeUploadExternal")[0].args["channel_id"] == "D123"
    rows = list(csv.DictReader(io.StringIO(next(iter(fake_slack.uploads.values())).decode("utf-8"))))
    assert [(r["mpn_asked"], r["qty"]) for r in rows] == [("LM358DR", "10"), ("NE555DR", "4")]
    assert [c.method for c in fake_slack.calls if c.method.startswith("chat.")] == []
    assert spent(bot) == 2


def test_a_spreadsheet_it_cannot_read_is_said_privately(bot: BotServer, fake_slack: FakeSlack) -> None:
    file = fake_slack.add_file(
        "FSC2", "bom.ods", b"PK\x03\x04", filetype="ods", mimetype="application/vnd.oasis.opendocument.spreadsheet"
    )
    bot.action(shortcut(fake_slack, {"ts": "1700000505.000100", "text": "", "files": [file]}))
    (call,) = answers(fake_slack)
    assert "bom.ods" in json.dumps(call.args) and "CSV" in json.dumps(call.args)


def test_a_file_slack_will_not_give_is_said_privately(bot: BotServer, fake_slack: FakeSlack) -> None:
    """A Slack Connect file stub that files.info does not resolve: said, not silently skipped."""
    stub = {
        "id": "FNOTHERE",
        "mode": "file_access",
        "file_access": "check_file_info",
        "created": 0,
        "timestamp": 0,
        "user": "U777",
    }
    bot.action(shortcut(fake_slack, {"ts": "1700000506.000100", "text": "bom attached", "files": [stub]}))
    (call,) = answers(fake_slack)
    assert "could not open the file" in json.dumps(call.args)
