"""One contract, two backends: SQLite in a temp dir and a real redis-server."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.recent import RecentLookup
from bot.ports import Bucket, Store


def test_cache_round_trip_and_expiry(store: Store) -> None:
    now = time.time()
    store.cache_put("k", {"a": [1, 2]}, now, 60)
    assert store.cache_get("k") == ({"a": [1, 2]}, pytest.approx(now))
    store.cache_put("old", {"a": 1}, now - 120, 60)
    assert store.cache_get("old") is None
    assert store.cache_get("missing") is None


def test_reserve_checks_every_bucket_atomically(store: Store) -> None:
    day, month = Bucket("T", "day:1", "U1"), Bucket("T", "month:1", "*team*")
    assert store.reserve([(day, 5), (month, 7)], 4, 100) is None
    assert store.reserve([(day, 5), (month, 7)], 2, 100) == 0  # the day would overflow
    assert store.spent(day) == 4 and store.spent(month) == 4
    other = Bucket("T", "day:1", "U2")
    assert store.reserve([(other, 5), (month, 7)], 4, 100) == 1  # the team month would overflow
    assert store.spent(other) == 0 and store.spent(month) == 4
    store.release([day, month], 3)
    assert store.spent(day) == 1 and store.spent(month) == 1
    store.release([day], 10)
    assert store.spent(day) == 0


def test_top_spenders(store: Store) -> None:
    for user, n in (("U1", 3), ("U2", 9), ("U3", 1)):
        store.reserve([(Bucket("T", "day:1", user), 100)], n, 100)
    assert store.top("T", "day:1", 2) == [("U2", 9), ("U1", 3)]
    assert store.top("T", "day:2", 2) == []
    assert store.top("OTHER", "day:1", 2) == []


def test_recent_keeps_the_newest(store: Store) -> None:
    now = time.time()
    for i in range(15):
        store.add_recent("T", "U1", RecentLookup(now, f"P{i}"), keep=10)
    recent = store.recent("T", "U1", 10)
    assert [e.mpn for e in recent] == [f"P{i}" for i in range(14, 4, -1)]
    assert store.recent("T", "U2", 10) == []
    assert store.recent("OTHER", "U1", 10) == []


def test_claim_event_once(store: Store) -> None:
    assert store.claim_event("T", "Ev1", 60) is True
    assert store.claim_event("T", "Ev1", 60) is False
    assert store.claim_event("T", "Ev2", 60) is True


def test_stash(store: Store) -> None:
    store.stash("T", "s1", {"text": "hi", "blocks": []}, 60)
    assert store.unstash("OTHER", "s1") is None, "another workspace cannot take it"
    assert store.unstash("T", "s1") == {"text": "hi", "blocks": []}
    assert store.unstash("T", "s1") is None, "taken once"
    assert store.unstash("T", "nope") is None


def test_fifty_threads_never_overspend(store: Store) -> None:
    bucket = Bucket("T", "day:race", "U1")
    wins: list[bool] = []
    barrier = threading.Barrier(50)

    def race() -> None:
        barrier.wait()
        wins.append(store.reserve([(bucket, 10)], 1, 100) is None)

    threads = [threading.Thread(target=race) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 10
    assert store.spent(bucket) == 10


def _reserve_many(path: str, n: int, out: multiprocessing.Queue[int]) -> None:
    s = SQLiteStore(path)
    out.put(sum(1 for _ in range(n) if s.reserve([(Bucket("T", "day:proc", "U1"), 25)], 1, 100) is None))
    s.close()


def test_sqlite_quota_is_atomic_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite3")
    SQLiteStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[int] = ctx.Queue()
    procs = [ctx.Process(target=_reserve_many, args=(path, 20, out)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert sum(out.get(timeout=5) for _ in procs) == 25
    assert SQLiteStore(path).spent(Bucket("T", "day:proc", "U1")) == 25


def test_sqlite_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "private.sqlite3"
    SQLiteStore(str(path)).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_lease_is_held_once_until_released_or_lapsed(store: Store) -> None:
    token = store.lease("lease:k", 60)
    assert token
    assert store.lease("lease:k", 60) is None
    store.release_lease("lease:k", "not-the-token")
    assert store.lease("lease:k", 60) is None
    store.release_lease("lease:k", token)
    assert store.lease("lease:k", 60)
    assert store.lease("lease:short", 0.05)
    time.sleep(0.1)
    assert store.lease("lease:short", 60), "a lease lapses by itself"


def test_sqlite_writers_in_one_process_take_turns_instead_of_hitting_the_busy_timeout(tmp_path: Path) -> None:
    """With no busy timeout at all, SQLite would answer "database is locked" to a second
    writer at once; writers in one process queue on the store's lock instead."""
    store = SQLiteStore(str(tmp_path / "turns.sqlite3"), busy_timeout=0, lock_wait=30)
    errors: list[BaseException] = []
    start = threading.Barrier(32)

    def write(i: int) -> None:
        start.wait()
        try:
            for j in range(20):
                store.cache_put(f"k{i}-{j}", {"v": j}, time.time(), 60)
                store.add_recent("T", f"U{i}", RecentLookup(time.time(), f"P{j}"), 5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.cache_get("k31-19") is not None
    store.close()


def test_recent_lookups_expire_after_90_days(store: Store) -> None:
    now = time.time()
    store.add_recent("T", "U1", RecentLookup(now - 91 * 86400, "OLD1"), keep=10)
    store.add_recent("T", "U1", RecentLookup(now - 89 * 86400, "KEPT"), keep=10)
    assert [e.mpn for e in store.recent("T", "U1", 10)] == ["KEPT"]


def test_a_bom_entry_round_trips(store: Store) -> None:
    entry = RecentLookup(time.time(), bom="rev-b.csv", lines=200, priced=187, total="$1,234.50")
    store.add_recent("E1/T1", "U1", entry, keep=10)
    assert store.recent("E1/T1", "U1", 10) == [entry]


def test_the_answer_cache_is_shared_and_the_rest_is_per_workspace(store: Store) -> None:
    store.cache_put("v1|LM358", {"a": 1}, time.time(), 60)
    assert store.cache_get("v1|LM358") is not None
    assert store.reserve([(Bucket("E1/T1", "day:1", "U1"), 5)], 5, 100) is None
    assert store.reserve([(Bucket("E1/T2", "day:1", "U1"), 5)], 5, 100) is None, "another workspace of the org"
    assert store.spent(Bucket("T1", "day:1", "U1")) == 0, "a standalone T1 is not the org's T1"
    assert store.claim_event("E1/T1", "Ev9", 60) is True
    assert store.claim_event("E1/T2", "Ev9", 60) is True


def test_forgetting_a_workspace_deletes_its_data_and_nothing_else(store: Store) -> None:
    now = time.time()
    for ws in ("E1/T1", "E1/T2", "E1/T1*"):
        store.reserve([(Bucket(ws, "day:1", "U1"), 10)], 2, 100)
        store.add_recent(ws, "U1", RecentLookup(now, "LM358"), keep=10)
        store.stash(ws, "share:k", {"text": ws}, 60)
        store.claim_event(ws, "Ev1", 60)
    store.cache_put("v1|LM358", {"a": 1}, now, 60)
    store.forget_workspace("E1/T1")
    assert store.spent(Bucket("E1/T1", "day:1", "U1")) == 0
    assert store.recent("E1/T1", "U1", 10) == []
    assert store.unstash("E1/T1", "share:k") is None
    assert store.claim_event("E1/T1", "Ev1", 60) is True
    for kept in ("E1/T2", "E1/T1*"):
        assert store.spent(Bucket(kept, "day:1", "U1")) == 2
        assert len(store.recent(kept, "U1", 10)) == 1
        assert store.unstash(kept, "share:k") == {"text": kept}
    assert store.cache_get("v1|LM358") is not None, "the shared cache stays"
