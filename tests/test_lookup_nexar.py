"""The lookup service over the real Nexar client and the fake Nexar: manufacturers narrow
the match and key the cache; a read timeout is retried once and settled as billed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.adapters.batching import BatchingSource
from bot.adapters.nexar import NexarClient
from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.commands import Lookup
from bot.domain.models import LineItem, LookupKey, Options
from bot.domain.outcomes import Answer, Failed
from bot.service.lookup import LookupService
from tests.conftest import NEXAR_ID, NEXAR_SECRET
from tests.fakes.nexar import FakeNexar


@pytest.fixture
def service(fake_nexar: FakeNexar, tmp_path: Path) -> Iterator[LookupService]:
    ti = next(p for p in fake_nexar.parts if p["mpn"] == "LM358DR")
    fake_nexar.parts.append({**ti, "manufacturer": {"name": "onsemi"}, "shortDescription": "Op amp, onsemi"})
    client = NexarClient(
        NEXAR_ID,
        NEXAR_SECRET,
        token_url=fake_nexar.token_url,
        api_url=fake_nexar.api_url,
        sleep=lambda _: None,
        http=httpx.Client(timeout=httpx.Timeout(0.5)),
    )
    store = SQLiteStore(str(tmp_path / "store.sqlite3"))
    yield LookupService(BatchingSource(client), store, cache_ttl=3600, user_daily=25, team_monthly=1000)
    client.close()
    store.close()


def makers(out: object) -> list[str | None]:
    assert isinstance(out, Answer), out
    return [a.result.part.manufacturer if a.result and a.result.part else None for a in out.answers]


def spent(service: LookupService, user: str = "U1") -> int:
    view = service.quota("T", user)
    assert view is not None
    return view.user_spent


# --- manufacturer ----------------------------------------------------------------------


def test_a_lines_manufacturer_else_the_commands_narrows_the_match(service: LookupService, fake_nexar: FakeNexar) -> None:
    assert makers(service.lookup("T", "U1", Lookup((LineItem("LM358DR"),)))) == ["Texas Instruments"]
    by_option = Lookup((LineItem("LM358DR"),), Options(mfr="onsemi"))
    assert makers(service.lookup("T", "U1", by_option)) == ["onsemi"]
    both = Lookup((LineItem("LM358DR", 5, mfr="TI"), LineItem("NE555DR"), LineItem("LM358DR")), Options(mfr="onsemi"))
    out = service.lookup("T", "U1", both)
    assert makers(out) == ["Texas Instruments", None, "onsemi"], "NE555DR is not made by onsemi"
    assert isinstance(out, Answer) and out.cost == 1  # the TI part; onsemi's LM358DR was cached
    sent = fake_nexar.requests[-1].variables["queries"]
    assert [(q["mpn"], q.get("manufacturer"), q["limit"]) for q in sent] == [("LM358DR", "TI", 1), ("NE555DR", "onsemi", 1)]
    assert spent(service) == 3 == fake_nexar.matched_parts_billed


def test_the_manufacturer_keys_the_cache_whatever_its_case_and_spacing(service: LookupService, fake_nexar: FakeNexar) -> None:
    for mfr in ("onsemi", None, "ONSEMI", " onsemi "):
        service.lookup("T", "U1", Lookup((LineItem("LM358DR", mfr=mfr),)))
    assert len(fake_nexar.requests) == 2
    assert LookupKey("LM358DR", mfr="  Texas   Instruments ").mfr == "Texas Instruments"
    assert LookupKey("LM358DR", mfr=" ").mfr is None
    keys = {LookupKey("LM358DR", mfr=m).cache_key() for m in ("texas instruments", "Texas  Instruments", "TEXAS INSTRUMENTS")}
    assert len(keys) == 1
    assert LookupKey("LM358DR").cache_key() != LookupKey("LM358DR", mfr="TI").cache_key() != keys.pop()


def test_answers_cached_before_order_multiples_were_asked_for_are_not_used(service: LookupService, fake_nexar: FakeNexar) -> None:
    old = service.source.search_mpn(LookupKey("AD7685ARM"), 1)
    service.store.cache_put("v1|AD7685ARM|USD|US|auth", old.to_json(), time.time(), 3600)
    out = service.lookup("T", "U1", Lookup((LineItem("AD7685ARM"),)))
    assert isinstance(out, Answer) and not out.answers[0].from_cache
    assert len(fake_nexar.requests) == 2


# --- read timeouts ---------------------------------------------------------------------


def test_a_read_timeout_twice_is_settled_as_billed(service: LookupService, fake_nexar: FakeNexar) -> None:
    fake_nexar.fail_next("timeout", times=2, seconds=1.5, bill=True)
    out = service.lookup("T", "U1", Lookup((LineItem("AD7685ARM"),)))
    assert isinstance(out, Failed) and "may still have counted the lookup" in out.message
    assert len(fake_nexar.requests) == 2
    assert spent(service) == 1, "the reservation is kept, not refunded"
    assert isinstance(service.lookup("T", "U1", Lookup((LineItem("AD7685ARM"),))), Answer)
    assert spent(service) == 2, "nothing was cached from the lost answers: asked and billed again"


def test_a_read_timeout_on_a_batch_bills_each_part_once(service: LookupService, fake_nexar: FakeNexar) -> None:
    fake_nexar.fail_next("timeout", times=2, seconds=1.5, bill=True)
    out = service.lookup("T", "U1", Lookup((LineItem("AD7685ARM"), LineItem("NE555DR"), LineItem("LM358DR", mfr="onsemi"))))
    assert isinstance(out, Failed)
    assert spent(service) == 3


def test_a_read_timeout_then_an_answer_costs_what_was_returned(service: LookupService, fake_nexar: FakeNexar) -> None:
    fake_nexar.fail_next("timeout", seconds=1.5)
    out = service.lookup("T", "U1", Lookup((LineItem("AD7685ARM"),)))
    assert isinstance(out, Answer) and out.cost == 1
    assert spent(service) == 1


def test_other_failures_still_refund(service: LookupService, fake_nexar: FakeNexar) -> None:
    fake_nexar.fail_next("503", times=3, retry_after=0)
    out = service.lookup("T", "U1", Lookup((LineItem("AD7685ARM"),)))
    assert isinstance(out, Failed) and "not answering" in out.message
    assert spent(service) == 0
