"""Redis errors leave the store as `StoreError`, saying what was being done."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import redis

from bot.ports import StoreError

P = ParamSpec("P")
R = TypeVar("R")


def typed(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Redis errors leave as `StoreError` saying what was being done."""

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @wraps(method)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except redis.RedisError as exc:
                raise StoreError(f"redis {what}: {type(exc).__name__}: {exc}"[:200]) from exc

        return call

    return wrap
