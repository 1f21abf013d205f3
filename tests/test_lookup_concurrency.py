"""A BOM's Nexar requests go out with bounded concurrency, billed exactly as asked.

The real Nexar client against the fake Nexar on loopback; the fake counts requests in
flight and can hold them, so the bound is checked by counting, not by timing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.nexar import NexarClient
from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.commands import Lookup
from bot.domain.models import LineItem, Options
from bot.domain.outcomes import Answer, OverQuota
from bot.service.lookup import LookupService
from tests.conftest import NEXAR_ID, NEXAR_SECRET
from tests.fakes.nexar import FakeNexar


@pytest.fixture
def nexar(fake_nexar: FakeNexar) -> Iterator[NexarClient]:
    client = NexarClient(NEXAR_ID, NEXAR_SECRET, token_url=fake_nexar.token_url, api_url=fake_nexar.api_url, backoff=0.01)
    yield client
    client.close()


def bom(fake: FakeNexar, lines: int) -> Lookup:
    """`lines` distinct MPNs: every part the fake knows, then MPNs it does not."""
    known = [str(p["mpn"]) for p in fake.parts]
    mpns = (known + [f"NOPART{i:04d}" for i in range(lines)])[:lines]
    return Lookup(tuple(LineItem(m, 10) for m in mpns), Options())


def service(tmp_path: Path, nexar: NexarClient, concurrency: int, user_daily: int = 1000) -> LookupService:
    store = SQLiteStore(str(tmp_path / "c.sqlite3"))
    return LookupService(nexar, store, cache_ttl=3600, user_daily=user_daily, team_monthly=10_000, concurrency=concurrency)


def test_a_200_line_bom_keeps_at_most_the_set_number_of_requests_in_flight(
    tmp_path: Path, fake_nexar: FakeNexar, nexar: NexarClient
) -> None:
    svc = service(tmp_path, nexar, concurrency=3)
    fake_nexar.hold = threading.Event()
    seen: list[tuple[int, int]] = []
    results: list[object] = []
    lookup = bom(fake_nexar, 200)
    asker = threading.Thread(
        target=lambda: results.append(svc.lookup("T", "U1", lookup, progress=lambda d, t: seen.append((d, t))))
    )
    asker.start()
    deadline = time.monotonic() + 20
    while fake_nexar.in_flight < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # room for a fourth request to arrive, were the bound broken
    held = fake_nexar.in_flight
    fake_nexar.hold.set()
    asker.join(30)
    assert held == 3, "three requests went out at once and no more"
    assert fake_nexar.max_in_flight == 3
    assert len(fake_nexar.requests) == 10, "200 MPNs in 10 supMultiMatch requests of 20"
    out = results[0]
    assert isinstance(out, Answer) and len(out.answers) == 200
    assert out.cost == fake_nexar.matched_parts_billed == len(fake_nexar.parts)
    view = svc.quota("T", "U1")
    assert view is not None and view.user_spent == fake_nexar.matched_parts_billed, "billed exactly what Nexar returned"
    assert len(seen) == 10 and seen[-1] == (200, 200), "progress after each request"


def test_concurrency_one_sends_one_request_at_a_time(tmp_path: Path, fake_nexar: FakeNexar, nexar: NexarClient) -> None:
    svc = service(tmp_path, nexar, concurrency=1)
    out = svc.lookup("T", "U1", bom(fake_nexar, 45))
    assert isinstance(out, Answer)
    assert len(fake_nexar.requests) == 3 and fake_nexar.max_in_flight == 1


def test_a_bom_over_quota_sends_nothing(tmp_path: Path, fake_nexar: FakeNexar, nexar: NexarClient) -> None:
    svc = service(tmp_path, nexar, concurrency=5, user_daily=150)
    out = svc.lookup("T", "U1", bom(fake_nexar, 200))
    assert isinstance(out, OverQuota) and out.refusal.needed == 200 and out.fits == 150
    assert fake_nexar.requests == [] and fake_nexar.matched_parts_billed == 0
