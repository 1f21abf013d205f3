"""Watches in the domain: the grammar, the condition, the alert state and the schedule."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain.commands import AddWatch, Invalid, ListWatches, Lookup, Unwatch
from bot.domain.models import Offer, Part, PricePoint, SearchResult, Seller
from bot.domain.parsing import parse_command, parse_mention
from bot.domain.watch_schedule import month_end, next_check, period
from bot.domain.watches import Hit, Watch, advance, delivered, evaluate, failed, find_hit

# --- grammar --------------------------------------------------------------------------


def test_watch_below_a_price() -> None:
    cmd = parse_command("watch LM358DR x1000 below 0.20")
    assert isinstance(cmd, AddWatch)
    assert cmd.item.mpn == "LM358DR" and cmd.item.quantity == 1000
    assert cmd.below == Decimal("0.20") and cmd.options.currency == "USD"


@pytest.mark.parametrize(
    ("text", "qty", "below", "currency"),
    [
        ("watch LM358DR x1000 stock", 1000, None, "USD"),
        ("watch LM358DR", 1, None, "USD"),
        ("WATCH lm358dr x 2.5k below 0,015 --currency EUR", 2500, Decimal("0.015"), "EUR"),
        ("watch LM358DR qty=10 below €1.5", 10, Decimal("1.5"), "EUR"),
        ("watch LM358DR below $0.2 stock x50", 50, Decimal("0.2"), "USD"),
    ],
)
def test_watch_forms(text: str, qty: int, below: Decimal | None, currency: str) -> None:
    cmd = parse_command(text)
    assert isinstance(cmd, AddWatch), cmd
    assert (cmd.item.quantity, cmd.below, cmd.options.currency) == (qty, below, currency)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("watch", "needs a part number"),
        ("watch LM358DR below", "needs a unit price"),
        ("watch LM358DR below cheap", "is not a price"),
        ("watch LM358DR below 0", "above 0"),
        ("watch LM358DR below 0.0000001", "decimals"),
        ("watch LM358DR x10O", "not `x10O`"),
        ("watch LM3* x5", "wildcard"),
        ("watch LM358DR below $1 --currency EUR", "in USD but the watch is in EUR"),
        ("watch LM358DR --public", "takes `--currency`"),
        ("watches please", "takes nothing"),
        ("unwatch", "needs a part number or a watch ID"),
        ("unwatch A B", "one watch ID"),
    ],
)
def test_watch_mistakes_are_named(text: str, problem: str) -> None:
    cmd = parse_command(text)
    assert isinstance(cmd, Invalid), cmd
    assert problem in cmd.problem


def test_list_and_unwatch_and_mentions() -> None:
    assert parse_command("watches") == ListWatches()
    assert parse_command("unwatch W3K9PQ") == Unwatch("W3K9PQ")
    assert parse_command('unwatch "PTS645SM43SMTR92 LFS"') == Unwatch("PTS645SM43SMTR92 LFS")
    assert isinstance(parse_mention("<@UBOT> watch NE555DR x100 below 0.30"), AddWatch)
    assert isinstance(parse_mention("<@UBOT> watch NE555DR x10O"), Invalid)
    assert isinstance(parse_command("WATCH-TEST1 x5"), Lookup)  # an MPN that starts with the word


# --- the condition ----------------------------------------------------------------------


def offer(stock: int, *breaks: tuple[int, str], currency: str = "USD", moq: int = 1) -> Offer:
    prices = tuple(PricePoint(q, Decimal(p), currency) for q, p in breaks)
    return Offer("SKU", stock, moq, None, "https://example.com/buy", None, prices)


def part(*sellers: Seller) -> Part:
    return Part("LM358DR", "TI", sellers=sellers)


def watch(below: str | None, qty: int = 1000, **kw: object) -> Watch:
    return Watch("W1", "U1", "LM358DR", qty, None if below is None else Decimal(below), channel="C1", **kw)  # type: ignore[arg-type]


def test_below_needs_an_authorized_seller_with_stock_at_or_below_the_price() -> None:
    cheap_broker = Seller("Broker", False, True, (offer(9000, (1, "0.05")),))
    short = Seller("Short", True, False, (offer(999, (1, "0.10")),))
    right = Seller("Mouser", True, False, (offer(5000, (1, "0.30"), (1000, "0.20")),))
    hit = find_hit(watch("0.20"), part(cheap_broker, short, right), 5.0)
    assert hit is not None and hit.seller == "Mouser" and hit.unit_price is not None
    assert hit.unit_price.amount == Decimal("0.20") and hit.stock == 5000 and hit.fetched_at == 5.0
    assert find_hit(watch("0.19"), part(cheap_broker, short, right), 5.0) is None
    assert find_hit(watch("0.19", all_sellers=True), part(cheap_broker), 5.0) is not None


def test_below_is_in_the_watch_currency_and_the_moq_counts() -> None:
    euro = Seller("EU", True, False, (offer(5000, (1, "0.10"), currency="EUR"),))
    assert find_hit(watch("0.20"), part(euro), 0) is None
    assert find_hit(watch("0.20", currency="EUR"), part(euro), 0) is not None
    big_moq = Seller("Reel", True, False, (offer(3000, (3000, "0.01"), moq=3000),))
    assert find_hit(watch("0.20", qty=10), part(big_moq), 0) is not None  # 3,000 bought, in stock
    assert find_hit(watch("0.20", qty=10), part(Seller("R", True, False, (offer(2000, (3000, "0.01"), moq=3000),))), 0) is None


def test_stock_needs_the_quantity_in_known_stock() -> None:
    unknown = Seller("Unknown", True, False, (offer(-2, (1, "1")),))
    some = Seller("Some", True, False, (offer(999, (1, "1")),))
    assert find_hit(watch(None), part(unknown, some), 0) is None
    hit = find_hit(watch(None), part(unknown, some, Seller("Lots", True, False, (offer(1000, (1, "1.5")),))), 0)
    assert hit is not None and hit.seller == "Lots"


def test_stale_answers_never_alert_and_missing_parts_do_not_hold() -> None:
    res = SearchResult(part(Seller("M", True, False, (offer(5000, (1, "0.1")),))), 1)
    assert evaluate(watch("0.2"), res, fetched_at=0.0, now=7200.0, max_age=3600.0) is False
    assert isinstance(evaluate(watch("0.2"), res, fetched_at=7000.0, now=7200.0, max_age=3600.0), Hit)
    assert evaluate(watch("0.2"), SearchResult(None, 0), 7000.0, 7200.0, 3600.0) is None


def test_alerts_once_when_it_starts_holding_and_again_only_after_it_stopped() -> None:
    hit = Hit("M", 5000, None, 1000)
    w = watch("0.2")
    w = advance(w, None, 1.0)
    assert (w.holding, w.pending, w.last_checked) == (False, None, 1.0)
    w = advance(w, hit, 2.0)
    assert w.holding and w.pending == hit
    w = delivered(w)
    assert advance(w, hit, 3.0).pending is None  # still holds: quiet
    w = advance(advance(w, hit, 3.0), None, 4.0)
    assert w.holding is False and w.pending is None
    assert advance(w, hit, 5.0).pending == hit


def test_a_watch_made_while_it_holds_is_not_announced_twice() -> None:
    hit = Hit("M", 5000, None, 1000)
    w = advance(watch("0.2"), hit, 1.0, announce=False)
    assert w.holding and w.pending is None
    assert advance(w, hit, 2.0).pending is None


def test_a_failed_check_changes_nothing_but_the_retry() -> None:
    w = advance(watch("0.2"), None, 1.0)
    f = failed(w, "Nexar down", 900.0)
    assert (f.holding, f.last_checked, f.retry_at, f.problem) == (False, 1.0, 900.0, "Nexar down")


def test_watches_round_trip_through_json_with_exact_prices() -> None:
    hit = Hit("M", 5000, None, 1000, "https://x", True, 3.0)
    w = advance(watch("0.015", mfr="TI", thread_ts="1.2"), hit, 3.0)
    again = Watch.from_json(w.to_json())
    assert again == w and again.below == Decimal("0.015")


# --- the schedule -----------------------------------------------------------------------


def test_the_period_stretches_so_the_months_checks_fit() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    assert month_end(start) == datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    assert period(86400, 5, 300, start) == 86400  # 5 parts × 31 days = 155 checks fit in 300
    stretched = period(86400, 60, 300, start)  # 60 × 31 = 1,860 do not: every 6.2 days
    assert stretched == pytest.approx(31 * 86400 * 60 / 300)
    assert period(86400, 60, 0, start) is None


def test_the_next_check_follows_the_last_answer_of_any_watch_of_the_part() -> None:
    a, b = advance(watch("0.2"), None, 100.0), advance(watch(None), None, 500.0)
    assert next_check([a, b], 1000.0) == 1500.0
    assert next_check([watch("0.2")], 1000.0) == 0.0
    assert next_check([failed(a, "x", 5000.0)], 1000.0) == 5000.0


def test_watch_checks_spend_the_team_month_under_the_watch_budget_never_a_day(tmp_path: Path) -> None:
    from bot.adapters.stores.sqlite import SQLiteStore
    from bot.domain.outcomes import Refusal
    from bot.service.quota import WATCH_MEMBER, QuotaLedger

    store = SQLiteStore(str(tmp_path / "q.sqlite3"))
    ledger = QuotaLedger(store, user_daily=0, team_monthly=100, watch_monthly=5)
    assert not isinstance(ledger.reserve("T1", WATCH_MEMBER, 5), Refusal)
    refused = ledger.reserve("T1", WATCH_MEMBER, 1)
    assert isinstance(refused, Refusal) and refused.scope == "watches" and refused.left == 0
    view = ledger.view("T1", "U1")
    assert (view.team_spent, view.watch_spent, view.watch_left, view.user_spent) == (5, 5, 0, 0)
    assert ledger.top_spenders("T1") == ([], [])
    store.close()


def test_alerts_to_one_channel_are_paced_a_second_apart(tmp_path: Path) -> None:
    from dataclasses import replace

    from bot.adapters.stores.sqlite import SQLiteStore
    from bot.service.lookup import LookupService
    from bot.service.watch_scheduler import Sent, WatchScheduler
    from bot.service.watches import WatchService
    from tests.fakes.source import FakeSource

    store = SQLiteStore(str(tmp_path / "p.sqlite3"))
    service = LookupService(FakeSource(), store, cache_ttl=3600, user_daily=25, team_monthly=1000, watch_monthly=10)
    watches = WatchService(store, service, every=86400, max_age=3600)
    hit = Hit("M", 5000, None, 1000)
    for i, channel in enumerate(("C1", "C1", "C2", "C1")):
        w = replace(watch("0.2"), id=f"W{i}", channel=channel, holding=True, pending=hit, last_checked=1e12)
        assert store.add_watch("T1", w.to_json(), 10, 100) is None
    now = [100.0]
    slept: list[float] = []
    posted: list[tuple[str, float]] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    def send(workspace: str, w: Watch, h: Hit) -> Sent:
        posted.append((w.channel, now[0]))
        now[0] += 0.1
        return Sent(True, channel=w.channel)

    scheduler = WatchScheduler(watches, store, send, sleep=sleep, monotonic=lambda: now[0])
    report = scheduler.check_due(0.0)
    assert report.sent == 4 and report.kept == 0
    c1 = [at for channel, at in posted if channel == "C1"]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(c1)) and len(c1) == 3
    assert len(slept) == 2  # C2's alert did not wait for C1's
    assert scheduler.check_due(0.0).sent == 0  # delivered alerts are not sent twice
    store.close()


def test_watch_settings_are_read_and_checked() -> None:
    from bot.settings import ConfigError, Settings

    s = Settings.from_mapping({"PARTBOT_WATCH_EVERY": "3600", "PARTBOT_WATCH_MONTHLY_PARTS": "50"})
    assert (s.watch_every, s.watch_monthly_parts) == (3600, 50)
    assert (Settings.from_mapping({}).watch_every, Settings.from_mapping({}).watch_monthly_parts) == (86400, 300)
    with pytest.raises(ConfigError) as err:
        Settings.from_mapping({"PARTBOT_WATCH_EVERY": "5", "PARTBOT_WATCH_MONTHLY_PARTS": "lots"})
    assert len(err.value.problems) == 2 and "PARTBOT_WATCH_EVERY" in str(err.value)


def test_a_failing_check_is_never_answered_stale_and_is_billed_once(tmp_path: Path) -> None:
    """A stored answer stands in for users when Nexar fails, never for a watch check: the
    check fails, is retried later, and a possibly-billed timeout is billed once, not on
    every scheduler step."""
    from bot.adapters.stores.sqlite import SQLiteStore
    from bot.domain.models import LineItem, Options
    from bot.ports import PossiblyBilled
    from bot.service.lookup import LookupService
    from bot.service.quota import WATCH_MEMBER
    from bot.service.watches import WatchService
    from tests.fakes.source import FakeSource

    clock = [1_800_000_000.0]
    store = SQLiteStore(str(tmp_path / "w.sqlite3"))
    source = FakeSource()
    service = LookupService(
        source, store, cache_ttl=3600, user_daily=25, team_monthly=1000, watch_monthly=300,
        stale_max_age=30 * 86400, clock=lambda: clock[0],
    )  # fmt: skip
    watches = WatchService(store, service, every=3600, max_age=3600, clock=lambda: clock[0])
    assert service.lookup("T1", "U1", Lookup((LineItem("LM358", 1),), Options())).cost == 1  # a stored answer
    store.add_watch("T1", Watch("W1", "U1", "LM358", 10, Decimal("100"), channel="C1", created_at=clock[0]).to_json(), 10, 100)
    clock[0] += 2 * 3600  # the cached answer expired: the part is due
    source.error = PossiblyBilled("read timeout twice")
    calls = len(source.calls)
    for _ in range(5):
        watches.run_checks(clock[0])
        clock[0] += 20
    stored = store.watches("T1")[0]
    assert stored["retry_at"] > clock[0] and stored["problem"], "the check failed and waits to be retried"
    assert service.ledger.view("T1", WATCH_MEMBER).watch_spent == 1, "the timed-out request, billed once"
    assert len(source.calls) - calls == 1, "not asked again at every step"
    store.close()
