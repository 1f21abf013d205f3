"""BOMs bigger than a day's share, end to end: a mention with the file → the offer to price
it from the team budget → the button (signed block_actions) → fake Nexar → the summary and
CSV in the thread; quotas counted in a real SQLite file or redis-server."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.ports import Bucket, Store
from bot.service.quota import QuotaLedger, TeamBudget
from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, bot_env, mention
from tests.fakes.nexar import FakeNexar
from tests.fakes.signing import button_click
from tests.fakes.slack import FakeSlack
from tests.shared import shared_dir

FIVE = b"MPN,Qty\nAD7685ARM,2\nNE555DR,5\nLM358DR,10\nLM317T,1\nBC547B,100\nNE555DR,3\n"
WS = "T0001"


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    return {} if request.param == "sqlite" else {"REDIS_URL": request.getfixturevalue("redis_url")}


class Bots:
    def __init__(self, tmp_path: Path, nexar: FakeNexar, slack: FakeSlack, backend: dict[str, str]) -> None:
        self.tmp_path, self.nexar, self.slack, self.backend = tmp_path, nexar, slack, backend
        self.servers: list[BotServer] = []

    def start(self, **env: str) -> BotServer:
        server = BotServer(bot_env(self.tmp_path, self.nexar, self.slack, **{**self.backend, **env}), self.slack)
        self.servers.append(server)
        return server


@pytest.fixture
def bots(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, backend: dict[str, str]) -> Iterator[Bots]:
    made = Bots(tmp_path, fake_nexar, fake_slack, backend)
    try:
        yield made
    finally:
        for server in made.servers:
            server.close()


def share(bot: BotServer, slack: FakeSlack, content: bytes, name: str = "board.csv", **kw: str) -> None:
    file = slack.add_file("F" + str(abs(hash(name)) % 10_000), name, content, **kw)
    event = mention("price this", ts="1700000040.000100")
    event["files"] = [file]
    bot.event(event, event_id="Ev" + str(abs(hash(name)) % 100_000))


def last_update(slack: FakeSlack, n: int = 1) -> dict[str, Any]:
    message = slack.wait_for("chat.update", n)[n - 1].args
    assert_valid_message(message)
    return message


def button(message: dict[str, Any]) -> dict[str, Any]:
    return next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"])


def press(bot: BotServer, slack: FakeSlack, message: dict[str, Any], user: str = "U123") -> None:
    b = button(message)
    payload = button_click(
        b,
        user=user,
        team=WS,
        response_url=slack.response_url(f"press-{user}"),
        container={"type": "message", "message_ts": message["ts"], "channel_id": "C123", "is_ephemeral": False},
        message={"ts": message["ts"]},
    )
    assert bot.action(payload).status_code == 200


def uploaded_rows(slack: FakeSlack) -> list[dict[str, str]]:
    slack.wait_for("files.completeUploadExternal")
    data = next(iter(slack.uploads.values()))
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def priced_summary(slack: FakeSlack) -> str:
    """The summary shown before the CSV upload (progress updates come and go with time)."""
    slack.wait_for("files.completeUploadExternal")
    message = slack.calls_to("chat.update")[-1].args
    assert_valid_message(message)
    return json.dumps(message, ensure_ascii=False)


def spent(bot: BotServer, user: str = "U123") -> tuple[int, int, int]:
    """(the user's day, the team's month, the user's BOM allowance used) in matched parts."""
    view = bot.core.service.quota(WS, user)
    assert view is not None
    allowance = bot.core.service.ledger.user_bom_monthly - bot.core.service.ledger.bom_left(WS, user)
    return view.user_spent, view.team_spent, allowance


def offer_of(slack: FakeSlack) -> dict[str, Any]:
    message = last_update(slack)
    message["ts"] = slack.calls_to("chat.postMessage")[0].args.get("ts") or message["ts"]
    return message


def test_a_bom_over_the_daily_share_is_offered_the_team_budget_and_priced_once(
    bots: Bots, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    bot = bots.start(PARTBOT_USER_DAILY_PARTS="3")
    share(bot, fake_slack, FIVE)
    offer = last_update(fake_slack)
    assert button(offer)["text"]["text"] == "Price all 6 lines from the team budget (5 parts)"
    body = json.dumps(offer["blocks"], ensure_ascii=False)
    assert "needs more matched parts than you have left today (3 parts" in body
    assert "0 lines already cached cost nothing" in body and "your BOMs may take 300 more parts" in body
    assert fake_nexar.requests == [] and spent(bot) == (0, 0, 0), "nothing bought before the button"

    press(bot, fake_slack, offer, user="U999")
    refusal = fake_slack.wait_for("response_url")[0].args
    assert "Only <@U123>, who shared this BOM, or an admin" in refusal["text"]
    assert fake_nexar.requests == []

    press(bot, fake_slack, offer)
    rows = uploaded_rows(fake_slack)
    assert [r["mpn_asked"] for r in rows] == ["AD7685ARM", "NE555DR", "LM358DR", "LM317T", "BC547B", "NE555DR"]
    summary = priced_summary(fake_slack)
    assert "6 of 6" in summary and "this answer cost 5 matched parts" in summary
    assert fake_nexar.matched_parts_billed == 5
    assert spent(bot) == (0, 5, 5), "billed to the team's month and the user's BOM allowance, not the day"
    assert fake_slack.file_fetches == 1, "the lines were kept, not downloaded again"

    press(bot, fake_slack, offer)
    again = fake_slack.wait_for("response_url", 2)[1].args
    assert "already priced" in again["text"]
    assert fake_nexar.matched_parts_billed == 5


def test_cached_lines_are_free_and_counted_as_such(bots: Bots, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot = bots.start(PARTBOT_USER_DAILY_PARTS="3")
    bot.command("NE555DR")
    fake_slack.wait_for("response_url")
    share(bot, fake_slack, FIVE)
    offer = last_update(fake_slack)
    assert button(offer)["text"]["text"] == "Price all 6 lines from the team budget (4 parts)"
    assert "2 lines already cached cost nothing" in json.dumps(offer["blocks"])
    press(bot, fake_slack, offer)
    uploaded_rows(fake_slack)
    assert "this answer cost 4 matched parts" in priced_summary(fake_slack)
    assert spent(bot) == (1, 5, 4)


def test_a_bom_that_fits_the_day_is_priced_at_once(bots: Bots, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot = bots.start(PARTBOT_USER_DAILY_PARTS="5")
    share(bot, fake_slack, FIVE)
    assert len(uploaded_rows(fake_slack)) == 6
    assert spent(bot) == (5, 5, 0)


def test_past_the_monthly_bom_allowance_no_offer_is_made_but_an_admin_is_excepted(
    bots: Bots, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    bot = bots.start(PARTBOT_USER_DAILY_PARTS="3", PARTBOT_USER_BOM_MONTHLY_PARTS="4")
    share(bot, fake_slack, FIVE)
    refused = last_update(fake_slack)
    assert "actions" not in [b["type"] for b in refused["blocks"]]
    assert "You have 3 matched parts left today" in json.dumps(refused["blocks"])
    assert fake_nexar.requests == []
    bot.close()
    bots.servers.remove(bot)

    admin = bots.start(PARTBOT_USER_DAILY_PARTS="3", PARTBOT_USER_BOM_MONTHLY_PARTS="4", PARTBOT_ADMINS="U123")
    share(admin, fake_slack, FIVE, name="board2.csv")
    offer = last_update(fake_slack, 2)
    assert "your BOMs may take" not in json.dumps(offer["blocks"])
    press(admin, fake_slack, offer)
    uploaded_rows(fake_slack)
    assert spent(admin) == (0, 5, 0), "an admin's BOM does not use the allowance"


def test_a_bom_longer_than_the_limit_is_offered_its_first_parts_and_says_so(
    bots: Bots, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    bot = bots.start(PARTBOT_USER_DAILY_PARTS="2", PARTBOT_BOM_MAX_PARTS="3")
    share(bot, fake_slack, FIVE)
    offer = last_update(fake_slack)
    assert button(offer)["text"]["text"] == "Price the first 4 lines from the team budget (3 parts)"
    assert "It has 5 distinct parts; partbot prices at most 3" in json.dumps(offer["blocks"])
    assert "leaves out 2 lines (2 parts)" in json.dumps(offer["blocks"])
    press(bot, fake_slack, offer)
    assert [r["mpn_asked"] for r in uploaded_rows(fake_slack)] == ["AD7685ARM", "NE555DR", "LM358DR", "NE555DR"]
    summary = priced_summary(fake_slack)
    assert "Priced from the team budget (<@U123> pressed the button)" in summary
    assert "2 lines with 2 other parts were left out: only the first 3 distinct parts" in summary
    assert spent(bot) == (0, 3, 3) and fake_nexar.matched_parts_billed == 3


def test_a_bom_over_the_team_budget_too_is_refused_as_before(bots: Bots, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot = bots.start(PARTBOT_USER_DAILY_PARTS="3", PARTBOT_TEAM_MONTHLY_PARTS="4")
    share(bot, fake_slack, FIVE)
    refused = last_update(fake_slack)
    assert "actions" not in [b["type"] for b in refused["blocks"]]
    assert fake_nexar.requests == [] and spent(bot) == (0, 0, 0)


def test_a_real_bom_over_the_default_share_is_offered_the_team_budget(
    bots: Bots, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    path = shared_dir() / "realworld" / "boms" / "altium_sodaq_air_bill_of_materials.xlsx"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    bot = bots.start()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    share(bot, fake_slack, path.read_bytes(), name=path.name, filetype="xlsx", mimetype=xlsx)
    offer = last_update(fake_slack)
    label = button(offer)["text"]["text"]
    assert label.startswith("Price all 60 lines from the team budget (")
    press(bot, fake_slack, offer)
    assert len(uploaded_rows(fake_slack)) == 60
    user, team, allowance = spent(bot)
    assert user == 0 and team == allowance == fake_nexar.matched_parts_billed


# --- the ledger: the BOM allowance is reserved atomically with the team's month ---------


def test_the_bom_allowance_is_a_bucket_of_its_own_reserved_with_the_team_month(store: Store) -> None:
    ledger = QuotaLedger(store, 2, 10, 6, clock=lambda: 1_764_547_200.0)  # 2025-12-01
    capped = TeamBudget()
    assert not hasattr(ledger.reserve("T", "U1", 5, capped), "scope")
    refusal = ledger.reserve("T", "U1", 2, capped)
    assert getattr(refusal, "scope", None) == "bom" and getattr(refusal, "left", None) == 1
    assert store.spent(Bucket("T", "month:2025-12", "*team*")) == 5
    assert store.spent(Bucket("T", "day:2025-12-01", "U1")) == 0
    assert not hasattr(ledger.reserve("T", "U2", 5, TeamBudget(capped=False)), "scope")
    refusal = ledger.reserve("T", "U3", 1, capped)
    assert getattr(refusal, "scope", None) == "team", "the team's month is spent"
    assert ledger.bom_left("T", "U1") == 1 and ledger.bom_left("T", "U2") == 6


def test_the_allowance_is_checked_again_when_the_button_is_pressed(
    bots: Bots, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    bot = bots.start(PARTBOT_USER_DAILY_PARTS="3", PARTBOT_USER_BOM_MONTHLY_PARTS="6")
    other = b"MPN,Qty\nATMEGA328P-AU,1\nSTM32F103C8T6,1\n1N4148W-7-F,10\nGRM188R71H104KA93D,100\nESP32-WROOM-32E,1\n"
    share(bot, fake_slack, FIVE, name="a.csv")
    first = last_update(fake_slack, 1)
    share(bot, fake_slack, other, name="b.csv")
    second = last_update(fake_slack, 2)
    assert button(second)["text"]["text"] == "Price all 5 lines from the team budget (5 parts)"
    press(bot, fake_slack, first)
    uploaded_rows(fake_slack)
    assert spent(bot) == (0, 5, 5)
    press(bot, fake_slack, second)
    refused = fake_slack.wait_for("chat.update", 6)[5].args  # two offers, progress and summary of a, progress of b
    text = json.dumps(refused["blocks"])
    assert "Your BOMs have 1 matched part left of the team budget this month" in text
    assert spent(bot) == (0, 5, 5) and fake_nexar.matched_parts_billed == 5


def test_a_team_budget_bom_over_the_team_month_says_how_many_lines_would_fit(tmp_path: Path) -> None:
    """The user's day is spent but a team-budget BOM never spends it: what fits is the team's."""
    from bot.adapters.stores.sqlite import SQLiteStore
    from bot.domain.commands import Lookup
    from bot.domain.models import LineItem
    from bot.domain.outcomes import OverQuota
    from bot.service.lookup import LookupService
    from tests.fakes.source import FakeSource

    store = SQLiteStore(str(tmp_path / "fits.sqlite3"))
    service = LookupService(FakeSource(), store, cache_ttl=3600, user_daily=1, team_monthly=5, user_bom_monthly=100)
    assert service.lookup("T1", "U1", Lookup((LineItem("NE555DR"),))).cost == 1  # the day is spent
    items = tuple(LineItem(mpn) for mpn in ("LM358DR", "AD7685ARM", "TL072CP", "LM317T", "BC547B", "2N3904", "LM7805CT"))
    outcome = service.lookup("T1", "U1", Lookup(items), team_budget=TeamBudget(capped=True))
    assert isinstance(outcome, OverQuota) and outcome.refusal.scope == "team"
    assert outcome.fits == 4, "the team has 4 of 5 left; the user's spent day does not count here"
    store.close()
