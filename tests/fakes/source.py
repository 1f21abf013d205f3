"""A hand-written PartSource for service tests: billed like Nexar, observable, controllable."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from bot.adapters.catalog import SampleCatalog
from bot.domain.models import LookupKey, Part, SearchResult
from bot.ports import SourceError


class FakeSource:
    billed = True
    is_sample = False

    def __init__(self, latency: float = 0.0) -> None:
        self.catalog = SampleCatalog()
        self.latency = latency
        self.gate: threading.Event | None = None
        self.error: SourceError | None = None
        self.calls: list[tuple[str, tuple[str, ...], int]] = []
        self.parts_returned = 0
        self._lock = threading.Lock()

    def _enter(self, kind: str, keys: Sequence[LookupKey], limit: int) -> None:
        with self._lock:
            self.calls.append((kind, tuple(k.mpn for k in keys), limit))
        if self.gate is not None:
            self.gate.wait(10)
        if self.latency:
            time.sleep(self.latency)
        if self.error is not None:
            raise self.error

    def _count(self, results: Sequence[SearchResult | SourceError]) -> None:
        with self._lock:
            self.parts_returned += sum(1 for r in results if isinstance(r, SearchResult) and r.part is not None)

    def search_mpn(self, key: LookupKey, limit: int) -> SearchResult:
        self._enter("search", [key], limit)
        result = self.catalog.search_mpn(key, limit)
        self._count([result])
        return result

    def multi_match(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]:
        self._enter("multi", keys, limit)
        results = self.catalog.multi_match(keys, limit)
        self._count(results)
        return results

    def suggest(self, text: str) -> tuple[str, ...]:
        return self.catalog.suggest(text)

    def similar(self, key: LookupKey) -> tuple[SearchResult, tuple[Part, ...]]:
        self._enter("similar", [key], 1)
        result, parts = self.catalog.similar(key)
        self._count([result, *(SearchResult(p, 1) for p in parts)])
        return result, parts
