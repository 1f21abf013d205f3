"""Persistent stores: each implements every role in `bot.ports` (see `Store`)."""

from __future__ import annotations

from bot.ports import Store


def open_store(db_path: str, redis_url: str | None) -> Store:
    """Redis when `redis_url` is set (several processes), else SQLite. Either is migrated
    to the current layout on opening; raises `StoreError` when it cannot be opened."""
    if redis_url:
        from bot.adapters.stores.redis import RedisStore

        return RedisStore(redis_url)
    from bot.adapters.stores.sqlite import SQLiteStore

    return SQLiteStore(db_path)
