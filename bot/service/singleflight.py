"""Single-flight: concurrent requests for the same key share one piece of work."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """`claim` hands each key to exactly one caller (the leader); the others get the
    leader's future. The leader must `resolve` or `fail` every key it claimed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, Future[T]] = {}

    def claim(self, keys: Iterable[str]) -> tuple[list[str], dict[str, Future[T]]]:
        mine: list[str] = []
        theirs: dict[str, Future[T]] = {}
        with self._lock:
            for key in dict.fromkeys(keys):
                if key in self._flights:
                    theirs[key] = self._flights[key]
                else:
                    self._flights[key] = Future()
                    mine.append(key)
        return mine, theirs

    def resolve(self, key: str, value: T) -> None:
        with self._lock:
            future = self._flights.pop(key)
        future.set_result(value)

    def fail(self, key: str, error: BaseException) -> None:
        with self._lock:
            future = self._flights.pop(key, None)
        if future is not None:
            future.set_exception(error)
