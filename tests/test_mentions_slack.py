"""Mentions and `/part` as real Slack sends them: other bots, private replies, Slack Connect
file stubs, spreadsheets, and sentences typed into `/part`. Signed HTTP against the fakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import ConfigError, Settings
from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, bot_env, mention
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack, SlackCall


def bot_mention(text: str, ts: str = "1700000100.000100", **ids: str) -> dict[str, Any]:
    """An app_mention from another app's bot: no `user`, a `bot_id` and an `app_id`."""
    return {
        "type": "app_mention",
        "subtype": "bot_message",
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": "C123",
        "event_ts": ts,
        "username": "Other bot",
        "bot_id": ids.get("bot_id", "B777"),
        "app_id": ids.get("app_id", "A777"),
    }


@pytest.fixture
def allowing_bot(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> Iterator[BotServer]:
    server = BotServer(bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_ALLOWED_BOTS="B777, A888"), fake_slack)
    try:
        yield server
    finally:
        server.close()


def spent(bot: BotServer, user: str) -> int:
    quota = bot.core.service.quota("T0001", user)
    assert quota is not None
    return quota.user_spent


def drain(bot: BotServer) -> None:
    """Wait for every job already started (listeners start theirs before the ack)."""
    bot.drain()


# --- other bots -------------------------------------------------------------------------------


def test_a_mention_from_another_bot_is_ignored_and_bills_nobody(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    assert bot.event(bot_mention("AD7685ARM x250"), event_id="EvBot1").status_code == 200
    drain(bot)
    assert [c.method for c in fake_slack.calls if c.method.startswith("chat.")] == []
    assert fake_nexar.requests == []
    assert spent(bot, "") == 0 and spent(bot, "B777") == 0


@pytest.mark.parametrize(("ids", "billed"), [({"bot_id": "B777"}, "B777"), ({"bot_id": "B999", "app_id": "A888"}, "A888")])
def test_an_allowed_bot_is_answered_and_billed_as_itself(
    allowing_bot: BotServer, fake_slack: FakeSlack, ids: dict[str, str], billed: str
) -> None:
    allowing_bot.event(bot_mention("AD7685ARM x250", **ids), event_id="EvBot2")
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == "1700000100.000100"
    assert "AD7685ARM" in post.args["text"]
    assert spent(allowing_bot, billed) == 1
    assert spent(allowing_bot, "") == 0


def test_an_allowed_bot_gets_help_in_the_thread_not_ephemerally(allowing_bot: BotServer, fake_slack: FakeSlack) -> None:
    # A bot cannot see an ephemeral message.
    allowing_bot.event(bot_mention("help"), event_id="EvBot3")
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert "Ask about any part" in json.dumps(post.args)
    assert fake_slack.calls_to("chat.postEphemeral") == []


def test_a_person_in_a_bot_message_subtype_thread_is_still_answered(bot: BotServer, fake_slack: FakeSlack) -> None:
    event = mention("LM358DR x100", ts="1700000200.000100", thread_ts="1700000199.000100")
    event["subtype"] = "bot_message"  # as Slack's own fixture has it, with a `user`
    bot.event(event, event_id="EvThreadUser")
    assert fake_slack.wait_for("chat.postMessage")[0].args["thread_ts"] == "1700000199.000100"


def test_allowed_bots_setting() -> None:
    assert Settings.from_mapping({"PARTBOT_ALLOWED_BOTS": "B012ABC, A0XYZ9"}).allowed_bots == {"B012ABC", "A0XYZ9"}
    assert Settings.from_mapping({}).allowed_bots == frozenset()
    with pytest.raises(ConfigError) as err:
        Settings.from_mapping({"PARTBOT_ALLOWED_BOTS": "U123,bot"})
    assert "PARTBOT_ALLOWED_BOTS" in str(err.value) and "U123" in str(err.value)


# --- private replies to mentions ------------------------------------------------------------------


def ephemeral(fake_slack: FakeSlack) -> SlackCall:
    call = fake_slack.wait_for("chat.postEphemeral")[0]
    blocks = call.args.get("blocks")
    assert_valid_message({"text": call.args["text"], "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks})
    return call


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("help", "Ask about any part"),
        ("", "Ask about any part"),
        ("usage", "matched parts"),
        ("is it everything a river should be?", "could not find a part number"),
        ("LM358 x10O", "x10O"),
    ],
)
def test_help_usage_and_could_not_read_go_to_the_asker_alone(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar, text: str, needle: str
) -> None:
    bot.event(mention(text, ts="1700000300.000100", thread_ts="1700000299.000100"), event_id="EvPriv")
    call = ephemeral(fake_slack)
    assert call.args["user"] == "U123" and call.args["channel"] == "C123"
    assert call.args["thread_ts"] == "1700000299.000100"
    assert needle in json.dumps(call.args, ensure_ascii=False)
    drain(bot)
    assert fake_slack.calls_to("chat.postMessage") == [] and fake_nexar.requests == []


def test_an_answer_stays_public_in_the_thread(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.event(mention("`AD7685ARM` x250", ts="1700000400.000100"), event_id="EvPub")
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == "1700000400.000100"
    assert "AD7685ARM" in post.args["text"]
    drain(bot)
    assert fake_slack.calls_to("chat.postEphemeral") == []


def test_a_refused_ephemeral_falls_back_to_the_thread(bot: BotServer, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postEphemeral", "error", error="user_not_in_channel")
    bot.event(mention("help", ts="1700000500.000100"), event_id="EvEphFail")
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == "1700000500.000100" and "Ask about any part" in json.dumps(post.args)


# --- files -------------------------------------------------------------------------------------------


def stub(file_id: str) -> dict[str, Any]:
    """A Slack Connect file as the event carries it."""
    return {"id": file_id, "mode": "file_access", "file_access": "check_file_info", "created": 0, "timestamp": 0, "user": ""}


def test_a_slack_connect_stub_is_resolved_and_priced(bot: BotServer, fake_slack: FakeSlack) -> None:
    fake_slack.add_file("FCONNECT1", "board.csv", b"MPN,Qty\nAD7685ARM,10\nNE555DR,25\n")
    event = mention("price this x2 boards", ts="1700000600.000100")
    event["files"] = [stub("FCONNECT1")]
    bot.event(event, event_id="EvConnect")
    done = fake_slack.wait_for("files.completeUploadExternal")[0]
    assert done.args["thread_ts"] == "1700000600.000100"
    assert fake_slack.calls_to("files.info")[0].args["file"] == "FCONNECT1"
    assert fake_slack.file_fetches == 1


def test_a_stub_that_is_a_picture_reads_the_text_instead(bot: BotServer, fake_slack: FakeSlack) -> None:
    fake_slack.add_file("FPIC", "photo.png", b"\x89PNG....", filetype="png", mimetype="image/png")
    event = mention("NE555DR x10", ts="1700000700.000100")
    event["files"] = [stub("FPIC")]
    bot.event(event, event_id="EvConnectPng")
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert "NE555DR" in post.args["text"] and fake_slack.file_fetches == 0


def test_a_stub_files_info_cannot_resolve_is_said_privately(bot: BotServer, fake_slack: FakeSlack) -> None:
    event = mention("price this", ts="1700000850.000100")
    event["files"] = [stub("FGONE")]
    bot.event(event, event_id="EvConnectGone2")
    call = ephemeral(fake_slack)
    assert "could not open the file" in call.args["text"] and call.args["thread_ts"] == "1700000850.000100"


def test_a_stub_files_info_cannot_resolve_reads_the_text(bot: BotServer, fake_slack: FakeSlack) -> None:
    event = mention("NE555DR x10", ts="1700000800.000100")
    event["files"] = [stub("FGONE")]
    bot.event(event, event_id="EvConnectGone")
    assert "NE555DR" in fake_slack.wait_for("chat.postMessage")[0].args["text"]
    assert fake_slack.calls_to("files.info")[0].args["file"] == "FGONE"


# --- /part reads sentences -----------------------------------------------------------------------------


def test_part_reads_a_sentence_and_says_what_it_understood(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    assert bot.command("what would 500 NE555DR cost?").text == ""
    msg = fake_slack.wait_for("response_url")[0].args
    assert_valid_message(msg)
    assert "I read this as: *NE555DR × 500*" in json.dumps(msg["blocks"], ensure_ascii=False)
    assert fake_nexar.requests[0].variables["q"] == "NE555DR"


@pytest.mark.parametrize(("text", "needle"), [("LM358 x10O", "`x10O` is not a quantity"), ("support start", "could not find")])
def test_part_grammar_mistakes_and_empty_sentences_answer_in_the_ack(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar, text: str, needle: str
) -> None:
    body = bot.command(text).json()
    assert_valid_message(body)
    assert needle in json.dumps(body)
    assert fake_nexar.requests == [] and fake_slack.calls_to("response_url") == []


def test_part_in_a_code_block_is_priced_as_written(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    bot.command("```LM358DR x100\nNE555DR x50```")
    fake_slack.wait_for("response_url")
    assert [q["mpn"] for q in fake_nexar.requests[0].variables["queries"]] == ["LM358DR", "NE555DR"]
