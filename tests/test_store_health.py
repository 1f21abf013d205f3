"""A sick store fails with a typed error instead of hanging, and `ping` says what is wrong.

Real failures: a SQLite file another process holds write-locked, a SQLite file with
damaged pages, a redis-server stopped with SIGSTOP (it accepts connections but never
answers) and one that is not running at all.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.stores.redis import RedisStore
from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.commands import Lookup
from bot.domain.models import LineItem, Options
from bot.domain.outcomes import Answer, Failed
from bot.ports import Bucket, StoreError
from bot.service.lookup import LookupService
from tests.conftest import RedisProcess
from tests.fakes.source import FakeSource

BUCKET = Bucket("T", "day:1", "U1")


def test_a_write_locked_sqlite_fails_with_a_store_error_and_recovers(tmp_path: Path) -> None:
    path = str(tmp_path / "locked.sqlite3")
    store = SQLiteStore(path)
    assert store.ping() is True
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreError, match="locked"):
        store.reserve([(BUCKET, 10)], 1, 100)
    with pytest.raises(StoreError, match="locked"):
        store.ping()
    assert store.spent(BUCKET) == 0, "reads still work while another process writes"
    blocker.execute("ROLLBACK")
    blocker.close()
    assert store.ping() is True
    assert store.reserve([(BUCKET, 10)], 1, 100) is None
    store.close()


def test_a_damaged_sqlite_file_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite3"
    store = SQLiteStore(str(path))
    for i in range(400):
        store.cache_put(f"key{i}", {"blob": "x" * 200, "i": i}, time.time(), 3600)
    store.close()
    size = path.stat().st_size
    assert size > 8 * 4096
    with path.open("r+b") as f:  # page 1 (header, schema) intact; the data pages are not
        f.seek(2 * 4096)
        f.write(b"\xa5" * (size - 3 * 4096))
    try:
        damaged = SQLiteStore(str(path))
    except StoreError:
        return  # refusing to open it is as good
    with pytest.raises(StoreError, match="sqlite"):
        damaged.ping()
    damaged.close()


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("REDIS BACKEND NOT TESTED: redis-server is not installed")
    server = RedisProcess(binary)
    yield server
    if server.proc is not None:
        os.kill(server.proc.pid, signal.SIGCONT)
    server.stop()


def test_a_stopped_redis_fails_with_a_store_error_and_recovers(own_redis: RedisProcess) -> None:
    store = RedisStore(own_redis.url)
    assert store.ping() is True
    assert own_redis.proc is not None
    os.kill(own_redis.proc.pid, signal.SIGSTOP)
    try:
        with pytest.raises(StoreError, match="Timeout"):
            store.ping()
        with pytest.raises(StoreError, match="quota reserve"):
            store.reserve([(BUCKET, 10)], 1, 100)
    finally:
        os.kill(own_redis.proc.pid, signal.SIGCONT)
    assert store.ping() is True
    assert store.spent(BUCKET) <= 1, "a reserve that timed out was applied at most once"
    store.close()


def test_a_redis_that_is_not_running_fails_with_a_store_error(own_redis: RedisProcess) -> None:
    store = RedisStore(own_redis.url)
    own_redis.stop()
    with pytest.raises(StoreError, match="redis health check"):
        store.ping()
    source = FakeSource()
    svc = LookupService(source, store, cache_ttl=3600, user_daily=25, team_monthly=1000)
    out = svc.lookup("T", "U1", Lookup((LineItem("LM358DR"),), Options()))
    assert isinstance(out, Failed) and "database" in out.message
    assert source.calls == [], "nothing billable is sent while quota cannot be counted"
    own_redis.start()
    assert isinstance(svc.lookup("T", "U1", Lookup((LineItem("LM358DR"),), Options())), Answer)
    store.close()
