"""Slack formatting injection: values from users, files and Nexar never become mentions or
links in any field Slack parses as mrkdwn (every `text` fallback, every mrkdwn block, an
upload's initial comment), and stay readable where Slack shows text as written."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapters.part_json import parse_part
from bot.domain.bom import Bom, BomLine
from bot.domain.commands import Invalid
from bot.domain.models import LineItem, Options, SearchResult
from bot.domain.outcomes import Answer, Failed, OverQuota, PartAnswer, Refusal
from bot.messages.answer import render_answer
from bot.messages.bom import render_bom_error, render_bom_progress, render_bom_summary, render_outcome_problem, upload_comment
from bot.messages.replies import render_failed, render_invalid
from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, mention
from tests.fakes.nexar import FakeNexar, load_sample_parts
from tests.fakes.slack import FakeSlack

PING = "<!channel>"
HERE = "<!here>"
DISGUISED = "<https://evil.example|Q3 budget>"
EVIL_FILE = f"{PING} {DISGUISED}.csv"
HOSTILE = (PING, HERE, DISGUISED, "<@U0BOSS>", "<#C0SECRET>", "<!subteam^S123>")

# What partbot itself writes inside angle brackets: dates, the sharer, links to http(s) URLs.
OWN_MARKUP = re.compile(r"<!date\^\d+\^[^|<>]*\|[^<>]*>|<@U999>|<https?://[^|<>\s]+\|[^<>]*>|<https?://[^|<>\s]+>")


def mrkdwn_texts(message: dict[str, Any]) -> Iterator[str]:
    """Every string Slack parses as mrkdwn: the `text` fallback and each mrkdwn text object."""
    if "text" in message and isinstance(message["text"], str):
        yield message["text"]

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                yield node["text"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(message.get("blocks", []))


def shown_as_written(message: dict[str, Any]) -> str:
    """plain_text and table raw_text: Slack shows these exactly as sent."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "raw_text") and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(out)


def assert_no_injection(message: dict[str, Any]) -> None:
    for text in mrkdwn_texts(message):
        for link in re.findall(r"<https?://[^|<>\s]+", text):
            assert "evil.example" not in link, text
        leftover = OWN_MARKUP.sub("", text)
        assert "<" not in leftover and ">" not in leftover, text


# --- a hostile part, as Nexar could send it -----------------------------------------------


def hostile_part_json() -> dict[str, Any]:
    part = copy.deepcopy(next(p for p in load_sample_parts() if p["mpn"] == "NE555DR"))
    part["mpn"] = "EVIL555"
    part["manufacturer"] = {"name": f"{PING} Instruments"}
    part["shortDescription"] = f"Timer {HERE} see {DISGUISED} & <b>"
    for spec in part["specs"]:
        if spec["attribute"]["shortname"] == "lifecyclestatus":
            spec["displayValue"] = f"EOL {HERE}"
    seller = part["sellers"][0]
    seller["company"]["name"] = f"{HERE} {DISGUISED} <@U0BOSS>"
    seller["isAuthorized"], seller["isBroker"] = True, False
    offer = seller["offers"][0]
    offer["packaging"] = f"{PING} reel"
    offer["inventoryLevel"] = 10**7
    offer["prices"] = [{"quantity": 1, "price": 0.0001, "currency": "USD"}]
    return part


def _answer(*parts: dict[str, Any], qty: int = 10) -> Answer:
    answers = tuple(PartAnswer(LineItem(f"{p['mpn']}", qty), SearchResult(parse_part(p), 1)) for p in parts)
    return Answer(answers, Options(all_sellers=True), len(answers), None, False, 0.0, understood=f"{HERE} × 3")


def test_a_hostile_part_is_escaped_in_every_mrkdwn_field_of_a_single_answer() -> None:
    msg = render_answer(_answer(hostile_part_json()), share_value="k").to_dict()
    assert_valid_message(msg)
    assert_no_injection(msg)
    assert "&lt;!here&gt;" in msg["text"] and "&lt;!channel&gt;" in msg["text"]
    # The header is plain_text: shown as written, so readable and harmless.
    assert f"EVIL555 — {PING} Instruments" in shown_as_written(msg)


def test_a_hostile_part_is_escaped_in_a_multi_part_answer() -> None:
    other = copy.deepcopy(hostile_part_json())
    other["mpn"] = "EVIL556"
    msg = render_answer(_answer(hostile_part_json(), other)).to_dict()
    assert_valid_message(msg)
    assert_no_injection(msg)
    assert HERE in shown_as_written(msg), "table cells are raw_text: readable as written"


def test_a_public_copy_is_escaped_too() -> None:
    msg = render_answer(_answer(hostile_part_json()), public=True).to_dict()
    assert_no_injection(msg)


@pytest.mark.parametrize(
    "message",
    [
        lambda: render_bom_progress(EVIL_FILE, 0, 0),
        lambda: render_bom_progress(EVIL_FILE, 3, 9),
        lambda: render_bom_error(EVIL_FILE, f"column {PING} is empty"),
        lambda: render_outcome_problem(
            OverQuota(Refusal("user", 30, 25, datetime(2027, 1, 1, tzinfo=UTC)), (LineItem("A"),) * 30, 25), EVIL_FILE
        ),
        lambda: render_outcome_problem(Failed(f"Nexar said {HERE}", (LineItem(DISGUISED),)), EVIL_FILE),
        lambda: render_failed(Failed(f"Nexar said {HERE}", (LineItem(DISGUISED),))),
        lambda: render_invalid(Invalid(f"{PING} is not a part number", f"try {DISGUISED}")),
    ],
)
def test_replies_escape_what_they_echo(message: Any) -> None:
    msg = message().to_dict()
    assert_valid_message(msg)
    assert_no_injection(msg)


def test_a_bom_summary_escapes_its_file_name_and_every_line() -> None:
    hostile = hostile_part_json()
    answer = _answer(hostile, qty=10**6)
    bom = Bom(
        lines=(BomLine(2, LineItem("EVIL555", 10**6)),),
        mpn_column=f"{PING} MPN",
        qty_column=DISGUISED,
        problems=(f"line 3: {HERE} is not a quantity",),
        skipped_blank=0,
    )
    msg = render_bom_summary(answer, bom, EVIL_FILE).to_dict()
    assert_valid_message(msg)
    assert_no_injection(msg)
    assert EVIL_FILE in shown_as_written(msg)


def test_the_upload_comment_helper_escapes_the_file_name() -> None:
    comment = upload_comment(EVIL_FILE)
    assert_no_injection({"text": comment})
    assert "&lt;!channel&gt;" in comment


# --- end to end: Slack → partbot → fake Nexar → fake Slack ---------------------------------


def _posted(slack: FakeSlack) -> list[dict[str, Any]]:
    out = []
    for method in ("response_url", "chat.postMessage", "chat.update", "chat.postEphemeral"):
        out += [c.args for c in slack.calls_to(method)]
    return out


def test_a_hostile_nexar_answer_and_its_share_are_escaped_end_to_end(
    bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    from tests.test_e2e_slack import share_click

    fake_nexar.parts.append(hostile_part_json())
    bot.command("EVIL555 x10 --all", response="private")
    private = fake_slack.wait_for("response_url")[0].args
    assert_valid_message(private)
    assert "EVIL555" in private["text"]
    button = next(e for b in private["blocks"] if b["type"] == "actions" for e in b["elements"])
    bot.action(share_click(button, fake_slack))
    posts = fake_slack.wait_for("response_url", 3)
    shared = next(c.args for c in posts if c.args.get("response_type") == "in_channel")
    assert_valid_message(shared)
    assert "Shared by <@U999>" in json.dumps(shared)
    for message in _posted(fake_slack):
        assert_no_injection(message)
    assert HERE in shown_as_written(shared) or PING in shown_as_written(shared)


def test_a_hostile_bom_file_name_pings_nobody_end_to_end(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    fake_nexar.parts.append(hostile_part_json())
    content = b"Ref,Mfr Part #,Qty\nU1,EVIL555,10\nU2,NE555DR,abc\n"
    file = fake_slack.add_file("F9", EVIL_FILE, content)
    event = mention("price this", ts="1700000040.000100")
    event["files"] = [file]
    bot.event(event, event_id="EvEVIL")
    done = fake_slack.wait_for("files.completeUploadExternal")[0]
    comment = str(done.args.get("initial_comment", ""))
    assert comment, "the upload carries an initial comment"
    assert_no_injection({"text": comment})
    messages = _posted(fake_slack)
    assert messages
    for message in messages:
        assert_no_injection(message)
    summary = fake_slack.calls_to("chat.update")[-1].args
    assert_valid_message(summary)
    assert "&lt;!channel&gt;" in summary["text"]
