"""The alternates finder over a hand-written source: what is reserved, settled and cached."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.commands import Lookup
from bot.domain.models import LineItem, Options
from bot.domain.outcomes import Answer
from bot.ports import SourceUnavailable
from bot.service.alternates import AlternatesFinder
from bot.service.lookup import LookupService
from tests.fakes.source import FakeSource


def service(tmp_path: Path, source: FakeSource, daily: int = 25) -> LookupService:
    store = SQLiteStore(str(tmp_path / "s.sqlite3"))
    return LookupService(source, store, cache_ttl=3600, user_daily=daily, team_monthly=1000)


def ask(svc: LookupService, reserve: int = 10) -> Answer:
    out = svc.lookup("T", "U1", Lookup((LineItem("ATMEGA328P-AU", 100),), Options(alternates=True)))
    added = AlternatesFinder(svc, reserve).add("T", "U1", out)
    assert isinstance(added, Answer)
    return added


def spent(svc: LookupService) -> int:
    view = svc.quota("T", "U1")
    assert view is not None
    return view.user_spent


def test_every_part_returned_is_billed_and_the_second_ask_is_free(tmp_path: Path) -> None:
    source = FakeSource()
    svc = service(tmp_path, source)
    first = ask(svc)
    assert first.alternates is not None
    assert [a.item.mpn for a in first.alternates.shown] == ["ESP32-WROOM-32E", "STM32F103C8T6"], "cheapest first"
    assert first.alternates.returned == 2 and first.alternates.cost == 3 and first.cost == 4
    assert spent(svc) == 4 == source.parts_returned
    second = ask(svc)
    assert second.alternates is not None and second.alternates.cost == 0 and second.cost == 0
    assert [c[0] for c in source.calls] == ["search", "similar"]
    assert spent(svc) == 4


def test_a_failed_ask_refunds_the_reserve_and_says_why(tmp_path: Path) -> None:
    source = FakeSource()
    svc = service(tmp_path, source)
    svc.lookup("T", "U1", Lookup((LineItem("ATMEGA328P-AU", 100),)))
    source.error = SourceUnavailable("down")
    out = ask(svc)
    assert out.alternates is not None and out.alternates.problem == SourceUnavailable.user_message
    assert out.alternates.cost == 0 and spent(svc) == 1


def test_the_reserve_is_checked_against_what_is_left(tmp_path: Path) -> None:
    svc = service(tmp_path, FakeSource(), daily=10)
    out = ask(svc)
    assert out.alternates is not None and out.alternates.refused is not None
    assert (out.alternates.refused.scope, out.alternates.refused.needed, out.alternates.refused.left) == ("user", 10, 9)
    assert spent(svc) == 1
