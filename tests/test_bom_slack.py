"""Real BOM files end to end: a mention with the file → fake Slack's file host → fake Nexar →
the summary in the thread and the priced CSV uploaded. Skips where the corpus is absent."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, bot_env, mention
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack
from tests.shared import shared_dir

BOMS = shared_dir() / "realworld" / "boms"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def corpus(name: str) -> bytes:
    path = BOMS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path.read_bytes()


def share(bot: BotServer, slack: FakeSlack, name: str, content: bytes, text: str = "price this", **kw: str) -> dict[str, Any]:
    file = slack.add_file("F" + str(abs(hash(name)) % 10_000), name, content, **kw)
    event = mention(text, ts="1700000040.000100")
    event["files"] = [file]
    bot.event(event, event_id="Ev" + str(abs(hash(name + text)) % 100_000))
    return event


def summary(slack: FakeSlack) -> dict[str, Any]:
    message = slack.calls_to("chat.update")[-1].args
    assert_valid_message(message)
    return message


def uploaded_rows(slack: FakeSlack) -> list[dict[str, str]]:
    slack.wait_for("files.completeUploadExternal")
    data = next(iter(slack.uploads.values()))
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_a_digikey_cart_csv_is_priced_line_by_line(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    share(bot, fake_slack, "digikey_linbus_phat.csv", corpus("digikey_linbus_phat.csv"))
    rows = uploaded_rows(fake_slack)
    assert len(rows) == 19
    assert (rows[0]["mpn_asked"], rows[0]["qty"]) == ("RPI-029", "2")
    assert rows[10]["mpn_asked"] == "PTS645SM43SMTR92 LFS", "a real MPN with a space is one part number"
    text = json.dumps(summary(fake_slack), ensure_ascii=False)
    assert "Part numbers from *Manufacturer Part Number*" in text and "quantities from *Quantity*" in text
    assert fake_nexar.requests and all("supMultiMatch" in r.query for r in fake_nexar.requests)


def test_an_easyeda_utf16_file_is_read_and_its_skips_are_said(bot: BotServer, fake_slack: FakeSlack) -> None:
    share(bot, fake_slack, "easyeda_utf16_sk6812_rs485.csv", corpus("easyeda_utf16_sk6812_rs485.csv"))
    rows = uploaded_rows(fake_slack)
    assert [r["mpn_asked"] for r in rows][:3] == ["CC0603KRX7R9BB104", "CC0603KRX7R9BB104", "JL2EDGB-50804G01"]
    assert len(rows) == 10
    message = summary(fake_slack)
    assert "4 lines without a part number" in json.dumps(message) and "4 lines without a part number" in message["text"]
    assert "manufacturers from *Manufacturer*" in json.dumps(message, ensure_ascii=False)


@pytest.fixture
def roomy_bot(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> Iterator[BotServer]:
    server = BotServer(bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_USER_DAILY_PARTS="1000"), fake_slack)
    try:
        yield server
    finally:
        server.close()


def test_an_altium_xlsx_with_not_fitted_lines_times_fifty_boards(roomy_bot: BotServer, fake_slack: FakeSlack) -> None:
    name = "altium_sodaq_air_bill_of_materials.xlsx"
    share(roomy_bot, fake_slack, name, corpus(name), text="price this x50 boards", filetype="xlsx", mimetype=XLSX)
    rows = uploaded_rows(fake_slack)
    assert len(rows) == 60
    assert (rows[0]["mpn_asked"], rows[0]["line"]) == ("NN02-220", "8")
    text = json.dumps(summary(fake_slack), ensure_ascii=False)
    assert "Sheet *Blad1*" in text and "22 lines marked do-not-populate" in text
    assert "50 boards" in text
    assert rows[0]["qty"] == "50", "every line's quantity times the board count"


def test_a_manufacturer_column_narrows_each_lines_match(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    share(bot, fake_slack, "easyeda_utf16_sk6812_rs485.csv", corpus("easyeda_utf16_sk6812_rs485.csv"))
    uploaded_rows(fake_slack)
    queries = [q for r in fake_nexar.requests for q in (r.variables or {}).get("queries") or ()]
    assert queries, "the BOM went out as supMultiMatch queries"
    assert all(q.get("manufacturer") for q in queries), queries
    assert {"mpn": "CC0603KRX7R9BB104", "manufacturer": "YAGEO"}.items() <= next(
        q for q in queries if q["mpn"] == "CC0603KRX7R9BB104"
    ).items()


def test_a_kicost_workbook_with_unsaved_formulas_is_explained(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    share(bot, fake_slack, "kicost_output_test3.xlsx", corpus("kicost_output_test3.xlsx"), filetype="xlsx", mimetype=XLSX)
    fake_slack.wait_for("chat.update")
    message = summary(fake_slack)
    assert "formula" in message["text"] and "=BoardQty*1" in message["text"]
    assert fake_nexar.requests == [], "nothing is looked up, nothing billed"


def test_a_refused_bom_names_the_columns_it_saw(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    share(bot, fake_slack, "kibom_lumenpnp_ringLight-bom.csv", corpus("kibom_lumenpnp_ringLight-bom.csv"))
    fake_slack.wait_for("chat.update")
    message = summary(fake_slack)
    assert "`Part` (it holds symbol or footprint names" in message["text"]
    assert "Nothing was looked up and nothing was billed." in json.dumps(message)
    assert fake_nexar.requests == []


@pytest.fixture
def impatient_bot(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> Iterator[BotServer]:
    server = BotServer(bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_BOM_DOWNLOAD_SECONDS="1"), fake_slack)
    try:
        yield server
    finally:
        server.close()


def test_a_slow_file_host_meets_the_download_deadline(
    impatient_bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    fake_slack.fail_next("file_download", "slow", seconds=4)
    share(impatient_bot, fake_slack, "board.csv", b"MPN,Qty\nNE555DR,2\n")
    fake_slack.wait_for("chat.update")
    message = summary(fake_slack)
    assert "took longer than 1 s" in message["text"]
    assert fake_nexar.requests == []


def test_a_bom_named_like_a_channel_ping_pings_nobody(bot: BotServer, fake_slack: FakeSlack) -> None:
    share(bot, fake_slack, "<!channel> <https://evil.example|Q3 budget>.csv", b"Designator,Value\nR1,10k\n")
    fake_slack.wait_for("chat.update")
    for call in fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update"):
        assert "<!channel>" not in call.args["text"] and "<https://evil" not in call.args["text"]
    assert "&lt;!channel&gt;" in summary(fake_slack)["text"]
