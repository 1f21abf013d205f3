"""Link unfurls end to end: signed `link_shared` events → the bot → fake Nexar (counting the
parts it bills) → `chat.unfurl` on the fake Slack. Nothing else may reach the channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import Lifecycle, LineItem, LookupKey, Offer, Part, PricePoint, SearchResult, Seller
from bot.domain.outcomes import PartAnswer
from bot.messages.unfurl import render_unfurl
from tests.blockkit import assert_valid_message
from tests.conftest import BotServer, bot_env
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack

DIGIKEY_LM358 = "https://www.digikey.com/en/products/detail/texas-instruments/LM358DR/404872"
MOUSER_SKU = "https://www.mouser.com/ProductDetail/595-LM358DR"
OCTOPART_ID = "https://octopart.com/lm358dr-texas+instruments-24534?r=sp"
MOUSER_NE555 = "https://www.mouser.de/ProductDetail/Texas-Instruments/NE555DR?qs=abc%3D%3D"


def link_shared(
    *urls: str, source: str = "conversations_history", user: str = "U123", ts: str = "1700000300.000100"
) -> dict[str, Any]:
    """A link_shared event as Slack sends it (in the composer, channel is "COMPOSER")."""
    composing = source == "composer"
    return {
        "type": "link_shared",
        "channel": "COMPOSER" if composing else "C123",
        "is_bot_user_member": True,
        "user": user,
        "message_ts": f"{user}-909b5454-75f8-4ac4-b325-1b40e230bbd8" if composing else ts,
        "unfurl_id": f"C123.{ts}.{abs(hash(urls)) % 10**8}",
        "source": source,
        "links": [{"domain": url.split("/")[2].removeprefix("www."), "url": url} for url in urls],
        "event_ts": ts,
    }


def drain(bot: BotServer) -> None:
    """Wait for every job already started, then stop the pool (the end of a test)."""
    bot.drain()


def spent(bot: BotServer, user: str = "U123") -> int:
    quota = bot.core.service.quota("T0001", user)
    assert quota is not None
    return quota.user_spent


def unfurls(slack: FakeSlack, count: int = 1) -> dict[str, Any]:
    call = slack.wait_for("chat.unfurl", count)[count - 1]
    value: dict[str, Any] = json.loads(call.args["unfurls"]) if isinstance(call.args["unfurls"], str) else call.args["unfurls"]
    for url, unfurl in value.items():
        assert_valid_message({"text": unfurl["fallback"], "blocks": unfurl["blocks"]}), url
    return value


def nothing_in_the_channel(slack: FakeSlack) -> None:
    assert [c.method for c in slack.calls if c.method.startswith("chat.")] == []


def test_a_digikey_link_is_unfurled_with_the_part_and_billed_to_the_poster(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    bot.event(link_shared(DIGIKEY_LM358), event_id="EvLink1")
    unfurl = unfurls(fake_slack)[DIGIKEY_LM358]
    text = json.dumps(unfurl["blocks"], ensure_ascii=False)
    assert "LM358DR" in text and "Texas Instruments" in text
    assert "Production" in text and "Total stock: 309,079" in text
    # Best authorized unit price: Digi-Key's cut tape at 1 and at 100 (LCSC is cheaper, not authorized).
    assert "1: *$0.45* at Digi-Key" in text and "100: *$0.2082* at Digi-Key" in text
    assert "LCSC" not in text
    call = fake_slack.calls_to("chat.unfurl")[0]
    assert call.args.get("source") == "conversations_history" and call.args.get("unfurl_id")
    assert fake_nexar.matched_parts_billed == 1 and spent(bot) == 1
    assert [r.found for r in bot.core.service.recent("T0001", "U123")] == ["LM358DR"], "on the poster's App Home"


def test_the_same_part_again_is_unfurled_from_the_cache_for_free(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    bot.event(link_shared(DIGIKEY_LM358), event_id="EvLink2")
    unfurls(fake_slack)
    bot.event(link_shared(DIGIKEY_LM358, ts="1700000301.000100", user="U456"), event_id="EvLink3")
    assert DIGIKEY_LM358 in unfurls(fake_slack, 2)
    assert fake_nexar.matched_parts_billed == 1
    assert spent(bot, "U456") == 0


def test_an_octopart_page_is_looked_up_by_its_part_id(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    bot.event(link_shared(OCTOPART_ID), event_id="EvLink4")
    assert "LM358DR" in json.dumps(unfurls(fake_slack)[OCTOPART_ID]["blocks"])
    (request,) = fake_nexar.requests
    assert "supParts(" in request.query and "supSearchMpn" not in request.query
    assert fake_nexar.requests[0].variables["ids"] == ["24534"]
    assert fake_nexar.matched_parts_billed == 1 and spent(bot) == 1


def test_a_mouser_sku_link_is_matched_by_the_sellers_sku(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    bot.event(link_shared(MOUSER_SKU), event_id="EvLink5")
    assert "LM358DR" in json.dumps(unfurls(fake_slack)[MOUSER_SKU]["blocks"])
    (request,) = fake_nexar.requests
    assert request.variables["queries"] == [{"sku": "595-LM358DR", "limit": 1, "reference": "0"}]
    assert fake_nexar.matched_parts_billed == 1


def test_several_links_in_one_message_are_unfurled_in_one_call(bot: BotServer, fake_slack: FakeSlack) -> None:
    bot.event(link_shared(DIGIKEY_LM358, MOUSER_NE555, "https://octopart.com/search?q=LM358"), event_id="EvLink6")
    found = unfurls(fake_slack)
    assert set(found) == {DIGIKEY_LM358, MOUSER_NE555}
    assert "NE555DR" in json.dumps(found[MOUSER_NE555]["blocks"])
    assert spent(bot) == 2


def test_a_link_being_typed_is_unfurled_from_the_cache_only(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    bot.event(link_shared(MOUSER_NE555, source="composer"), event_id="EvLink7")
    bot.command("NE555DR", response="r-ne555")
    fake_slack.wait_for("response_url")
    billed = fake_nexar.matched_parts_billed
    assert billed == 1, "only /part looked NE555DR up"
    bot.event(link_shared(MOUSER_NE555, source="composer", ts="1700000302.000100"), event_id="EvLink8")
    assert MOUSER_NE555 in unfurls(fake_slack)
    call = fake_slack.calls_to("chat.unfurl")[0]
    assert call.args["source"] == "composer" and call.args["unfurl_id"] and "channel" not in call.args
    drain(bot)
    assert len(fake_slack.calls_to("chat.unfurl")) == 1, "the uncached composer link got no unfurl"
    assert fake_nexar.matched_parts_billed == billed and spent(bot) == 1


def test_over_quota_there_is_no_unfurl_and_nothing_in_the_channel(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    server = BotServer(bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_USER_DAILY_PARTS="1"), fake_slack)
    try:
        server.event(link_shared(MOUSER_NE555), event_id="EvLink9")
        unfurls(fake_slack)
        server.event(link_shared(DIGIKEY_LM358, ts="1700000303.000100"), event_id="EvLink10")
        drain(server)
        assert len(fake_slack.calls_to("chat.unfurl")) == 1
        assert [c.method for c in fake_slack.calls if c.method.startswith("chat.")] == ["chat.unfurl"]
        assert fake_nexar.matched_parts_billed == 1 and spent(server) == 1
    finally:
        server.close()


@pytest.mark.parametrize(
    "url",
    [
        "https://www.digikey.com/en/products/detail/acme/NOSUCHPART123/1",  # Nexar finds nothing
        "https://www.digikey.com/en/products/detail/stmicroelectronics/LM358DR/404872",  # another maker's LM358DR
        "https://www.mouser.com/ProductDetail/Texas-Instruments/LM358",  # only a closest match (LM358DR)
        "https://octopart.com/nothing-acme-999999999",  # no part with that id
        "https://www.mouser.com/ProductDetail/595-NOSUCHPART",  # no offer with that SKU
    ],
)
def test_no_match_means_no_unfurl(bot: BotServer, fake_slack: FakeSlack, url: str) -> None:
    bot.event(link_shared(url), event_id="EvLink11")
    drain(bot)
    nothing_in_the_channel(fake_slack)


def test_a_url_that_names_no_part_asks_nothing(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    bot.event(link_shared("https://www.digikey.com/en/products/result?keywords=LM358"), event_id="EvLink12")
    drain(bot)
    nothing_in_the_channel(fake_slack)
    assert fake_nexar.requests == []


def test_a_nexar_failure_means_no_unfurl_and_no_error_in_the_channel(
    bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    fake_nexar.fail_next("503", times=10)
    bot.event(link_shared(DIGIKEY_LM358), event_id="EvLink13")
    drain(bot)
    nothing_in_the_channel(fake_slack)
    assert spent(bot) == 0


@pytest.fixture
def sample_bot(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[BotServer]:
    server = BotServer(bot_env(tmp_path, None, fake_slack), fake_slack)
    try:
        yield server
    finally:
        server.close()


def test_offline_the_unfurl_says_it_is_sample_data(sample_bot: BotServer, fake_slack: FakeSlack) -> None:
    sample_bot.event(link_shared(OCTOPART_ID), event_id="EvLink14")
    assert "sample catalog" in json.dumps(unfurls(fake_slack)[OCTOPART_ID]["blocks"])


# --- the renderer ------------------------------------------------------------------------------


def _answer(bot: BotServer, fetched_at: float) -> PartAnswer:
    result = bot.core.source.search_mpn(LookupKey("LM358DR"), 1)
    return PartAnswer(LineItem("LM358DR"), result, None, fetched_at, True)


def test_an_answer_older_than_the_cache_is_marked_stale_with_its_age(sample_bot: BotServer) -> None:
    now = 1_800_000_000.0
    fresh = json.dumps(render_unfurl(_answer(sample_bot, now - 600), now=now, fresh_for=21600, sample=False)["blocks"])
    assert "cached 10 min ago" in fresh and "stale" not in fresh
    old = json.dumps(render_unfurl(_answer(sample_bot, now - 3 * 86400), now=now, fresh_for=21600, sample=False)["blocks"])
    assert "*stale*" in old and "3.0 days ago" in old


def test_an_obsolete_part_is_flagged_and_a_minimum_order_said() -> None:
    offer = Offer(
        sku="A-1",
        inventory_level=5000,
        moq=2500,
        packaging="Reel",
        click_url="https://example.com/a",
        updated=None,
        prices=(PricePoint(2500, Decimal("0.0123"), "USD"),),
    )
    part = Part(
        mpn="MAX232CPE",
        manufacturer="Maxim <Integrated>",
        lifecycle=Lifecycle.OBSOLETE,
        lifecycle_text="Obsolete",
        total_avail=None,
        sellers=(Seller("Arrow", True, False, (offer,)), Seller("Broker & Co", False, True, (offer,))),
    )
    answer = PartAnswer(LineItem("MAX232CPE"), SearchResult(part, 1), None, 1_800_000_000.0, False)
    unfurl = render_unfurl(answer, now=1_800_000_000.0, fresh_for=21600, sample=False)
    assert_valid_message({"text": unfurl["fallback"], "blocks": unfurl["blocks"]})
    text = json.dumps(unfurl["blocks"], ensure_ascii=False)
    assert ":warning: *Obsolete*" in text
    assert "Maxim &lt;Integrated&gt;" in text, "mrkdwn escaped"
    assert "Total stock: unknown" in text, "no totalAvail is unknown, not zero"
    assert "1: *$0.0123* at Arrow _(buying 2,500: minimum order)_" in text
    assert "Broker" not in text, "authorized sellers only"
