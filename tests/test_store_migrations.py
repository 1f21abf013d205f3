"""Data written by the first releases (commit 520cdfa's layout) is migrated on start, nothing lost.

The old layout is written here as that release wrote it (its SQL tables and Redis keys),
into a real SQLite file and a real redis-server; the new stores open it and every
quota, recent lookup and cached answer reads back through the service.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from bot.adapters.stores.redis import RedisStore
from bot.adapters.stores.redis_schema import SCHEMA_VERSION as REDIS_SCHEMA_VERSION
from bot.adapters.stores.sqlite import SQLiteStore
from bot.adapters.stores.sqlite_schema import SCHEMA_VERSION
from bot.domain.commands import Lookup
from bot.domain.models import LineItem, LookupKey, Options
from bot.domain.outcomes import Answer
from bot.ports import Bucket, Store, StoreError
from bot.service.lookup import LookupService
from tests.fakes.source import FakeSource

# The tables of 520cdfa's bot/stores/sqlite.py, as it created them.
V1_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS quota (scope TEXT NOT NULL, member TEXT NOT NULL, spent INTEGER NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (scope, member));
CREATE TABLE IF NOT EXISTS recent (id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, entry TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS recent_owner ON recent (owner, id);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS stash (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at REAL NOT NULL);
"""
TTL = 40 * 86400


def _old_data() -> dict[str, object]:
    """What 520cdfa kept for workspace T1 after a few lookups today."""
    now = time.time()
    day, month = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d"), datetime.fromtimestamp(now, UTC).strftime("%Y-%m")
    key = LookupKey("LM358DR")
    answer = FakeSource().catalog.search_mpn(key, 1)
    return {
        "now": now,
        "quota": {
            f"T1:day:{day}": {"U1": 3, "U2": 1},
            f"T1:month:{month}": {"*team*": 9, "U1": 7, "U2": 2},
            f"T2:day:{day}": {"U1": 5},
        },
        "recent": {
            "T1:U1": [
                {"mpn": "LM358DR", "qty": 100, "at": now - 60, "found": "LM358DR", "price": "$0.0936", "seller": "Digi-Key"},
                {"bom": "rev-a.csv", "lines": 12, "priced": 11, "total": "$41.20", "at": now - 30},
                {"mpn": "GONE", "qty": 1, "at": now - 100 * 86400},
            ],
        },
        "cache": {key.cache_key(): (answer.to_json(), now - 60)},
    }


def write_v1_sqlite(path: str) -> dict[str, object]:
    data = _old_data()
    now = float(data["now"])  # type: ignore[arg-type]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(V1_SCHEMA)
    for scope, members in data["quota"].items():  # type: ignore[attr-defined]
        for member, spent in members.items():
            db.execute("INSERT INTO quota VALUES (?, ?, ?, ?)", (scope, member, spent, now + TTL))
    for owner, entries in data["recent"].items():  # type: ignore[attr-defined]
        for entry in sorted(entries, key=lambda e: e["at"]):
            db.execute("INSERT INTO recent (owner, entry) VALUES (?, ?)", (owner, json.dumps(entry)))
    for key, (value, stored_at) in data["cache"].items():  # type: ignore[attr-defined]
        db.execute("INSERT INTO cache VALUES (?, ?, ?, ?)", (key, json.dumps(value), stored_at, stored_at + 21600))
    db.execute("INSERT INTO events VALUES (?, ?)", ("EvOld", now + 86400))
    db.execute("INSERT INTO stash VALUES (?, ?, ?)", ("share:abc", json.dumps({"text": "kept", "blocks": []}), now + 86400))
    db.close()
    return data


def write_v1_redis(url: str) -> dict[str, object]:
    data = _old_data()
    r = redis.Redis.from_url(url, decode_responses=True)
    for scope, members in data["quota"].items():  # type: ignore[attr-defined]
        r.hset(f"partbot:quota:{scope}", mapping=members)
        r.expire(f"partbot:quota:{scope}", TTL)
    for owner, entries in data["recent"].items():  # type: ignore[attr-defined]
        for entry in sorted(entries, key=lambda e: e["at"]):
            r.lpush(f"partbot:recent:{owner}", json.dumps(entry))
        r.expire(f"partbot:recent:{owner}", 90 * 86400)
    for key, (value, stored_at) in data["cache"].items():  # type: ignore[attr-defined]
        r.set(f"partbot:cache:{key}", json.dumps({"value": value, "stored_at": stored_at}), ex=21600)
    r.set("partbot:event:EvOld", "1", ex=86400)
    r.set("partbot:stash:share:abc", json.dumps({"text": "kept", "blocks": []}), ex=86400)
    r.close()
    return data


def assert_everything_reads_back(store: Store) -> None:
    source = FakeSource()
    svc = LookupService(source, store, cache_ttl=21600, user_daily=25, team_monthly=1000)
    t1u1, t1u2, t2u1 = svc.quota("T1", "U1"), svc.quota("T1", "U2"), svc.quota("T2", "U1")
    assert t1u1 is not None and (t1u1.user_spent, t1u1.team_spent) == (3, 9)
    assert t1u2 is not None and t1u2.user_spent == 1
    assert t2u1 is not None and (t2u1.user_spent, t2u1.team_spent) == (5, 0)
    assert svc.top_spenders("T1") == ([("U1", 3), ("U2", 1)], [("U1", 7), ("U2", 2)])
    recent = svc.recent("T1", "U1")
    assert [(e.bom, e.mpn) for e in recent] == [("rev-a.csv", ""), (None, "LM358DR")], "newest first; 90-day-old gone"
    assert recent[0].priced == 11 and recent[0].total == "$41.20"
    assert recent[1].price == "$0.0936" and recent[1].seller == "Digi-Key" and recent[1].qty == 100
    out = svc.lookup("T1", "U1", Lookup((LineItem("LM358DR", 10),), Options()))
    assert isinstance(out, Answer) and out.cost == 0 and source.calls == [], "the cached answer survived"
    assert store.claim_event("T1", "EvOld", 60) is False, "an event handled before the upgrade is not handled again"
    assert store.unstash("T1", "share:abc") == {"text": "kept", "blocks": []}
    # And the ledger keeps counting on top of what was spent before.
    assert isinstance(svc.lookup("T1", "U1", Lookup((LineItem("NE555DR"),), Options())), Answer)
    after = svc.quota("T1", "U1")
    assert after is not None and (after.user_spent, after.team_spent) == (4, 10)


def test_sqlite_data_of_the_first_release_is_migrated(tmp_path: Path) -> None:
    path = str(tmp_path / "old.sqlite3")
    write_v1_sqlite(path)
    store = SQLiteStore(path)
    assert_everything_reads_back(store)
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not tables & {"quota", "recent", "events", "stash"}, "the old tables are gone"
    db.close()
    again = SQLiteStore(path)  # opening a migrated file changes nothing
    assert again.spent(Bucket("T1", f"day:{datetime.now(UTC):%Y-%m-%d}", "U1")) == 4
    again.close()


def test_redis_data_of_the_first_release_is_migrated(redis_url: str) -> None:
    write_v1_redis(redis_url)
    store = RedisStore(redis_url)
    assert_everything_reads_back(store)
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    assert r.get("partbot:schema") == str(REDIS_SCHEMA_VERSION)
    assert list(r.scan_iter(match="partbot:quota:*")) == [] and list(r.scan_iter(match="partbot:recent:*")) == []
    assert 0 < r.ttl(f"partbot:ws:T1:quota:day:{datetime.now(UTC):%Y-%m-%d}") <= TTL, "quota keys keep their expiry"
    r.close()
    store.close()


def _open_sqlite(path: str, start: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue[str]) -> None:
    start.wait(30)
    try:
        SQLiteStore(path).close()
        out.put("ok")
    except Exception as exc:
        out.put(repr(exc))


def test_sqlite_migration_is_safe_with_several_processes_starting_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "old.sqlite3")
    write_v1_sqlite(path)
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_open_sqlite, args=(path, start, out)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert sorted(out.get(timeout=5) for _ in procs) == ["ok"] * 4
    store = SQLiteStore(path)
    assert_everything_reads_back(store)  # counted once, not once per process
    store.close()


def test_redis_migration_is_safe_with_several_processes_starting_at_once(redis_url: str) -> None:
    write_v1_redis(redis_url)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def open_one() -> None:
        start.wait()
        try:
            RedisStore(redis_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    store = RedisStore(redis_url)
    assert_everything_reads_back(store)
    store.close()


def test_a_store_written_by_a_newer_release_is_refused(tmp_path: Path, redis_url: str) -> None:
    path = str(tmp_path / "newer.sqlite3")
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(path)
    redis.Redis.from_url(redis_url).set("partbot:schema", str(REDIS_SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match="newer"):
        RedisStore(redis_url)
