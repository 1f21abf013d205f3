"""Joins single-part searches that arrive while Nexar is busy into one request.

A search that finds no other search in flight goes out at once, alone: quiet traffic
pays no delay. One that arrives while others are in flight waits up to `window` for
company with the same currency, country and seller filter, and then they go together
(at most MAX_MULTI_QUERIES a request). Each search in a batch is the same `supSearchMpn`
it would have been alone, with the same `limit`, so answers and billing do not change;
fifty people asking at once cost a handful of requests instead of fifty.

Searches naming a manufacturer or a seller's SKU batch apart, into one `supMultiMatch`
(the only query that filters on either), each query still with its own `limit`. A search
by Octopart part id goes out alone (`supParts`).

`supSearchMpn` is non-null in Nexar's schema, so one search that fails takes the whole
request's `data` with it: when Nexar rejects a batch, each search in it is asked again
alone, and only the bad one fails.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.models import LookupKey, Part, SearchResult
from bot.ports import MAX_MULTI_QUERIES, QueryRejected, SourceError

log = logging.getLogger(__name__)

WINDOW = 0.005


class BatchSearch(Protocol):
    billed: bool
    is_sample: bool

    def search_mpn(self, key: LookupKey, limit: int) -> SearchResult: ...

    def search_many(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]: ...

    def multi_match(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]: ...

    def suggest(self, text: str) -> tuple[str, ...]: ...

    def similar(self, key: LookupKey) -> tuple[SearchResult, tuple[Part, ...]]: ...


Group = tuple[str, str, bool, int, bool]
"""currency, country, all sellers, limit, and whether the searches need `supMultiMatch`
(they name a manufacturer, or a seller's SKU)."""


@dataclass(eq=False)
class _Batch:
    keys: list[LookupKey] = field(default_factory=list)
    full: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    results: list[SearchResult | SourceError] = field(default_factory=list)
    error: SourceError | None = None


class BatchingSource:
    """A PartSource in front of a source that can answer several searches in one request."""

    def __init__(self, inner: BatchSearch, *, window: float = WINDOW, size: int = MAX_MULTI_QUERIES) -> None:
        self.inner, self.window, self.size = inner, window, size
        self.billed, self.is_sample = inner.billed, inner.is_sample
        self._lock = threading.Lock()
        self._in_flight = 0
        self._open: dict[Group, _Batch] = {}

    def search_mpn(self, key: LookupKey, limit: int) -> SearchResult:
        if key.by == "id":  # `supParts`, which no batch query carries
            return self.inner.search_mpn(key, limit)
        group: Group = (key.currency, key.country, key.all_sellers, limit, key.mfr is not None or key.by == "sku")
        with self._lock:
            batch = self._open.get(group)
            if batch is None and self._in_flight == 0:
                self._in_flight += 1
                batch, leader = None, False
            elif batch is None:
                batch, leader = _Batch(keys=[key]), True
                self._open[group] = batch
            else:
                batch.keys.append(key)
                leader = False
                if len(batch.keys) >= self.size:
                    del self._open[group]
                    batch.full.set()
            index = len(batch.keys) - 1 if batch else 0
        if batch is None:
            try:
                return self.inner.search_mpn(key, limit)
            finally:
                self._finished()
        if leader:
            self._lead(group, batch, limit)
        else:
            batch.done.wait()
        if isinstance(batch.error, QueryRejected) and len(batch.keys) > 1:
            return self.inner.search_mpn(key, limit)
        if batch.error is not None:
            raise batch.error
        if index >= len(batch.results):
            raise SourceError("the batch this search was in did not finish")
        result = batch.results[index]
        if isinstance(result, SourceError):
            raise result
        return result

    def _lead(self, group: Group, batch: _Batch, limit: int) -> None:
        by_manufacturer = group[4]
        batch.full.wait(self.window)
        with self._lock:
            if self._open.get(group) is batch:
                del self._open[group]
            self._in_flight += 1
        try:
            if len(batch.keys) == 1:
                batch.results = [self.inner.search_mpn(batch.keys[0], limit)]
            elif by_manufacturer:
                batch.results = self.inner.multi_match(batch.keys, limit)
            else:
                batch.results = self.inner.search_many(batch.keys, limit)
        except SourceError as exc:
            batch.error = exc
        except Exception as exc:
            log.exception("a batch of %d searches failed", len(batch.keys))
            batch.error = SourceError(repr(exc))
        finally:
            self._finished()
            batch.done.set()

    def _finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def multi_match(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]:
        return self.inner.multi_match(keys, limit)

    def suggest(self, text: str) -> tuple[str, ...]:
        return self.inner.suggest(text)

    def similar(self, key: LookupKey) -> tuple[SearchResult, tuple[Part, ...]]:
        return self.inner.similar(key)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close:
            close()
