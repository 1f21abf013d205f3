"""Direct messages to partbot (`message.im`) end to end: answered like a mention, in the DM;
partbot's own messages, edits and other bots are not answered."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, bot_env
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack


def dm(text: str, ts: str = "1700000400.000100", **fields: Any) -> dict[str, Any]:
    """A message.im event as Slack sends it."""
    event = {"type": "message", "channel": "D0123", "channel_type": "im", "user": "U123", "text": text, "ts": ts, "event_ts": ts}
    event.update(fields)
    return event


def drain(bot: BotServer) -> None:
    bot.drain()


def spent(bot: BotServer, user: str) -> int:
    quota = bot.core.service.quota("T0001", user)
    assert quota is not None
    return quota.user_spent


def test_a_dm_is_answered_in_the_dm(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    bot.event(dm("what would 100 pcs of LM358DR cost?"), event_id="EvDm1")
    post = fake_slack.wait_for("chat.postMessage")[0].args
    assert post["channel"] == "D0123" and "thread_ts" not in post, "a DM is answered in the DM, not in a thread"
    assert_valid_message({"text": post["text"], "blocks": post["blocks"]})
    assert "LM358DR" in post["text"]
    assert spent(bot, "U123") == 1 and fake_nexar.matched_parts_billed == 1


def test_a_reply_in_a_dm_thread_is_answered_in_that_thread(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.event(dm("NE555DR x50", ts="1700000401.000200", thread_ts="1700000401.000100"), event_id="EvDm2")
    post = fake_slack.wait_for("chat.postMessage")[0].args
    assert (post["channel"], post["thread_ts"]) == ("D0123", "1700000401.000100")


@pytest.mark.parametrize(("text", "needle"), [("help", "Ask about any part"), ("is it raining?", "could not find a part number")])
def test_help_and_problems_are_posted_in_the_dm_itself(bot: BotServer, fake_slack: FakeSlack, text: str, needle: str) -> None:
    bot.event(dm(text), event_id="EvDm3")
    post = fake_slack.wait_for("chat.postMessage")[0].args
    assert post["channel"] == "D0123" and needle in json.dumps(post)
    assert fake_slack.calls_to("chat.postEphemeral") == []


@pytest.mark.parametrize(
    "event",
    [
        dm("LM358DR", user="UBOT", bot_id="B0001"),  # partbot's own answer
        dm("LM358DR", subtype="bot_message", bot_id="B0001", user=None),
        dm("LM358DR", subtype="message_changed", message={"text": "LM358DR x5", "user": "U123"}),  # an edit
        dm("LM358DR", subtype="message_deleted"),
        dm("LM358DR", subtype="bot_message", bot_id="B777", app_id="A777", user=None),  # another app's bot
        dm("LM358DR", channel_type="channel", channel="C123"),  # not a DM
        dm("", subtype="file_share", user="UBOT", files=[{"id": "F1", "name": "x-priced.csv", "filetype": "csv"}]),
    ],
)
def test_what_is_not_a_question_to_partbot_is_ignored(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar, event: dict[str, Any]
) -> None:
    bot.event({k: v for k, v in event.items() if v is not None}, event_id="EvDm4")
    drain(bot)
    assert [c.method for c in fake_slack.calls if c.method.startswith("chat.")] == []
    assert fake_nexar.requests == []


def test_a_mention_in_a_dm_is_answered_once(bot: BotServer, fake_slack: FakeSlack) -> None:
    """Slack sends both app_mention and message.im for it; the DM listener answers."""
    bot.event(dm("<@UBOT> LM358DR"), event_id="EvDm7")
    mention = {**dm("<@UBOT> LM358DR"), "type": "app_mention"}
    del mention["channel_type"]
    bot.event(mention, event_id="EvDm8")
    drain(bot)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 1 and "thread_ts" not in posts[0].args


@pytest.fixture
def allowing_bot(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> Iterator[BotServer]:
    server = BotServer(bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_ALLOWED_BOTS="B777"), fake_slack)
    try:
        yield server
    finally:
        server.close()


def test_an_allowed_bot_is_answered_in_the_dm_and_billed_as_itself(allowing_bot: BotServer, fake_slack: FakeSlack) -> None:
    event = dm("LM358DR", subtype="bot_message", bot_id="B777", app_id="A777")
    del event["user"]
    allowing_bot.event(event, event_id="EvDm5")
    assert fake_slack.wait_for("chat.postMessage")[0].args["channel"] == "D0123"
    assert spent(allowing_bot, "B777") == 1


def test_a_bom_shared_in_a_dm_is_priced_there(bot: BotServer, fake_slack: FakeSlack) -> None:
    file = fake_slack.add_file("FDM1", "board.csv", b"MPN,Qty\r\nLM358DR,10\r\nNE555DR,5\r\n")
    bot.event(dm("", subtype="file_share", files=[file]), event_id="EvDm6")
    fake_slack.wait_for("files.completeUploadExternal")
    first = fake_slack.calls_to("chat.postMessage")[0].args
    assert first["channel"] == "D0123" and "thread_ts" not in first
    assert all(c.args["channel"] == "D0123" for c in fake_slack.calls_to("chat.update"))
    upload = fake_slack.calls_to("files.completeUploadExternal")[0].args
    assert upload["channel_id"] == "D0123"
    rows = list(csv.DictReader(io.StringIO(next(iter(fake_slack.uploads.values())).decode("utf-8"))))
    assert [(r["mpn_asked"], r["qty"]) for r in rows] == [("LM358DR", "10"), ("NE555DR", "5")]
    assert spent(bot, "U123") == 2
