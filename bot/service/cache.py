"""Answer cache: a bounded in-process TTL layer in front of the persistent store.

Shared by every workspace: a Nexar answer does not depend on who asked. The store keeps
each answer for `stale_max_age` when that is longer than the TTL: past the TTL it is no
longer fresh (`get` misses) but can still answer, marked stale, when a lookup cannot be
paid for or Nexar is down (`stale`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache

from bot.domain.models import SearchResult
from bot.ports import AnswerStore, StoreError

log = logging.getLogger(__name__)


class AnswerCache:
    def __init__(
        self,
        store: AnswerStore,
        ttl: int,
        *,
        stale_max_age: int = 0,
        maxsize: int = 2048,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.ttl, self.stale_max_age, self.clock = store, ttl, stale_max_age, clock
        self._local: TTLCache[str, tuple[SearchResult, float]] = TTLCache(maxsize=maxsize, ttl=max(ttl, 1), timer=clock)
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[SearchResult, float] | None:
        """(answer, stored_at) while fresher than the TTL."""
        if self.ttl <= 0:
            return None
        with self._lock:
            hit = self._local.get(key)
        if hit is not None and self.clock() - hit[1] < self.ttl:
            return hit
        entry = self._stored(key)
        if entry is None or self.clock() - entry[1] >= self.ttl:
            return None
        with self._lock:
            self._local[key] = entry
        return entry

    def stale(self, key: str) -> tuple[SearchResult, float] | None:
        """The last stored answer of any age up to `stale_max_age`, fresh or not."""
        if self.stale_max_age <= 0:
            return None
        entry = self._stored(key)
        if entry is None or self.clock() - entry[1] > self.stale_max_age:
            return None
        return entry

    def _stored(self, key: str) -> tuple[SearchResult, float] | None:
        try:
            stored = self.store.cache_get(key)
        except StoreError as exc:
            log.warning("cache read failed (%s); treating it as a miss", exc)
            return None
        except Exception:
            log.exception("cache read failed; treating it as a miss")
            return None
        if stored is None:
            return None
        value, stored_at = stored
        try:
            return SearchResult.from_json(value), stored_at
        except (KeyError, TypeError, ValueError):
            log.warning("unreadable cache entry %s; treating it as a miss", key)
            return None

    def put(self, key: str, result: SearchResult, stored_at: float) -> None:
        keep = max(self.ttl, self.stale_max_age)
        if keep <= 0:
            return
        if self.ttl > 0:
            with self._lock:
                self._local[key] = (result, stored_at)
        try:
            self.store.cache_put(key, result.to_json(), stored_at, keep)
        except Exception:
            log.exception("cache write failed; the answer stays cached in this process only")
