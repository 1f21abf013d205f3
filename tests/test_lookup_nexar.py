"""The lookup service over the real Nexar client and the fake Nexar."""

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
from bot.domain.models import LineItem, LookupKey
from bot.domain.outcomes import Answer
from bot.service.lookup import LookupService
from tests.conftest import NEXAR_ID, NEXAR_SECRET
from tests.fakes.nexar import FakeNexar


@pytest.fixture
def service(fake_nexar: FakeNexar, tmp_path: Path) -> Iterator[LookupService]:
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


def test_answers_cached_before_order_multiples_were_asked_for_are_not_used(service: LookupService, fake_nexar: FakeNexar) -> None:
    old = service.source.search_mpn(LookupKey("AD7685ARM"), 1)
    service.store.cache_put("v1|AD7685ARM|USD|US|auth", old.to_json(), time.time(), 3600)
    out = service.lookup("T", "U1", Lookup((LineItem("AD7685ARM"),)))
    assert isinstance(out, Answer) and not out.answers[0].from_cache
    assert len(fake_nexar.requests) == 2
