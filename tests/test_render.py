"""Block Kit rendering (bot.messages): content of every message, and Slack's limits for any input."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.adapters.catalog import SampleCatalog
from bot.domain.bom import BOM_CSV_HEADER, Bom, BomLine, bom_rows_csv
from bot.domain.commands import Invalid
from bot.domain.models import (
    NON_STOCKED,
    RFQ,
    STOCK_UNKNOWN,
    UNKNOWN,
    LineItem,
    LookupKey,
    Offer,
    Options,
    Part,
    PricePoint,
    SearchResult,
    Seller,
)
from bot.domain.money import Money, format_money
from bot.domain.outcomes import Answer, Failed, OverQuota, PartAnswer, QuotaView, Refusal
from bot.domain.pricing import clean_lifecycle_text, is_stocked, parse_lifecycle, rank_offers
from bot.domain.recent import RecentLookup
from bot.messages.answer import SELLERS_SHOWN, render_answer, render_outcome
from bot.messages.blocks import SHARE_ACTION, Message
from bot.messages.bom import render_bom_error, render_bom_progress, render_bom_summary, render_outcome_problem
from bot.messages.home import render_home
from bot.messages.replies import render_failed, render_help, render_invalid, render_over_quota, render_usage
from tests.blockkit import assert_valid_home, assert_valid_message, load_blockkit_schema, schema_path

NOW = 1_800_000_000.0
RESETS = datetime(2027, 1, 16, 0, 0, tzinfo=UTC)
QUOTA = QuotaView(
    user_spent=3, user_limit=25, team_spent=10, team_limit=1000, user_resets=RESETS, team_resets=datetime(2027, 2, 1, tzinfo=UTC)
)
# Shrinking 10,000-character strings across 45 sellers takes minutes; a failure is reported
# unshrunk instead (Hypothesis still prints the failing example and replays it next run).
HOSTILE = settings(
    max_examples=100,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- builders ------------------------------------------------------------------------------------


def pp(
    quantity: int, price: float, currency: str = "USD", converted: float | None = None, converted_currency: str | None = None
) -> PricePoint:
    conv = None if converted is None else Decimal(str(converted))
    return PricePoint(quantity, Decimal(str(price)), currency, conv, converted_currency)


def money(value: float | str, currency: str = "USD") -> str:
    return format_money(Money(Decimal(str(value)), currency))


def offer(
    *prices: PricePoint,
    stock: int = 1000,
    moq: int | None = None,
    url: str = "https://example.com/buy",
    packaging: str | None = None,
) -> Offer:
    return Offer("SKU-1", stock, moq, packaging, url, "2026-11-26T06:12:00Z", tuple(prices))


def seller(name: str, *offers: Offer, authorized: bool = True, broker: bool = False) -> Seller:
    return Seller(name, authorized, broker, tuple(offers), "https://example.com/")


def make_part(
    *sellers: Seller,
    mpn: str = "AD7685ARM",
    manufacturer: str = "Analog Devices",
    lifecycle: str = "Production",
    image: str | None = "https://img.example.com/rm-10.png",
    datasheet: str | None = "https://www.analog.com/AD7685.pdf",
    octopart: str | None = "https://octopart.com/ad7685arm-analog+devices-38943",
    description: str = "16-Bit, 250 kSPS PulSAR ADC",
    total: int = 546,
) -> Part:
    return Part(
        mpn=mpn,
        manufacturer=manufacturer,
        description=description,
        octopart_url=octopart,
        total_avail=total,
        image_url=image,
        datasheet_url=datasheet,
        lifecycle=parse_lifecycle(lifecycle),
        lifecycle_text=clean_lifecycle_text(lifecycle),
        sellers=tuple(sellers),
    )


DIGIKEY = seller("Digi-Key", offer(pp(1, 21.06), pp(10, 19.38), pp(100, 16.85), pp(250, 16.22), stock=412, packaging="Tube"))
MOUSER = seller("Mouser", offer(pp(1, 21.48), pp(250, 16.32), stock=96))
ARROW = seller("Arrow Electronics", offer(pp(1, 15.00), stock=0))
QUEST = seller("Quest Components", offer(stock=RFQ), authorized=False, broker=True)
PART = make_part(DIGIKEY, MOUSER, ARROW)


def pa(
    part: Part | None,
    asked: str | None = None,
    qty: int = 1,
    *,
    hits: int = 1,
    age: float = 0.0,
    cached: bool = False,
    suggestions: tuple[str, ...] = (),
    error: str | None = None,
) -> PartAnswer:
    mpn = asked if asked is not None else (part.mpn if part else "NOPE123")
    result = None if error else SearchResult(part, hits, suggestions)
    return PartAnswer(LineItem(mpn, qty), result, error, None if error else NOW - age, cached)


def answer(
    *answers: PartAnswer,
    options: Options | None = None,
    cost: int = 1,
    quota: QuotaView | None = QUOTA,
    sample: bool = False,
    understood: str | None = None,
) -> Answer:
    return Answer(tuple(answers), options or Options(), cost, quota, sample, NOW, understood)


def render(a: Answer, **kw: Any) -> dict[str, Any]:
    msg = render_answer(a, **kw)
    assert isinstance(msg, Message)
    d = msg.to_dict()
    valid(d)
    return d


HAVE_SCHEMA = load_blockkit_schema() is not None


def valid(msg: dict[str, Any]) -> None:
    """Slack's limits always; the Block Kit JSON Schema too when ../shared has it
    (test_blockkit_schema_is_present reports the skip once, instead of every test skipping)."""
    check_limits(msg)
    if HAVE_SCHEMA:
        assert_valid_message(msg)


def valid_home(view: dict[str, Any]) -> None:
    assert view["type"] == "home"
    assert 1 <= len(view["blocks"]) <= 100
    for b in view["blocks"]:
        if b["type"] == "section":
            assert 1 <= len(b["text"]["text"]) <= 3000
        if b["type"] == "header":
            assert 1 <= len(b["text"]["text"]) <= 150
        if b["type"] == "context":
            assert 1 <= len(b["elements"]) <= 10
            assert all(1 <= len(e["text"]) <= 3000 for e in b["elements"])
    if HAVE_SCHEMA:
        assert_valid_home(view)


def test_blockkit_schema_is_present() -> None:
    if not HAVE_SCHEMA:
        pytest.skip(f"Block Kit schema not found at {schema_path()}: messages were checked against Slack's limits only")
    valid(render_help().to_dict())
    valid_home(render_home([], None, sample=False))


def dump(msg: dict[str, Any]) -> str:
    return json.dumps(msg["blocks"], ensure_ascii=False)


def texts(msg: dict[str, Any], kind: str) -> list[str]:
    out = []
    for b in msg["blocks"]:
        if b["type"] != kind:
            continue
        if kind == "context":
            out.append(" ".join(e.get("text", "") for e in b["elements"]))
        elif "text" in b:
            out.append(b["text"]["text"])
    return out


def footer_text(msg: dict[str, Any]) -> str:
    last = msg["blocks"][-1]
    assert last["type"] == "context", last
    return " ".join(e["text"] for e in last["elements"])


_SELLER_HEAD = re.compile(r"^\*(?:<[^|>]*\|([^>]*)>|([^*]*))\*")


def seller_names(msg: dict[str, Any]) -> list[str]:
    """Seller names of the per-seller sections, in order."""
    names = []
    for t in texts(msg, "section"):
        if "each →" in t or "_no price listed_" in t:
            m = _SELLER_HEAD.match(t)
            assert m, t
            names.append(m.group(1) or m.group(2))
    return names


def check_limits(msg: dict[str, Any]) -> None:
    """Slack's limits, checked by hand (independent of the JSON Schema)."""
    assert isinstance(msg["text"], str) and msg["text"].strip()
    blocks = msg["blocks"]
    assert 1 <= len(blocks) <= 50
    assert sum(b["type"] == "table" for b in blocks) <= 1
    for b in blocks:
        if b["type"] == "header":
            assert 1 <= len(b["text"]["text"]) <= 150
        if b["type"] == "section":
            if "text" in b:
                assert 1 <= len(b["text"]["text"]) <= 3000
            assert len(b.get("fields", [])) <= 10
            for f in b.get("fields", []):
                assert 1 <= len(f["text"]) <= 2000
            acc = b.get("accessory")
            if acc and acc["type"] == "image":
                assert len(acc["image_url"]) <= 3000
                assert 1 <= len(acc["alt_text"]) <= 2000
        if b["type"] == "context":
            assert 1 <= len(b["elements"]) <= 10
            for e in b["elements"]:
                assert len(e.get("text", "x")) <= 3000
        if b["type"] == "actions":
            for e in b["elements"]:
                assert 1 <= len(e.get("value", "x")) <= 2000
                assert len(e["text"]["text"]) <= 75
        if b["type"] == "table":
            assert len(b["rows"]) <= 100
            assert all(len(r) <= 20 for r in b["rows"])


# --- one part: anatomy ------------------------------------------------------------------------------


def test_header_is_mpn_dash_manufacturer() -> None:
    msg = render(answer(pa(PART, qty=250)))
    assert msg["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "AD7685ARM — Analog Devices", "emoji": True},
    }


def test_header_without_manufacturer_is_just_the_mpn() -> None:
    msg = render(answer(pa(make_part(DIGIKEY, manufacturer=""))))
    assert msg["blocks"][0]["text"]["text"] == "AD7685ARM"


def _summary(msg: dict[str, Any]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        b for b in msg["blocks"] if b["type"] == "section" and "*Lifecycle:*" in b.get("text", {}).get("text", "")
    ]
    assert len(blocks) == 1
    return blocks[0]


def test_picture_is_the_image_accessory_of_the_part_section() -> None:
    summary = _summary(render(answer(pa(PART))))
    assert summary["accessory"] == {
        "type": "image",
        "image_url": "https://img.example.com/rm-10.png",
        "alt_text": "AD7685ARM by Analog Devices",
    }
    assert "16-Bit, 250 kSPS PulSAR ADC" in summary["text"]["text"]
    assert "*Total stock:* 546" in summary["text"]["text"]


@pytest.mark.parametrize(
    "image", [None, "", "javascript:alert(1)", "ftp://img.example.com/a.png", "//img.example.com/a.png", "https://" + "a" * 2000]
)
def test_no_picture_without_a_usable_image_url(image: str | None) -> None:
    msg = render(answer(pa(make_part(DIGIKEY, image=image))))
    assert "accessory" not in _summary(msg)
    assert not any(b.get("accessory") for b in msg["blocks"])


def test_image_url_with_characters_to_escape_stays_within_slack_limits() -> None:
    # A 1,900-character URL full of spaces becomes ~5,700 characters once percent-encoded;
    # Slack's image_url limit is 3,000.
    url = "https://img.example.com/" + " |" * 940
    assert len(url) <= 2000
    msg = render_answer(answer(pa(make_part(DIGIKEY, image=url)))).to_dict()
    valid(msg)


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("NRND", "NRND"),
        ("EOL", "EOL"),
        ("Obsolete", "Obsolete"),
        ("Not Recommended for New Designs", "NRND (Not Recommended for New Designs)"),
        ("Last Time Buy", "EOL (Last Time Buy)"),
        ("EOL (Last Updated: 2 weeks ago)", "EOL"),
    ],
)
def test_lifecycle_warnings_are_flagged(status: str, label: str) -> None:
    msg = render(answer(pa(make_part(DIGIKEY, lifecycle=status))))
    sections = texts(msg, "section")
    assert any(t.startswith(f":warning: *Lifecycle: {label}*") for t in sections), sections
    assert f"*Lifecycle:* :warning: *{label}*" in _summary(msg)["text"]["text"]
    assert "Last Updated" not in dump(msg)
    assert "lifecycle" in msg["text"]


@pytest.mark.parametrize(
    ("status", "label"),
    [("Production", "Production"), ("New", "New"), ("", "Unknown"), ("Production (Last Updated: 2 years ago)", "Production")],
)
def test_healthy_lifecycle_is_not_flagged(status: str, label: str) -> None:
    msg = render(answer(pa(make_part(DIGIKEY, lifecycle=status))))
    assert ":warning:" not in dump(msg)
    assert "lifecycle" not in msg["text"]
    assert f"*Lifecycle:* {label}\n" in _summary(msg)["text"]["text"]


def test_datasheet_and_octopart_links() -> None:
    text = _summary(render(answer(pa(PART))))["text"]["text"]
    assert "<https://www.analog.com/AD7685.pdf|:page_facing_up: Datasheet>" in text
    assert "<https://octopart.com/ad7685arm-analog+devices-38943|Octopart>" in text


def test_no_links_when_urls_are_missing_or_unsafe() -> None:
    text = _summary(render(answer(pa(make_part(DIGIKEY, datasheet=None, octopart="javascript:x")))))["text"]["text"]
    assert "Datasheet" not in text and "Octopart" not in text


def test_other_matches_from_hits() -> None:
    assert "_2 other matches for this part number_" in _summary(render(answer(pa(PART, hits=3))))["text"]["text"]
    assert "_1 other match for this part number_" in _summary(render(answer(pa(PART, hits=2))))["text"]["text"]
    assert "other match" not in _summary(render(answer(pa(PART, hits=1))))["text"]["text"]


def test_closest_match_wording_when_the_found_mpn_differs() -> None:
    msg = render(answer(pa(PART, asked="AD7685")))
    assert ":mag: No exact match for `AD7685`; this is the *closest match*." in texts(msg, "section")
    assert msg["text"].startswith("closest match for AD7685: AD7685ARM (Analog Devices)")


@pytest.mark.parametrize("asked", ["AD7685ARM", "ad7685arm", "AD7685-ARM"])
def test_no_closest_match_wording_for_an_exact_match(asked: str) -> None:
    msg = render(answer(pa(PART, asked=asked)))
    assert "closest match" not in dump(msg)
    assert "closest" not in msg["text"]


# --- one part: sellers ---------------------------------------------------------------------------


def test_sellers_are_ordered_as_rank_offers() -> None:
    part = make_part(
        seller("Dear", offer(pp(1, 30.0), stock=1000)),
        ARROW,
        seller("Partial", offer(pp(1, 1.0), stock=10)),
        seller("Cheap", offer(pp(1, 10.0), stock=1000)),
        seller("Unknown qty", offer(pp(1, 20.0), stock=STOCK_UNKNOWN)),
        seller("Unpriced", offer(stock=5000)),
    )
    msg = render(answer(pa(part, qty=100)))
    expected = [p.seller.name for p in rank_offers(part, 100, "USD") if is_stocked(p)]
    # Unknown quantity (-2) is not known to cover 100 pieces: after every offer that does.
    assert expected == ["Cheap", "Dear", "Unknown qty", "Partial", "Unpriced"]
    assert seller_names(msg) == expected
    assert "*Authorized sellers for 100 pcs* · cheapest with stock first" in texts(msg, "section")


def test_seller_section_content() -> None:
    msg = render(answer(pa(PART, qty=250)))
    mouser = next(t for t in texts(msg, "section") if "Mouser" in t)
    assert mouser.splitlines()[1] == "*$16.32* each → *$4,080.00* for 250  _(only 96 in stock)_"
    digikey = next(t for t in texts(msg, "section") if "Digi-Key" in t)
    assert digikey.splitlines() == [
        "*<https://example.com/buy|Digi-Key>*  ·  412 in stock  ·  Tube",
        "*$16.22* each → *$4,055.00* for 250",
        "Breaks: 10+ $19.38 · 100+ $16.85 · *250+ $16.22*",
    ]


def test_prices_keep_the_precision_a_buyer_needs() -> None:
    part = make_part(seller("LCSC", offer(pp(1, 0.0123), pp(1000, 0.00845), stock=10**6)))
    msg = render(answer(pa(part, qty=10)))
    section = next(t for t in texts(msg, "section") if "LCSC" in t)
    # The extended price is exact too: 10 × 0.0123 is 0.123, not a rounded 0.12.
    assert "*$0.0123* each → *$0.123* for 10" in section
    assert "1,000+ $0.00845" in section


def test_more_than_sellers_shown_links_to_octopart() -> None:
    part = make_part(*(seller(f"Seller {i:02d}", offer(pp(1, 1.0 + i), stock=100)) for i in range(SELLERS_SHOWN + 3)))
    msg = render(answer(pa(part)))
    assert seller_names(msg) == [f"Seller {i:02d}" for i in range(SELLERS_SHOWN)]
    assert "<https://octopart.com/ad7685arm-analog+devices-38943|3 more sellers on Octopart>" in texts(msg, "context")


def test_one_more_seller_and_search_link_without_octopart_url() -> None:
    part = make_part(*(seller(f"S{i}", offer(pp(1, 1.0), stock=100)) for i in range(SELLERS_SHOWN + 1)), octopart=None)
    msg = render(answer(pa(part)))
    assert len(seller_names(msg)) == SELLERS_SHOWN
    assert "<https://octopart.com/search?q=AD7685ARM|1 more seller on Octopart>" in texts(msg, "context")


def test_exactly_sellers_shown_has_no_more_link() -> None:
    part = make_part(*(seller(f"S{i}", offer(pp(1, 1.0), stock=100)) for i in range(SELLERS_SHOWN)))
    msg = render(answer(pa(part)))
    assert len(seller_names(msg)) == SELLERS_SHOWN
    assert "more seller" not in dump(msg)


def test_out_of_stock_and_rfq_sellers_are_listed_last() -> None:
    part = make_part(
        seller("Gone", offer(pp(1, 0.01), stock=0)),
        seller("Never", offer(pp(1, 0.01), stock=NON_STOCKED)),
        seller("Ask", offer(pp(1, 0.01), stock=RFQ)),
        seller("Dunno", offer(pp(1, 0.01), stock=UNKNOWN)),
        DIGIKEY,
    )
    msg = render(answer(pa(part)))
    assert seller_names(msg) == ["Digi-Key"]
    blocks = msg["blocks"]
    listed = next(i for i, b in enumerate(blocks) if b["type"] == "context" and "Listed without stock" in json.dumps(b))
    last_seller = max(i for i, b in enumerate(blocks) if b["type"] == "section" and "Digi-Key" in b["text"]["text"])
    assert listed > last_seller
    text = " ".join(e["text"] for e in blocks[listed]["elements"])
    for label in ("Gone</a> (out of stock)", "Never</a> (non-stocked)", "Ask</a> (RFQ)", "Dunno</a> (unknown)"):
        name, code = label.split("</a> ")
        assert f"|{name}> {code}" in text


def test_no_authorized_sellers_suggests_all() -> None:
    msg = render(answer(pa(make_part(QUEST))))
    assert "*No authorized sellers list this part.* Try `--all` to include other sellers and brokers." in texts(msg, "section")
    assert "no seller with stock" in msg["text"]


def test_all_sellers_shows_brokers_flagged() -> None:
    part = make_part(
        DIGIKEY,
        seller("Broker Co", offer(pp(1, 1.0), stock=50), authorized=False, broker=True),
        seller("Shop", offer(pp(1, 2.0), stock=50), authorized=False),
    )
    msg = render(answer(pa(part), options=Options(all_sellers=True)))
    sections = texts(msg, "section")
    assert any(t.startswith("*<https://example.com/buy|Broker Co>* _(broker)_") for t in sections)
    assert any(t.startswith("*<https://example.com/buy|Shop>* _(not authorized)_") for t in sections)
    assert "*All sellers for 1 pcs* · cheapest with stock first" in sections


def test_below_moq_note() -> None:
    part = make_part(seller("Rochester", offer(pp(25, 4.87), pp(100, 4.62), stock=5120, moq=25)))
    msg = render(answer(pa(part, qty=5)))
    section = next(t for t in texts(msg, "section") if "Rochester" in t)
    assert "MOQ 25" in section
    assert "*$4.87* each → *$121.75* for 25  _(priced at the minimum order of 25, not 5)_" in section


def test_converted_price_is_marked_as_an_estimate() -> None:
    part = make_part(seller("Farnell", offer(pp(1, 18.0, "GBP", 22.5, "USD"), stock=38)))
    msg = render(answer(pa(part)))
    section = next(t for t in texts(msg, "section") if "Farnell" in t)
    assert "*$22.50* each" in section
    assert "≈ converted, an estimate" in section


def test_native_prices_are_not_marked_as_estimates() -> None:
    assert "estimate" not in dump(render(answer(pa(PART))))


def test_unpriced_stocked_seller_says_no_price() -> None:
    msg = render(answer(pa(make_part(seller("Silent", offer(stock=100))))))
    assert any(t.endswith("_no price listed_") for t in texts(msg, "section"))


# --- footer and text fallback -----------------------------------------------------------------------


def test_footer_live_data() -> None:
    footer = footer_text(render(answer(pa(PART), cost=1)))
    assert (
        footer
        == "USD · data: Nexar/Octopart · fetched just now · this answer cost 1 matched part · you have 22/25 left today · team 990/1,000 this month"
    )


def test_footer_currency_cost_and_cache_age() -> None:
    footer = footer_text(render(answer(pa(PART, age=5 * 60 + 10, cached=True), options=Options(currency="EUR"), cost=0)))
    assert footer.startswith("EUR · data: Nexar/Octopart · cached 5 min ago · this answer cost 0 matched parts")
    footer = footer_text(render(answer(pa(PART, age=2 * 3600, cached=True))))
    assert "cached 2.0 h ago" in footer
    footer = footer_text(render(answer(pa(PART, age=20, cached=True))))
    assert "cached just now" in footer


def test_footer_without_quota_omits_it() -> None:
    footer = footer_text(render(answer(pa(PART), quota=None)))
    assert "left today" not in footer


def test_footer_of_a_multi_part_answer_shows_the_oldest_age() -> None:
    msg = render(answer(pa(PART, age=5 * 60, cached=True), pa(make_part(DIGIKEY, mpn="LM358DR"), age=12 * 60, cached=True)))
    assert "cached 12 min ago" in footer_text(msg)
    msg = render(answer(pa(PART, age=59 * 60, cached=True), pa(make_part(DIGIKEY, mpn="LM358DR"), age=2 * 3600, cached=True)))
    assert "cached 2.0 h ago" in footer_text(msg)


def test_sample_answers_are_labelled_everywhere() -> None:
    msg = render(answer(pa(PART), sample=True, cost=0))
    assert "*Sample data*" in " ".join(texts(msg, "context"))
    footer = footer_text(msg)
    assert "data: partbot sample catalog" in footer
    assert "no matched parts billed (sample data)" in footer
    assert "Nexar/Octopart" not in footer and "left today" not in footer
    assert msg["text"].startswith("[sample data] ")


def test_text_fallback_summarises_the_answer() -> None:
    msg = render(answer(pa(PART, qty=250)))
    assert msg["text"] == "AD7685ARM (Analog Devices); best $16.22 each at 250 from Digi-Key (412 in stock); 2 sellers with stock"


def test_understood_plain_english_is_echoed() -> None:
    msg = render(answer(pa(PART, qty=500), understood="AD7685ARM × 500"))
    assert ":speech_balloon: I read this as: *AD7685ARM × 500*" in texts(msg, "context")


# --- no match ------------------------------------------------------------------------------------


def test_no_match_echoes_the_query_and_suggests_close_mpns() -> None:
    msg = render(answer(pa(None, asked="AD7658ARM", suggestions=("AD7685ARM", "AD7685ARMZ")), cost=0))
    assert msg["blocks"][0]["text"]["text"] == "No match for AD7658ARM"
    section = texts(msg, "section")[0]
    assert section == ":grey_question: *No part matches `AD7658ARM`.*\nDid you mean: `AD7685ARM`, `AD7685ARMZ`?"
    assert msg["text"] == "No part matches AD7658ARM. Did you mean AD7685ARM, AD7685ARMZ?"
    assert "this answer cost 0 matched parts" in footer_text(msg)


def test_no_match_without_suggestions_links_an_octopart_search() -> None:
    msg = render(answer(pa(None, asked="ZZ 9/9")))
    assert "<https://octopart.com/search?q=ZZ%209/9|Octopart>" in texts(msg, "section")[0]
    assert msg["text"] == "No part matches ZZ 9/9."


def test_no_match_escapes_the_query() -> None:
    msg = render(answer(pa(None, asked="<!here>&", suggestions=("A<B>",))))
    body = dump(msg)
    assert "<!here>" not in body.replace('"No match for <!here>&"', "")
    assert "`&lt;!here&gt;&amp;`" in texts(msg, "section")[0]
    assert "`A&lt;B&gt;`" in texts(msg, "section")[0]


# --- several parts ----------------------------------------------------------------------------------


def _table(msg: dict[str, Any]) -> list[list[str]]:
    tables = [b for b in msg["blocks"] if b["type"] == "table"]
    assert len(tables) == 1
    return [[c["text"] for c in row] for row in tables[0]["rows"]]


def test_multi_part_answer_is_one_table_with_a_total() -> None:
    lm358 = make_part(seller("Digi-Key", offer(pp(1, 0.50), pp(100, 0.30), stock=48215)), mpn="LM358DR", manufacturer="TI")
    ne555 = make_part(seller("Mouser", offer(pp(1, 0.40), stock=20)), mpn="NE555DR", manufacturer="TI")
    msg = render(answer(pa(lm358, qty=100), pa(ne555, qty=50), pa(None, asked="NOPE1", qty=3), pa(PART, asked="AD7685", qty=1)))
    assert msg["blocks"][0]["text"]["text"] == "Price check: 4 parts"
    rows = _table(msg)
    assert rows[0] == ["Part", "Qty", "Best seller", "Unit", "Extended", "Stock", "Status"]
    assert rows[1] == ["LM358DR", "100", "Digi-Key", "$0.30", "$30.00", "48,215", "ok"]
    assert rows[2] == ["NE555DR", "50", "Mouser", "$0.40", "$20.00", "20", "short stock"]
    assert rows[3] == ["NOPE1", "3", "—", "—", "—", "—", "not found"]
    assert rows[4] == ["AD7685ARM", "1", "Digi-Key", "$21.06", "$21.06", "412", "closest: AD7685ARM"]
    assert len(rows) == 5
    total = 30.0 + 20.0 + 21.06
    summary = next(t for t in texts(msg, "section") if t.startswith("*Total"))
    assert summary == f"*Total: {money(total)}* for 3 lines priced · 3 lines need a look"
    assert msg["text"].startswith(f"Price check of 4 parts: total {money(total)} for 3 lines priced; ")
    assert "NOPE1: not found" in msg["text"]


def test_multi_part_status_flags() -> None:
    eol = make_part(seller("A", offer(pp(10, 1.0), stock=100, moq=10)), mpn="OLD1", lifecycle="EOL")
    conv = make_part(seller("B", offer(pp(1, 1.0, "EUR", 1.1, "USD"), stock=100)), mpn="CONV1")
    none = make_part(seller("C", offer(pp(1, 1.0), stock=0)), mpn="NOSTOCK1")
    msg = render(answer(pa(eol, qty=2), pa(conv), pa(none), pa(None, "ERR1", error="Nexar is down")))
    rows = _table(msg)
    assert rows[1][-1] == "EOL, MOQ 10"
    assert rows[2][-1] == "≈ converted"
    assert rows[3][-1] == "no stock"
    assert rows[4][-1] == "error: Nexar is down"


def test_one_line_needing_a_look_is_singular() -> None:
    ok = make_part(DIGIKEY, mpn="OK1")
    msg = render(answer(pa(ok), pa(None, "NOPE1")))
    summary = next(t for t in texts(msg, "section") if t.startswith("*Total"))
    assert summary.endswith("· 1 line needs a look")


def test_multi_part_total_does_not_add_different_currencies() -> None:
    # No USD price (native or converted) for the second part: its row is priced in EUR.
    usd = make_part(seller("Digi-Key", offer(pp(1, 10.0), stock=100)), mpn="USD1")
    eur = make_part(seller("TME", offer(pp(1, 1000.0, "EUR"), stock=100)), mpn="EUR1")
    msg = render(answer(pa(usd), pa(eur)))
    rows = _table(msg)
    assert rows[2][3] == "€1,000.00"
    summary = next(t for t in texts(msg, "section") if t.startswith("*Total"))
    assert money(1010) not in summary, summary
    assert money(1010) not in msg["text"]
    assert "$10.00" in summary and "€1,000.00" in summary
    assert summary.endswith("for 2 lines priced · 1 line needs a look")
    assert rows[2][6] == "priced in EUR"


def test_twenty_parts_fit_in_one_message() -> None:
    answers = [pa(make_part(DIGIKEY, mpn=f"PART{i:02d}"), qty=i + 1) for i in range(20)]
    msg = render(answer(*answers))
    assert len(_table(msg)) == 21


# --- escaping ---------------------------------------------------------------------------------------


def test_mrkdwn_control_characters_are_escaped() -> None:
    nasty = seller("A&B <Electronics> <!channel>", offer(pp(1, 1.0), stock=100, packaging="<reel> & tape"))
    gone = seller("<@U123> Gone & Co", offer(pp(1, 1.0), stock=0))
    part = make_part(nasty, gone, description="<script>alert(1)</script> & more", lifecycle="NRND <b>")
    msg = render(answer(pa(part)))
    body = " ".join(texts(msg, "section") + texts(msg, "context"))
    assert "A&amp;B &lt;Electronics&gt; &lt;!channel&gt;" in body
    assert "&lt;reel&gt; &amp; tape" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body
    assert "&lt;@U123&gt; Gone &amp; Co" in body
    assert "NRND &lt;b&gt;" in body
    for raw in ("<!channel>", "<script>", "<@U123>", "<reel>", "<b>", "A&B"):
        assert raw not in body


def test_pipes_and_angle_brackets_in_link_labels_and_urls() -> None:
    part = make_part(seller("X|Y>Z", offer(pp(1, 1.0), stock=10, url="https://shop.example.com/a|b>c d")))
    section = next(t for t in texts(render(answer(pa(part))), "section") if "each →" in t)
    assert section.startswith("*<https://shop.example.com/a%7Cb%3Ec%20d|X¦Y&gt;Z>*")


# --- share --------------------------------------------------------------------------------------------


def test_share_button_and_public_answers() -> None:
    msg = render(answer(pa(PART)), share_value="token-123")
    actions = [b for b in msg["blocks"] if b["type"] == "actions"]
    assert len(actions) == 1
    button = actions[0]["elements"][0]
    assert (button["action_id"], button["value"], button["text"]["text"]) == (SHARE_ACTION, "token-123", "Share in channel")
    assert msg["blocks"][-1]["type"] == "context" and msg["blocks"][-2]["type"] == "actions"
    assert "left today" in msg["blocks"][-1]["elements"][0]["text"]
    public = render(answer(pa(PART)), public=True)
    assert not any(b["type"] == "actions" for b in public["blocks"])
    assert "left today" not in public["blocks"][-1]["elements"][0]["text"], "a public answer never shows the asker's quota"
    assert "data: Nexar/Octopart" in public["blocks"][-1]["elements"][0]["text"]


def test_render_outcome_dispatches() -> None:
    assert render_outcome(Failed("boom")).text == "Sorry — boom"
    over = OverQuota(Refusal("user", 5, 2, RESETS), (LineItem("A1"),), 0)
    assert render_outcome(over).text.startswith("You have 2 matched parts left today")
    assert render_outcome(answer(pa(PART))).text.startswith("AD7685ARM (Analog Devices)")


# --- other messages -------------------------------------------------------------------------------------


def test_render_help() -> None:
    msg = render_help().to_dict()
    valid(msg)
    assert msg["text"] == "Usage: /part MPN [xQTY] [--all] [--currency EUR] [--country DE] [--public]"
    body = dump(msg)
    for example in (
        "`/part AD7685ARM`",
        "`/part AD7685ARM x250`",
        "`/part LM358 x100, NE555 x50`",
        "--all",
        "--currency EUR",
        "--public",
        "`/part usage`",
    ):
        assert example in body
    assert "@partbot" in body and "CSV" in body
    assert "`/price AD7685ARM`" in dump(render_help("/price").to_dict())


def test_render_invalid() -> None:
    msg = render_invalid(Invalid("`x0`: the quantity must be at least 1", "Quantities look like `x250`.")).to_dict()
    valid(msg)
    assert (
        msg["blocks"][0]["text"]["text"]
        == ":warning: I could not read that: `x0`: the quantity must be at least 1.\nQuantities look like `x250`."
    )
    assert "nothing was billed" in dump(msg)
    assert msg["text"] == "Sorry, I could not read that: `x0`: the quantity must be at least 1. Quantities look like `x250`."


def test_render_invalid_escapes_user_text() -> None:
    msg = render_invalid(Invalid("`<!here>` & `<@U1>` has characters a part number cannot contain")).to_dict()
    section = msg["blocks"][0]["text"]["text"]
    assert "&lt;!here&gt;" in section and "&amp;" in section and "&lt;@U1&gt;" in section
    assert "<!here>" not in section


def test_render_invalid_clips_huge_problems() -> None:
    msg = render_invalid(Invalid("x" * 10_000, "y" * 10_000)).to_dict()
    valid(msg)


def test_render_over_quota_user() -> None:
    over = OverQuota(Refusal("user", 5, 2, RESETS), (LineItem("A1"),), 0)
    msg = render_over_quota(over).to_dict()
    valid(msg)
    section = msg["blocks"][0]["text"]["text"]
    assert section.startswith(":no_entry: *You have 2 matched parts left today*; this needs 5 more")
    assert f"<!date^{int(RESETS.timestamp())}^" in section and "|2027-01-16 00:00 UTC>" in section
    assert "mores" not in section
    assert "would fit" not in section
    assert msg["text"] == "You have 2 matched parts left today; this needs 5. Resets 2027-01-16 00:00 UTC. Nothing was billed."
    assert "nothing was billed" in dump(msg)


def test_render_over_quota_team_with_several_lines() -> None:
    over = OverQuota(Refusal("team", 5, 1, RESETS), tuple(LineItem(f"P{i}") for i in range(5)), 3)
    msg = render_over_quota(over).to_dict()
    valid(msg)
    section = msg["blocks"][0]["text"]["text"]
    assert "*The team has 1 matched part left this month*" in section
    assert "3 lines of 5 would fit" in section


def test_render_failed() -> None:
    failed = Failed("Nexar said <no> & stopped", tuple(LineItem(m) for m in ("LM358", "NE555", "A1", "A2", "A3", "A4")))
    msg = render_failed(failed).to_dict()
    valid(msg)
    section = msg["blocks"][0]["text"]["text"]
    assert section == ":warning: Nexar said &lt;no&gt; &amp; stopped\n_Asked: LM358, NE555, A1, A2, A3_"
    # The fallback text is mrkdwn too: escaped, so Slack shows "<no> & stopped" as written.
    assert msg["text"] == "Sorry — Nexar said &lt;no&gt; &amp; stopped"
    assert "No matched parts were billed" in dump(msg)


def test_render_usage_for_a_user() -> None:
    msg = render_usage(QUOTA, sample=False).to_dict()
    valid(msg)
    body = dump(msg)
    assert "*You today:* 3 of 25 matched parts used · 22 left" in body
    assert "*Team this month:* 10 of 1,000 used · 990 left" in body
    assert not any("fields" in b for b in msg["blocks"])
    assert "sample catalog" not in body
    assert msg["text"] == "You: 3/25 matched parts today. Team: 10/1000 this month."


def test_render_usage_for_an_admin_with_top_lists() -> None:
    msg = render_usage(QUOTA, sample=True, top=([("U1", 12), ("U2", 3)], [])).to_dict()
    valid(msg)
    fields = next(b["fields"] for b in msg["blocks"] if "fields" in b)
    assert [f["text"] for f in fields] == ["*Top today*\n<@U1> 12\n<@U2> 3", "*Top this month*\n_nobody yet_"]
    assert "bundled sample catalog" in dump(msg)


def test_render_usage_without_a_ledger() -> None:
    msg = render_usage(None, sample=False).to_dict()
    valid(msg)
    assert "quota" in msg["text"]


def test_render_home() -> None:
    recent = [
        {"mpn": "AD7685ARM", "qty": 250, "at": NOW, "found": "AD7685ARM", "price": "$16.22", "seller": "Digi-Key"},
        {"mpn": "NOPE1", "qty": 1, "at": NOW},
        {"mpn": "LM358", "qty": 5, "at": NOW, "found": "LM358DR"},
    ]
    view = render_home([RecentLookup.from_json(e) for e in recent], QUOTA, sample=True)
    valid_home(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    body = json.dumps(view, ensure_ascii=False)
    assert "*AD7685ARM* × 250 — $16.22 each at Digi-Key" in body
    assert "*NOPE1* × 1 — not found" in body
    assert "*LM358DR* × 5 — no priced offer" in body
    assert "22 of 25 matched parts left" in body and "990 of 1,000 left" in body
    assert "*Sample data*" in body


def test_render_home_empty() -> None:
    view = render_home([], None, sample=False)
    valid_home(view)
    body = json.dumps(view)
    assert "Nothing yet" in body and "Sample data" not in body


def test_render_home_many_recent_entries() -> None:
    recent = [
        {"mpn": "<x>" * 100, "qty": 10**7, "at": NOW, "found": "|>*_" * 50, "price": "&" * 500, "seller": "<!channel>"}
        for _ in range(200)
    ]
    view = render_home([RecentLookup.from_json(e) for e in recent], QUOTA, sample=True)
    valid_home(view)
    assert "<!channel>" not in json.dumps(view)


def _bom(lines: list[tuple[int, str, int]], problems: tuple[str, ...] = ()) -> Bom:
    return Bom(tuple(BomLine(r, LineItem(m, q)) for r, m, q in lines), problems, "MPN", "Qty")


def test_render_bom_summary() -> None:
    ok = make_part(seller("Digi-Key", offer(pp(1, 2.0), stock=1000)), mpn="OK1")
    short = make_part(seller("Mouser", offer(pp(1, 1.0), stock=5)), mpn="SHORT1")
    old = make_part(seller("Arrow", offer(pp(1, 3.0), stock=1000)), mpn="OLD1", lifecycle="Obsolete")
    bom = _bom([(2, "OK1", 10), (3, "SHORT1", 50), (4, "OLD1", 1), (5, "NOPE1", 1)], ("line 6: `LM*` has a wildcard",))
    a = answer(pa(ok, qty=10), pa(short, qty=50), pa(old, qty=1), pa(None, "NOPE1"))
    msg = render_bom_summary(a, bom, "board.csv").to_dict()
    valid(msg)
    assert msg["blocks"][0]["text"]["text"] == "BOM priced: board.csv"
    fields = [f["text"] for f in next(b["fields"] for b in msg["blocks"] if "fields" in b)]
    assert fields == [
        "*Lines priced*\n3 of 4",
        "*Total*\n$73.00",
        "*Not found*\n1",
        "*Too little stock*\n1",
        "*NRND / EOL / obsolete*\n1",
        "*Unreadable lines*\n1",
    ]
    body = dump(msg)
    assert "`NOPE1`" in body
    assert "`SHORT1` × 50: best stock 5 at Mouser" in body
    assert "`OLD1`: Obsolete" in body
    assert "line 6: `LM*` has a wildcard" in body
    assert (
        msg["text"]
        == "BOM board.csv: 3 of 4 lines priced, total $73.00; 1 not found, 1 short of stock, 1 NRND/EOL/obsolete, 1 unreadable."
    )


def test_render_bom_summary_with_hundreds_of_problems_and_lines() -> None:
    n = 500
    answers = [pa(None, f"NOPE{i}") for i in range(n)]
    bom = _bom(
        [(i + 2, f"NOPE{i}", 1) for i in range(n)],
        tuple(f"line {i}: `<bad>` & worse: quantity 'lots' is not a whole number" for i in range(600)),
    )
    msg = render_bom_summary(answer(*answers, sample=True), bom, "<evil>.csv" * 50).to_dict()
    valid(msg)
    assert "and 485 more in the CSV" in dump(msg)
    assert "and 590 more" in dump(msg)
    assert msg["text"].startswith("[sample data] BOM ")


def test_bom_progress_error_and_quota_problem_messages() -> None:
    progress = render_bom_progress("<b>.csv", 3, 40).to_dict()
    valid(progress)
    assert progress["text"] == "Pricing &lt;b&gt;.csv: 3 of 40 distinct parts looked up…", "the text fallback is mrkdwn too"
    assert "&lt;b&gt;.csv" in dump(progress)
    assert render_bom_progress("bom.csv", 0, 0).text == "Reading bom.csv…"
    err = render_bom_error("bom.csv", "that file is empty").to_dict()
    valid(err)
    assert err["text"] == "I could not price bom.csv: that file is empty."
    assert "Nothing was looked up and nothing was billed." in dump(err)
    over = OverQuota(Refusal("user", 30, 25, RESETS), tuple(LineItem(f"P{i}") for i in range(30)), 25)
    problem = render_outcome_problem(over, "bom.csv").to_dict()
    valid(problem)
    assert problem["blocks"][0]["text"]["text"] == (
        "*bom.csv* needs 30 matched parts that are not cached; 25 lines of 30 would fit in what is left."
    )
    assert render_outcome_problem(Failed("down"), "bom.csv").text == "Sorry — down"


def test_bom_rows_csv_one_row_per_line_and_defused_cells() -> None:
    evil = make_part(seller('=HYPERLINK("http://x")', offer(pp(1, 0.0123), stock=1000)), mpn="EVIL1", manufacturer="@SUM(1)")
    ok = make_part(seller("Digi-Key", offer(pp(1, 2.5), stock=1000)), mpn="OK1", manufacturer="TI")
    bom = _bom([(2, "EVIL1", 10), (4, "OK1", 3), (5, "NOPE1", 1)])
    a = answer(pa(evil, qty=10), pa(ok, qty=3), pa(None, "NOPE1"))
    rows = list(csv.reader(io.StringIO(bom_rows_csv(a, bom).decode("utf-8"))))
    assert rows[0] == list(BOM_CSV_HEADER)
    assert len(rows) == 4
    evil_row = dict(zip(BOM_CSV_HEADER, rows[1], strict=True))
    assert evil_row["line"] == "2" and evil_row["mpn_asked"] == "EVIL1" and evil_row["qty"] == "10"
    assert evil_row["best_seller"] == '\'=HYPERLINK("http://x")'
    assert evil_row["manufacturer"] == "'@SUM(1)"
    assert evil_row["unit_price"] == "0.0123" and evil_row["extended_price"] == "0.123"
    ok_row = dict(zip(BOM_CSV_HEADER, rows[2], strict=True))
    assert (ok_row["mpn_found"], ok_row["unit_price"], ok_row["currency"], ok_row["extended_price"], ok_row["status"]) == (
        "OK1",
        "2.50",
        "USD",
        "7.50",
        "ok",
    )
    nope = dict(zip(BOM_CSV_HEADER, rows[3], strict=True))
    assert (nope["line"], nope["mpn_found"], nope["best_seller"], nope["status"]) == ("5", "", "", "not found")


# --- answers built from the bundled catalog -------------------------------------------------------------

CATALOG = SampleCatalog()


def catalog_answer(items: list[tuple[str, int]], options: Options | None = None, sample: bool = True) -> Answer:
    options = options or Options()
    pas = []
    for mpn, qty in items:
        result = CATALOG.search_mpn(LookupKey(mpn.upper(), options.currency, options.country, options.all_sellers), 1)
        if result.part is None:
            result = SearchResult(None, result.hits, CATALOG.suggest(mpn))
        pas.append(PartAnswer(LineItem(mpn, qty), result, None, NOW, False))
    return answer(*pas, options=options, cost=0, quota=None if sample else QUOTA, sample=sample)


@pytest.mark.parametrize("mpn", [p.mpn for p in CATALOG.parts()])
@pytest.mark.parametrize(
    ("qty", "options"),
    [
        (1, Options()),
        (250, Options(currency="EUR", country="DE")),
        (10_000_000, Options(all_sellers=True, currency="GBP")),
        (3, Options(currency="SEK")),
    ],
)
def test_every_catalog_part_renders_valid_block_kit(mpn: str, qty: int, options: Options) -> None:
    a = catalog_answer([(mpn, qty)], options)
    msg = render(a, share_value="v1")
    part = a.answers[0].result.part  # type: ignore[union-attr]
    assert part is not None
    assert msg["blocks"][0]["text"]["text"] == f"{part.mpn} — {part.manufacturer}"
    assert msg["text"].startswith("[sample data] ")
    assert "*Sample data*" in dump(msg)
    assert footer_text(msg).startswith(f"{options.currency} · data: partbot sample catalog")
    summary = _summary(msg)
    assert ("accessory" in summary) == bool(part.image_url)
    if part.lifecycle.is_warning:
        assert ":warning:" in dump(msg)
    stocked = [p.seller.name for p in rank_offers(part, qty, options.currency, options.all_sellers) if is_stocked(p)]
    assert seller_names(msg) == stocked[:SELLERS_SHOWN]


def test_catalog_tutorial_part_at_250() -> None:
    msg = render(catalog_answer([("AD7685ARM", 250)]))
    assert msg["blocks"][0]["text"]["text"] == "AD7685ARM — Analog Devices"
    assert seller_names(msg) == ["Digi-Key", "Mouser", "Farnell"]
    assert "Arrow Electronics" in " ".join(texts(msg, "context"))
    assert (
        msg["text"]
        == "[sample data] AD7685ARM (Analog Devices); best $16.22 each at 250 from Digi-Key (412 in stock); 3 sellers with stock"
    )


def test_catalog_obsolete_and_nrnd_parts_are_flagged() -> None:
    for mpn, status in (("BC547B", "Obsolete"), ("MAX232CPE", "NRND"), ("74HC595N", "EOL")):
        msg = render(catalog_answer([(mpn, 1)]))
        assert any(t.startswith(":warning:") for t in texts(msg, "section")), mpn
        assert f"lifecycle {status}" in msg["text"]


def test_catalog_multi_part_and_no_match() -> None:
    msg = render(catalog_answer([("LM358DR", 100), ("NE555DR", 50), ("AD7685", 1), ("XYZZY99", 1)]))
    rows = _table(msg)
    assert [r[0] for r in rows] == ["Part", "LM358DR", "NE555DR", "AD7685ARM", "XYZZY99"]
    assert rows[-1][-1] == "not found"
    assert "closest: AD7685ARM" in rows[3][-1]
    nomatch = render(catalog_answer([("AD7658ARM", 1)]))
    assert "Did you mean: `AD7685ARM`, `AD7685ARMZ`, `AD7685BRMZ`?" in texts(nomatch, "section")[0]


# --- limits under hostile input -----------------------------------------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(min_size=1, max_size=600),
    st.sampled_from(["|>*_", "<!here>", "&<>&", "a|b>c*d_e`f`", "🔥" * 300, "\u200b\n\n", " ", "x" * 500]),
    st.builds(lambda s, n: s * n, st.sampled_from(["<&>", "é", "|>*_", "a", "`"]), st.integers(1, 10_000)),
)
HOSTILE_URL = st.one_of(
    st.none(),
    st.just("https://octopart.com/ad7685arm"),
    st.just("javascript:alert(1)"),
    st.builds(lambda s: "https://example.com/" + s, st.text(max_size=50)),
    st.builds(lambda n: "https://example.com/" + "a" * n, st.integers(1, 2100) | st.integers(1950, 2010)),
    # Escaped characters grow 3× in a URL; past ~1,000 of them the image URL outgrows Slack's
    # 3,000 limit: that case is test_image_url_with_characters_to_escape_stays_within_slack_limits.
    st.builds(lambda s, n: "https://example.com/" + s * n, st.sampled_from([" ", "|", ">", "<"]), st.integers(1, 900)),
)
STOCK = st.one_of(st.sampled_from([0, NON_STOCKED, STOCK_UNKNOWN, UNKNOWN, RFQ, -99]), st.integers(1, 10**12))
PRICES = st.lists(
    st.builds(
        PricePoint,
        st.integers(1, 10**7),
        st.decimals(Decimal("0.00001"), Decimal(10**6), places=5),
        st.sampled_from(["USD", "EUR", "CHF", "JPY", "XXX"]),
        st.one_of(st.none(), st.decimals(Decimal("0.00001"), Decimal(10**6), places=5)),
        st.one_of(st.none(), st.sampled_from(["USD", "EUR"])),
    ),
    max_size=6,
)
OFFERS = st.builds(
    Offer,
    HOSTILE_TEXT,
    STOCK,
    st.one_of(st.none(), st.integers(0, 10**7)),
    st.one_of(st.none(), HOSTILE_TEXT),
    HOSTILE_URL.map(lambda u: u or ""),
    st.none(),
    PRICES.map(tuple),
)
SELLERS = st.builds(Seller, HOSTILE_TEXT, st.booleans(), st.booleans(), st.lists(OFFERS, max_size=2).map(tuple), HOSTILE_URL)
# 40+ sellers: cheaper to generate, still hostile (long names, markup, every stock code).
CROWD = st.builds(
    lambda name, i, stock, price, auth: Seller(
        f"{name}{i}", auth, not auth, (offer(*([pp(1, price)] if price else []), stock=stock),)
    ),
    st.sampled_from(["|>*_", "<!here>&", "S" * 500, "Distributor ", "é" * 300]),
    st.integers(0, 99),
    STOCK,
    st.one_of(st.none(), st.floats(0.0001, 1e5)),
    st.booleans(),
)
PARTS = st.builds(
    Part,
    HOSTILE_TEXT,
    HOSTILE_TEXT,
    HOSTILE_TEXT,
    HOSTILE_URL,
    st.integers(0, 10**12),
    HOSTILE_URL,
    HOSTILE_URL,
    st.sampled_from(["Production", "NRND", "EOL", "Obsolete", "", "<weird>"]).map(parse_lifecycle),
    HOSTILE_TEXT,
    st.one_of(st.lists(SELLERS, max_size=6), st.lists(CROWD, min_size=40, max_size=45)).map(tuple),
)
PART_ANSWERS = st.builds(
    PartAnswer,
    st.builds(LineItem, HOSTILE_TEXT, st.integers(1, 10_000_000)),
    st.one_of(
        st.none(),
        st.builds(
            SearchResult, st.one_of(st.none(), PARTS), st.integers(0, 10**6), st.lists(HOSTILE_TEXT, max_size=8).map(tuple)
        ),
    ),
    st.one_of(st.none(), HOSTILE_TEXT),
    st.one_of(st.none(), st.floats(NOW - 10**6, NOW)),
    st.booleans(),
)
QUOTAS = st.one_of(
    st.none(),
    st.builds(
        QuotaView,
        st.integers(0, 10**9),
        st.integers(0, 10**9),
        st.integers(0, 10**9),
        st.integers(0, 10**9),
        st.just(RESETS),
        st.just(RESETS),
    ),
)
ANSWERS = st.builds(
    Answer,
    st.one_of(st.lists(PART_ANSWERS, min_size=1, max_size=1), st.lists(PART_ANSWERS, min_size=2, max_size=25)).map(tuple),
    st.builds(Options, st.booleans(), st.sampled_from(["USD", "EUR", "CHF"]), st.sampled_from(["US", "DE"]), st.booleans()),
    st.integers(0, 10**6),
    QUOTAS,
    st.booleans(),
    st.just(NOW),
    st.one_of(st.none(), HOSTILE_TEXT),
)


@HOSTILE
@given(ANSWERS, st.one_of(st.none(), HOSTILE_TEXT.filter(bool)), st.booleans())
def test_answers_keep_slack_limits_for_any_input(a: Answer, share: str | None, public: bool) -> None:
    msg = render_answer(a, share_value=share, public=public).to_dict()
    valid(msg)


SINGLE_PART_ANSWERS = st.builds(
    lambda part, qty, hits, asked, opts, sample, quota: Answer(
        (PartAnswer(LineItem(asked if asked is not None else part.mpn, qty), SearchResult(part, hits), None, NOW, False),),
        opts,
        1,
        quota,
        sample,
        NOW,
    ),
    PARTS,
    st.integers(1, 10_000_000),
    st.integers(0, 10**6),
    st.one_of(st.none(), HOSTILE_TEXT),
    st.builds(Options, st.booleans(), st.sampled_from(["USD", "EUR", "CHF"])),
    st.booleans(),
    QUOTAS,
)


@HOSTILE
@given(SINGLE_PART_ANSWERS, st.one_of(st.none(), HOSTILE_TEXT.filter(bool)))
def test_single_part_answers_keep_slack_limits_for_any_part(a: Answer, share: str | None) -> None:
    msg = render_answer(a, share_value=share).to_dict()
    valid(msg)


@HOSTILE
@given(ANSWERS, st.lists(HOSTILE_TEXT, max_size=30).map(tuple), HOSTILE_TEXT)
def test_bom_summaries_keep_slack_limits_for_any_input(a: Answer, problems: tuple[str, ...], name: str) -> None:
    bom = Bom(tuple(BomLine(i + 2, pa_.item) for i, pa_ in enumerate(a.answers)), problems, "MPN", None)
    msg = render_bom_summary(a, bom, name).to_dict()
    valid(msg)


@HOSTILE
@given(
    HOSTILE_TEXT,
    st.lists(st.builds(LineItem, HOSTILE_TEXT, st.integers(1, 10**7)), max_size=30),
    st.sampled_from(["user", "team"]),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    QUOTAS,
    st.lists(st.tuples(HOSTILE_TEXT, st.integers(0, 10**9)), max_size=60),
)
def test_other_messages_keep_slack_limits_for_any_input(
    problem: str, items: list[LineItem], scope: str, needed: int, left: int, quota: QuotaView | None, top: list[tuple[str, int]]
) -> None:
    messages = [
        render_invalid(Invalid(problem, problem)),
        render_failed(Failed(problem, tuple(items))),
        render_over_quota(OverQuota(Refusal(scope, needed, left, RESETS), tuple(items), len(items))),
        render_usage(quota, sample=bool(left % 2), top=(top, top[::-1]) if needed % 2 else None),
        render_help(problem[:20] or "/part"),
        render_bom_progress(problem, needed, left),
        render_bom_error(problem, problem),
        render_outcome_problem(OverQuota(Refusal(scope, needed, left, RESETS), tuple(items), len(items)), problem),
    ]
    for m in messages:
        d = m.to_dict()
        valid(d)


@HOSTILE
@given(
    st.lists(
        st.fixed_dictionaries(
            {"mpn": HOSTILE_TEXT, "qty": st.integers(1, 10**7), "at": st.floats(0, NOW)},
            optional={"found": HOSTILE_TEXT, "price": HOSTILE_TEXT, "seller": HOSTILE_TEXT},
        ),
        max_size=40,
    ),
    QUOTAS,
    st.booleans(),
)
def test_home_keeps_slack_limits_for_any_input(recent: list[dict[str, Any]], quota: QuotaView | None, sample: bool) -> None:
    valid_home(render_home([RecentLookup.from_json(e) for e in recent], quota, sample=sample))


def test_prices_and_money_in_table_cells_stay_short() -> None:
    part = make_part(seller("S" * 500, offer(pp(1, 123456.789), stock=10**12)), mpn="M" * 500)
    msg = render(answer(pa(part, qty=10_000_000), pa(part, qty=1)))
    for row in _table(msg):
        assert all(len(c) <= 200 for c in row)
    assert money(123456.789) in " ".join(_table(msg)[1])
