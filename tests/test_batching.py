"""BatchingSource: searches that meet a busy Nexar share one request; a quiet one goes alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.adapters.batching import BatchingSource
from bot.domain.models import LookupKey, SearchResult
from bot.ports import QueryRejected, SourceError, SourceUnavailable


class Inner:
    """Answers every search with hits = len(mpn); records each request; can hold requests open."""

    billed = True
    is_sample = False

    def __init__(self) -> None:
        self.requests: list[list[str]] = []
        self.kinds: dict[tuple[str, ...], str] = {}
        self.gate = threading.Event()
        self.gate.set()
        self.in_flight = threading.Event()
        self.fail_request: SourceError | None = None
        self.failing = {"FAIL-ME"}
        self._lock = threading.Lock()

    def _answer(self, key: LookupKey) -> SearchResult | SourceError:
        if key.mpn in self.failing:
            return QueryRejected("no data", "Nexar could not look up this part.")
        return SearchResult(None, len(key.mpn))

    def _request(self, keys: Sequence[LookupKey], kind: str) -> list[SearchResult | SourceError]:
        with self._lock:
            self.requests.append([k.mpn for k in keys])
            self.kinds[tuple(sorted(k.mpn for k in keys))] = kind
        self.in_flight.set()
        self.gate.wait(10)
        if self.fail_request is not None:
            raise self.fail_request
        return [self._answer(k) for k in keys]

    def search_mpn(self, key: LookupKey, limit: int) -> SearchResult:
        result = self._request([key], "search")[0]
        if isinstance(result, SourceError):
            raise result
        return result

    def search_many(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]:
        """Like Nexar: a failing search nulls the whole response (supSearchMpn is non-null)."""
        assert 1 < len(keys) <= 20 and len({(k.currency, k.country, k.all_sellers) for k in keys}) == 1
        assert all(k.mfr is None for k in keys), "supSearchMpn cannot filter on a manufacturer"
        results = self._request(keys, "search_many")
        if any(isinstance(r, SourceError) for r in results):
            raise QueryRejected("Query failed")
        return results

    def multi_match(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]:
        return self._request(keys, "multi_match")

    def suggest(self, text: str) -> tuple[str, ...]:
        return (text + "X",)


def search(source: BatchingSource, key: LookupKey) -> SearchResult | SourceError:
    try:
        return source.search_mpn(key, 1)
    except SourceError as exc:
        return exc


def while_busy(inner: Inner, source: BatchingSource, keys: list[LookupKey]) -> list[SearchResult | SourceError]:
    """Search `keys` at once while a first search holds Nexar busy; return their outcomes."""
    inner.gate.clear()
    with ThreadPoolExecutor(len(keys) + 1) as pool:
        first = pool.submit(search, source, LookupKey("FIRST"))
        assert inner.in_flight.wait(5)
        futures = [pool.submit(search, source, k) for k in keys]
        threading.Timer(0.3, inner.gate.set).start()
        outcomes = [f.result(10) for f in futures]
        assert first.result(10) == SearchResult(None, 5)
    return outcomes


def test_a_search_on_a_quiet_source_goes_alone_at_once() -> None:
    inner = Inner()
    source = BatchingSource(inner, window=5.0)
    for _ in range(3):
        started = time.monotonic()
        assert source.search_mpn(LookupKey("NE555DR"), 1) == SearchResult(None, 7)
        assert time.monotonic() - started < 2.5, "waited for company"
    assert inner.requests == [["NE555DR"]] * 3
    assert source._in_flight == 0


def test_searches_arriving_while_busy_share_one_request_and_get_their_own_answers() -> None:
    inner = Inner()
    source = BatchingSource(inner, window=0.2)
    keys = [LookupKey("A" * n) for n in range(1, 6)]
    outcomes = while_busy(inner, source, keys)
    assert outcomes == [SearchResult(None, n) for n in range(1, 6)]
    assert inner.requests[0] == ["FIRST"]
    assert sorted(inner.requests[1]) == sorted(k.mpn for k in keys)
    assert len(inner.requests) == 2
    assert source._in_flight == 0 and not source._open


def test_batches_keep_to_their_size_and_to_one_currency_country_and_seller_filter() -> None:
    inner = Inner()
    source = BatchingSource(inner, window=0.2, size=3)
    keys = [LookupKey(f"P{i}") for i in range(5)] + [LookupKey("E1", currency="EUR"), LookupKey("B1", all_sellers=True)]
    outcomes = while_busy(inner, source, keys)
    assert all(isinstance(o, SearchResult) for o in outcomes)
    batches = inner.requests[1:]
    assert all(len(b) <= 3 for b in batches)
    assert sorted(m for b in batches for m in b) == sorted(k.mpn for k in keys)
    assert ["E1"] in batches and ["B1"] in batches


def test_searches_naming_a_manufacturer_share_one_multi_match_apart_from_the_others() -> None:
    inner = Inner()
    source = BatchingSource(inner, window=0.2)
    keys = [LookupKey("A1"), LookupKey("BB2", mfr="TI"), LookupKey("CCC3", mfr="onsemi"), LookupKey("DDDD4")]
    outcomes = while_busy(inner, source, keys)
    assert outcomes == [SearchResult(None, len(k.mpn)) for k in keys]
    assert len(inner.requests) == 3
    assert inner.kinds == {("FIRST",): "search", ("A1", "DDDD4"): "search_many", ("BB2", "CCC3"): "multi_match"}


def test_link_searches_by_sku_join_the_multi_match_and_a_part_id_goes_alone() -> None:
    """A Mouser SKU is matched with `supMultiMatch` (`sku`); an Octopart id needs `supParts`,
    which no batch carries, so it is asked alone even while Nexar is busy."""
    inner = Inner()
    source = BatchingSource(inner, window=0.2)
    keys = [LookupKey("595-LM358DR", by="sku"), LookupKey("BB2", mfr="TI"), LookupKey("24534", by="id"), LookupKey("A1")]
    outcomes = while_busy(inner, source, keys)
    assert outcomes == [SearchResult(None, len(k.mpn)) for k in keys]
    assert inner.kinds == {
        ("FIRST",): "search",
        ("595-LM358DR", "BB2"): "multi_match",
        ("24534",): "search",
        ("A1",): "search",
    }


def test_a_failing_search_fails_only_its_asker_the_others_ask_again_alone() -> None:
    inner = Inner()
    source = BatchingSource(inner, window=0.2)
    outcomes = while_busy(inner, source, [LookupKey("GOOD"), LookupKey("FAIL-ME")])
    assert outcomes[0] == SearchResult(None, 4)
    assert isinstance(outcomes[1], QueryRejected)
    assert sorted(inner.requests[1]) == ["FAIL-ME", "GOOD"]
    assert sorted(inner.requests[2:]) == [["FAIL-ME"], ["GOOD"]]
    assert source._in_flight == 0


def test_a_failed_request_fails_every_search_in_it_and_the_source_stays_usable() -> None:
    inner = Inner()
    source = BatchingSource(inner, window=0.2)
    inner.gate.clear()
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(search, source, LookupKey("FIRST"))
        assert inner.in_flight.wait(5)
        futures = [pool.submit(search, source, LookupKey(m)) for m in ("A1", "B2", "C3")]
        threading.Timer(0.3, inner.gate.set).start()
        inner.fail_request = SourceUnavailable("down")
        outcomes = [f.result(10) for f in futures]
        first.result(10)
    assert all(isinstance(o, SourceUnavailable) for o in outcomes)
    assert source._in_flight == 0
    inner.fail_request = None
    assert source.search_mpn(LookupKey("AGAIN"), 1) == SearchResult(None, 5)
    assert inner.requests[-1] == ["AGAIN"]  # nothing left in flight: alone again


@pytest.mark.parametrize("method", ["multi_match", "suggest"])
def test_other_calls_pass_straight_through(method: str) -> None:
    inner = Inner()
    source = BatchingSource(inner)
    if method == "multi_match":
        assert source.multi_match([LookupKey("A1"), LookupKey("B2")], 1) == [SearchResult(None, 2)] * 2
        assert inner.requests == [["A1", "B2"]]
    else:
        assert source.suggest("LM35") == ("LM35X",)
    assert source.billed and not source.is_sample
