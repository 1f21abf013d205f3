"""The lookup service: quota → cache → source, with a hand-written source and real stores."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.commands import Lookup
from bot.domain.models import LineItem, Options
from bot.domain.outcomes import Answer, Failed, OverQuota
from bot.domain.parsing import parse_command
from bot.ports import SourceUnavailable, Store
from bot.service.lookup import LookupService
from tests.fakes.source import FakeSource


class Clock:
    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make(
    store: Store,
    source: FakeSource | None = None,
    *,
    user_daily: int = 25,
    team_monthly: int = 1000,
    ttl: int = 3600,
    clock: Clock | None = None,
) -> tuple[LookupService, FakeSource]:
    source = source or FakeSource()
    kw = {"clock": clock} if clock else {}
    return LookupService(source, store, cache_ttl=ttl, user_daily=user_daily, team_monthly=team_monthly, **kw), source


def ask(text: str) -> Lookup:
    cmd = parse_command(text)
    assert isinstance(cmd, Lookup)
    return cmd


def test_cache_hit_is_free_and_ignores_quantity(store: Store) -> None:
    svc, src = make(store)
    first = svc.lookup("T", "U1", ask("AD7685ARM x250"))
    second = svc.lookup("T", "U2", ask("ad7685arm x10"))
    assert isinstance(first, Answer) and isinstance(second, Answer)
    assert first.cost == 1 and second.cost == 0
    assert second.answers[0].from_cache and not first.answers[0].from_cache
    assert len(src.calls) == 1
    assert svc.quota("T", "U2").user_spent == 0  # type: ignore[union-attr]


def test_currency_country_and_seller_filter_are_part_of_the_key(store: Store) -> None:
    svc, src = make(store)
    for text in ("LM358DR", "LM358DR --currency EUR", "LM358DR --country DE", "LM358DR --all", "LM358DR x5 --all"):
        svc.lookup("T", "U1", ask(text))
    assert len(src.calls) == 4


def test_cache_expires_after_ttl(store: Store) -> None:
    clock = Clock()
    svc, src = make(store, ttl=600, clock=clock)
    svc.lookup("T", "U1", ask("NE555DR"))
    clock.now += 599
    svc.lookup("T", "U1", ask("NE555DR"))
    assert len(src.calls) == 1
    clock.now += 2
    svc.lookup("T", "U1", ask("NE555DR"))
    assert len(src.calls) == 2


def test_identical_simultaneous_lookups_make_one_request(store: Store) -> None:
    src = FakeSource()
    src.gate = threading.Event()
    svc, _ = make(store, src)
    results: list[object] = []

    def go(user: str) -> None:
        results.append(svc.lookup("T", user, ask("AD7685ARM x10")))

    threads = [threading.Thread(target=go, args=(f"U{i}",)) for i in range(20)]
    for t in threads:
        t.start()
    threading.Timer(0.3, src.gate.set).start()
    for t in threads:
        t.join(20)
    assert len(results) == 20 and all(isinstance(r, Answer) for r in results)
    assert len(src.calls) == 1
    assert sum(r.cost for r in results if isinstance(r, Answer)) == 1


def test_fifty_concurrent_lookups_never_overspend(store: Store) -> None:
    svc, src = make(store, FakeSource(latency=0.01), user_daily=5)
    keys = [(p.mpn, cur) for cur in ("USD", "EUR", "GBP", "JPY", "CHF") for p in src.catalog.parts()][:50]
    outcomes: list[object] = []
    barrier = threading.Barrier(50)

    def go(i: int) -> None:
        mpn, currency = keys[i]
        barrier.wait()
        outcomes.append(svc.lookup("T", "U1", Lookup((LineItem(mpn),), Options(currency=currency))))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    view = svc.quota("T", "U1")
    assert view is not None and view.user_spent == 5
    assert src.parts_returned == 5
    assert sum(1 for o in outcomes if isinstance(o, Answer)) == 5
    assert sum(1 for o in outcomes if isinstance(o, OverQuota)) == 45


def test_over_quota_says_when_it_resets_and_sends_nothing(store: Store) -> None:
    svc, src = make(store, user_daily=1)
    assert isinstance(svc.lookup("T", "U1", ask("LM358DR")), Answer)
    over = svc.lookup("T", "U1", ask("NE555DR"))
    assert isinstance(over, OverQuota)
    assert over.refusal.scope == "user" and over.refusal.left == 0 and over.refusal.needed == 1
    assert over.refusal.resets.hour == 0 and over.refusal.resets.minute == 0
    assert len(src.calls) == 1
    # Cache hits are free and allowed over quota.
    hit = svc.lookup("T", "U1", ask("LM358DR x100"))
    assert isinstance(hit, Answer) and hit.cost == 0


def test_team_monthly_quota(store: Store) -> None:
    svc, _ = make(store, user_daily=10, team_monthly=2)
    svc.lookup("T", "U1", ask("LM358DR"))
    svc.lookup("T", "U2", ask("NE555DR"))
    over = svc.lookup("T", "U3", ask("AD7685ARM"))
    assert isinstance(over, OverQuota) and over.refusal.scope == "team"
    assert svc.quota("OTHER", "U3").team_spent == 0  # type: ignore[union-attr]


def test_several_parts_over_quota_bill_nothing_and_say_what_fits(store: Store) -> None:
    svc, src = make(store, user_daily=2)
    svc.lookup("T", "U1", ask("LM358DR"))
    out = svc.lookup("T", "U1", ask("LM358DR x5, NE555DR, AD7685ARM, TPS54331DR"))
    assert isinstance(out, OverQuota)
    assert out.refusal.needed == 3 and out.refusal.left == 1
    assert out.fits == 2  # the cached LM358DR plus one more
    assert len(src.calls) == 1
    assert svc.quota("T", "U1").user_spent == 1  # type: ignore[union-attr]


def test_failure_refunds_the_reservation(store: Store) -> None:
    src = FakeSource()
    src.error = SourceUnavailable("down")
    svc, _ = make(store, src)
    out = svc.lookup("T", "U1", ask("LM358DR"))
    assert isinstance(out, Failed) and "not answering" in out.message
    assert svc.quota("T", "U1").user_spent == 0  # type: ignore[union-attr]
    src.error = None
    assert isinstance(svc.lookup("T", "U1", ask("LM358DR")), Answer)


def test_settles_to_parts_actually_returned(store: Store) -> None:
    svc, _ = make(store)
    out = svc.lookup("T", "U1", ask("NOSUCHPART999, LM358DR"))
    assert isinstance(out, Answer) and out.cost == 1
    assert svc.quota("T", "U1").user_spent == 1  # type: ignore[union-attr]


def test_no_match_suggests_close_mpns(store: Store) -> None:
    svc, _ = make(store)
    out = svc.lookup("T", "U1", ask("AD7685XYZ"))
    assert isinstance(out, Answer)
    assert out.answers[0].result is not None and out.answers[0].result.part is None
    assert "AD7685ARM" in out.answers[0].result.suggestions


def test_big_lists_go_in_batches_of_twenty_with_progress(store: Store) -> None:
    svc, src = make(store, user_daily=100)
    items = tuple(LineItem(f"NOPART{i:03d}") for i in range(45))
    seen: list[tuple[int, int]] = []
    out = svc.lookup("T", "U1", Lookup(items, Options()), progress=lambda d, t: seen.append((d, t)))
    assert isinstance(out, Answer)
    assert sorted(len(c[1]) for c in src.calls) == [5, 20, 20]
    assert len(seen) == 3 and seen[-1] == (45, 45), "a report per request, in the order they come back"
    assert [d for d, _ in seen] == sorted({d for d, _ in seen})


def test_restart_keeps_spent_quota_and_cache(tmp_path: Path) -> None:
    path = str(tmp_path / "restart.sqlite3")
    first = SQLiteStore(path)
    svc, _ = make(first)
    svc.lookup("T", "U1", ask("LM358DR, NE555DR"))
    first.close()
    second = SQLiteStore(path)
    svc2, src2 = make(second)
    assert svc2.quota("T", "U1").user_spent == 2  # type: ignore[union-attr]
    out = svc2.lookup("T", "U1", ask("NE555DR x10"))
    assert isinstance(out, Answer) and out.cost == 0 and src2.calls == []
    second.close()


def test_recent_lookups_are_recorded(store: Store) -> None:
    svc, _ = make(store)
    svc.lookup("T", "U1", ask("AD7685ARM x250"))
    recent = svc.recent("T", "U1")
    assert recent[0].mpn == "AD7685ARM" and recent[0].qty == 250 and str(recent[0].price).startswith("$")


def test_fits_counts_lines_against_the_tighter_of_user_and_team(store: Store) -> None:
    svc, src = make(store, user_daily=5, team_monthly=3)
    out = svc.lookup("T", "U1", ask("LM358DR, NE555DR, AD7685ARM, TPS54331DR, BC547B, MAX232CPE"))
    assert isinstance(out, OverQuota) and out.fits == 3
    assert src.calls == []


def test_parts_bought_before_a_refusal_are_answered_not_dropped(store: Store) -> None:
    from bot.service.lookup import _LeaderRefused

    svc, src = make(store, user_daily=1)
    other = svc._key(LineItem("NE555DR"), Options()).cache_key()
    svc.flights.claim([other])  # another user's lookup of NE555DR is in flight
    results: list[object] = []
    asker = threading.Thread(target=lambda: results.append(svc.lookup("T", "U1", ask("LM358DR, NE555DR"))))
    asker.start()
    while not src.calls:  # U1 buys LM358DR (its last unit), then waits on NE555DR
        pass
    svc.flights.fail(other, _LeaderRefused())  # ... whose leader turns out to be over its own quota
    asker.join(10)
    out = results[0]
    assert isinstance(out, Answer), "LM358DR was bought for this request; the answer must not be thrown away"
    assert out.cost == 1 and out.answers[0].error is None
    assert out.answers[1].error is not None and "quota" in out.answers[1].error
    assert svc.quota("T", "U1").user_spent == 1  # type: ignore[union-attr]


def test_an_unreadable_cache_entry_is_a_miss(store: Store) -> None:
    svc, src = make(store)
    svc.lookup("T", "U1", ask("NE555DR"))
    key = next(iter(svc.cache._local.keys()))
    svc.cache._local.clear()
    store.cache_put(key, {"part": {"mpn": "X", "unexpected": 1}, "hits": 1}, svc.clock(), 3600)
    out = svc.lookup("T", "U1", ask("NE555DR"))
    assert isinstance(out, Answer) and out.answers[0].result is not None and out.answers[0].result.part is not None
    assert len(src.calls) == 2


def test_a_failing_progress_report_does_not_abort_a_paid_lookup(store: Store) -> None:
    svc, src = make(store, user_daily=100)

    def broken(done: int, total: int) -> None:
        raise TimeoutError("slack is slow")

    out = svc.lookup("T", "U1", Lookup(tuple(LineItem(f"NOPART{i:03d}") for i in range(25)), Options()), progress=broken)
    assert isinstance(out, Answer) and len(src.calls) == 2


def test_spelling_variants_of_one_mpn_share_a_cache_entry(store: Store) -> None:
    svc, src = make(store)
    svc.lookup("T", "U1", ask("AD7685ARM"))
    out = svc.lookup("T", "U1", ask("ad7685-arm"))
    assert isinstance(out, Answer) and out.cost == 0 and len(src.calls) == 1


def test_two_processes_on_one_store_make_one_request(store: Store) -> None:
    """Two services (as two processes would have) share the store, not their single-flight."""
    src = FakeSource()
    src.gate = threading.Event()
    first, _ = make(store, src)
    second, _ = make(store, src)
    results: dict[str, object] = {}
    a = threading.Thread(target=lambda: results.update(a=first.lookup("T", "U1", ask("AD7685ARM x5"))))
    a.start()
    while not src.calls:
        pass
    b = threading.Thread(target=lambda: results.update(b=second.lookup("T", "U2", ask("AD7685ARM x50"))))
    b.start()
    threading.Timer(0.3, src.gate.set).start()
    a.join(10)
    b.join(10)
    assert len(src.calls) == 1
    assert isinstance(results["a"], Answer) and results["a"].cost == 1
    assert isinstance(results["b"], Answer) and results["b"].cost == 0
