"""End to end: signed Slack requests over HTTP → the bot → fake Nexar and fake Slack."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import pytest

from tests.blockkit import assert_valid_home, assert_valid_message
from tests.conftest import SIGNING_SECRET, BotServer, mention
from tests.fakes.nexar import FakeNexar
from tests.fakes.signing import button_click, signed_headers, slash_command_body
from tests.fakes.slack import FakeSlack


def answer(slack: FakeSlack, n: int = 1) -> dict[str, Any]:
    """The n-th message posted to a response_url, validated against Block Kit."""
    call = slack.wait_for("response_url", n)[n - 1]
    assert_valid_message(call.args)
    return call.args


def block_texts(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


# --- /part -----------------------------------------------------------------------------


def test_part_command_answers_privately_from_nexar(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    resp = bot.command("AD7685ARM x250")
    assert resp.status_code == 200
    assert resp.text == ""
    msg = answer(fake_slack)
    assert msg["response_type"] == "ephemeral"
    assert msg["blocks"][0]["text"]["text"] == "AD7685ARM — Analog Devices"
    body = block_texts(msg)
    assert "for 250 pcs" in body and "Digi-Key" in body
    assert "data: Nexar/Octopart" in body and "this answer cost 1 matched part" in body
    assert "Share in channel" in body
    assert "AD7685ARM" in msg["text"]
    assert len(fake_nexar.requests) == 1
    req = fake_nexar.requests[0]
    assert req.variables["q"] == "AD7685ARM" and req.variables["limit"] == 1
    assert "AD7685ARM" not in req.query, "user text must travel in variables only"
    assert req.headers["authorization"].startswith("Bearer ")
    assert fake_nexar.matched_parts_billed == 1


def test_quick_replies_answer_in_the_ack_without_nexar(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    for text, expect in (
        ("help", "Ask about any part"),
        ("", "Ask about any part"),
        ("LM* x5", "wildcard"),
        ("AD7685 x0", "at least 1"),
    ):
        resp = bot.command(text)
        assert resp.status_code == 200
        body = resp.json()
        assert_valid_message(body)
        assert expect in json.dumps(body), text
    usage = bot.command("usage").json()
    assert "0 of 25 matched parts used" in json.dumps(usage)
    assert fake_nexar.requests == []
    assert fake_slack.calls_to("response_url") == []


def test_public_answers_in_channel_without_share_button(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.command("NE555DR x50 --public")
    msg = answer(fake_slack)
    assert msg["response_type"] == "in_channel"
    assert "Share in channel" not in block_texts(msg)


def test_several_parts_make_one_multi_match_request(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot.command("LM358DR x100, NE555DR x50; AD7685ARM x10")
    msg = answer(fake_slack)
    tables = [b for b in msg["blocks"] if b["type"] == "table"]
    assert len(tables) == 1 and len(tables[0]["rows"]) == 4
    assert len(fake_nexar.requests) == 1
    req = fake_nexar.requests[0]
    assert "supMultiMatch" in req.query
    assert [q["mpn"] for q in req.variables["queries"]] == ["LM358DR", "NE555DR", "AD7685ARM"]
    assert all(q["limit"] == 1 for q in req.variables["queries"])
    assert "this answer cost 3 matched parts" in block_texts(msg)


def test_repeat_question_is_a_free_cache_hit(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot.command("AD7685ARM x250")
    answer(fake_slack, 1)
    bot.command("ad7685arm x10")
    second = answer(fake_slack, 2)
    assert len(fake_nexar.requests) == 1
    body = block_texts(second)
    assert "cost 0 matched parts" in body and "cached" in body
    assert "for 10 pcs" in body


def share_click(button: dict[str, Any], slack: FakeSlack) -> dict[str, Any]:
    """The block_actions payload Slack sends when U999 presses `button` on an ephemeral answer."""
    return button_click(button, user="U999", team="T0001", response_url=slack.response_url("share"))


def test_share_button_posts_in_channel_without_a_new_lookup(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot.command("AD7685ARM x250", response="private")
    msg = answer(fake_slack)
    button = next(e for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"])
    resp = bot.action(share_click(button, fake_slack))
    assert resp.status_code == 200
    posts = fake_slack.wait_for("response_url", 3)
    shared = next(c.args for c in posts if c.args.get("response_type") == "in_channel")
    assert_valid_message(shared)
    assert "Shared by <@U999>" in block_texts(shared)
    assert "AD7685ARM — Analog Devices" in block_texts(shared)
    assert "Share in channel" not in block_texts(shared)
    assert len(fake_nexar.requests) == 1


# --- mentions ----------------------------------------------------------------------------


def test_mention_in_a_thread_answers_in_that_thread(bot: BotServer, fake_slack: FakeSlack) -> None:
    assert bot.event(mention("AD7685ARM x250", ts="1700000005.000200", thread_ts="1700000000.000100")).status_code == 200
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == "1700000000.000100"
    assert post.args["channel"] == "C123"
    assert_valid_message(post.args)


def test_mention_outside_a_thread_starts_one_and_reads_plain_english(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    bot.event(mention("what would 500 pcs of NE555DR cost us?", ts="1700000009.000300"))
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == "1700000009.000300"
    assert "I read this as: *NE555DR × 500*" in block_texts(post.args)
    assert fake_nexar.requests[0].variables["q"] == "NE555DR"


def test_redelivered_event_is_answered_once(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    event = mention("LM358DR x10")
    assert bot.event(event, event_id="EvDUP").status_code == 200
    fake_slack.wait_for("chat.postMessage")
    assert bot.event(event, event_id="EvDUP", retry=1).status_code == 200
    assert bot.event(event, event_id="EvDUP", retry=2).status_code == 200
    bot.event(mention("NE555DR"), event_id="EvOTHER")
    fake_slack.wait_for("chat.postMessage", 2)
    time.sleep(0.3)
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert len(fake_nexar.requests) == 2


def test_app_home_shows_recent_lookups_and_quota(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.command("AD7685ARM x250", user="U777")
    answer(fake_slack)
    bot.event(
        {"type": "app_home_opened", "user": "U777", "channel": "D1", "tab": "home", "event_ts": "1700000010.1"}, event_id="EvHOME"
    )
    call = fake_slack.wait_for("views.publish")[0]
    view = call.args["view"]
    assert call.args["user_id"] == "U777"
    assert_valid_home(view)
    text = json.dumps(view)
    assert "AD7685ARM" in text and "24 of 25 matched parts left" in text


# --- BOM -------------------------------------------------------------------------------------


def test_bom_in_a_thread_is_priced_and_uploaded(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    content = b"Ref,Mfr Part #,Qty\nU1,AD7685ARM,10\nU2,NE555DR,25\nU3,NOSUCHPART123,5\nR1,LM358DR,abc\n"
    file = fake_slack.add_file("F1", "board.csv", content)
    event = mention("price this", ts="1700000020.000100")
    event["files"] = [file]
    bot.event(event, event_id="EvBOM")
    done = fake_slack.wait_for("files.completeUploadExternal")[0]
    assert done.args["thread_ts"] == "1700000020.000100"
    assert fake_slack.file_fetches >= 1
    download = fake_slack.calls_to("file_download")[0]
    assert download.headers["Authorization"] == f"Bearer {bot.settings.slack_bot_token}"
    uploaded = next(iter(fake_slack.uploads.values()))
    rows = list(csv.DictReader(io.StringIO(uploaded.decode())))
    assert [r["mpn_asked"] for r in rows] == ["AD7685ARM", "NE555DR", "NOSUCHPART123"]
    assert rows[2]["status"] == "not found"
    summary = fake_slack.calls_to("chat.update")[-1].args
    assert_valid_message(summary)
    text = block_texts(summary)
    assert "2 of 3" in text and "LM358DR" in text and "not a whole number" in text
    assert len(fake_nexar.requests) == 1 and "supMultiMatch" in fake_nexar.requests[0].query
    bot.event({"type": "app_home_opened", "user": "U123", "channel": "D1", "tab": "home", "event_ts": "1.2"}, event_id="EvHome2")
    home = json.dumps(fake_slack.wait_for("views.publish")[0].args["view"], ensure_ascii=False)
    assert "*BOM board.csv* — 2 of 3 lines priced, total $" in home
    assert "NE555DR" not in home, "a BOM is one recent lookup, not one per line"


# --- security and failures -------------------------------------------------------------------


def test_unsigned_forged_and_stale_requests_are_refused(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    body = slash_command_body("AD7685ARM", response_url=fake_slack.response_url())
    forged = signed_headers("not-the-secret", body)
    stale = signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 600)
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    for headers in (forged, stale, unsigned):
        assert bot.http.post("/slack/events", content=body, headers=headers).status_code == 401
    time.sleep(0.2)
    assert fake_nexar.requests == [] and fake_slack.calls_to("response_url") == []


def test_healthz(bot: BotServer) -> None:
    resp = bot.http.get("/healthz")
    assert resp.status_code == 200 and resp.json()["ok"] is True


def test_ack_does_not_wait_for_a_slow_nexar(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    fake_nexar.latency = 1.5
    resp = bot.command("AD7685ARM")
    assert resp.status_code == 200
    assert fake_slack.calls_to("response_url") == [], "the ack must come back before the answer"
    answer(fake_slack)


@pytest.mark.parametrize(
    ("kind", "expect"),
    [
        ("500", "not answering"),
        ("part_limit", "used up its matched parts"),
        ("graphql_error", "rejected the query"),
        ("garbage", "not answering"),
    ],
)
def test_nexar_failures_become_friendly_messages(
    bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack, kind: str, expect: str
) -> None:
    fake_nexar.fail_next(kind, times=5)
    bot.command("AD7685ARM")
    msg = answer(fake_slack)
    assert expect in msg["text"]
    assert "Traceback" not in json.dumps(msg)
    usage = bot.command("usage").json()
    assert "0 of 25 matched parts used" in json.dumps(usage), "a failed lookup must refund its reservation"
    if kind == "part_limit":
        assert len(fake_nexar.requests) == 1, "the part-limit error is not retried"


def test_a_double_clicked_share_button_shares_once(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.command("NE555DR x10")
    msg = answer(fake_slack)
    button = next(e for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"])
    payload = share_click(button, fake_slack)
    bot.action(payload)
    fake_slack.wait_for("response_url", 3)
    bot.action(payload)
    posts = fake_slack.wait_for("response_url", 4)
    public = [c.args for c in posts if c.args.get("response_type") == "in_channel"]
    assert len(public) == 1
    assert "left today" not in block_texts(public[0]), "the channel never sees the asker's quota"
    assert "already shared" in json.dumps(posts[-1].args)


def test_public_answers_do_not_show_the_askers_quota(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.command("LM358DR --public")
    assert "left today" not in block_texts(answer(fake_slack))


def test_unreachable_response_url_falls_back_to_the_web_api(bot: BotServer, fake_slack: FakeSlack) -> None:
    from tests.conftest import free_port
    from tests.fakes.signing import signed_headers, slash_command_body

    body = slash_command_body("AD7685ARM", response_url=f"http://127.0.0.1:{free_port()}/gone")
    bot.http.post("/slack/events", content=body, headers=signed_headers(SIGNING_SECRET, body))
    assert "AD7685ARM" in json.dumps(fake_slack.wait_for("chat.postEphemeral")[0].args)


def test_bom_summary_says_which_columns_it_read(bot: BotServer, fake_slack: FakeSlack) -> None:
    file = fake_slack.add_file("F2", "nq.csv", b"Part Number,Notes\nNE555DR,timer\n")
    event = mention("price", ts="1700000030.000100")
    event["files"] = [file]
    bot.event(event, event_id="EvNoQty")
    fake_slack.wait_for("files.completeUploadExternal")
    summary = block_texts(fake_slack.calls_to("chat.update")[-1].args)
    assert "No quantity column found" in summary and "Part numbers from *Part Number*" in summary
