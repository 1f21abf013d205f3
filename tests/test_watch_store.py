"""The watch store role, on SQLite and on a real redis-server: limits, compare-and-set,
the index by part, removal, forgetting a workspace, and surviving a restart."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.adapters.stores.redis import RedisStore
from bot.adapters.stores.redis_schema import SCHEMA_VERSION as REDIS_SCHEMA
from bot.adapters.stores.sqlite import SQLiteStore
from bot.adapters.stores.sqlite_schema import SCHEMA_VERSION as SQLITE_SCHEMA
from bot.domain.watches import Hit, Watch, advance
from bot.ports import Store


def saved(store: Store, workspace: str, watch_id: str, user: str = "U1", mpn: str = "LM358DR") -> Watch:
    w = Watch(watch_id, user, mpn, 100, Decimal("0.20"), channel="C1", created_at=float(len(watch_id)))
    assert store.add_watch(workspace, w.to_json(), 3, 5) is None
    return w


def test_limits_per_user_and_per_workspace(store: Store) -> None:
    for i in range(3):
        saved(store, "T1", f"A{i}", "U1")
    extra = Watch("A9", "U1", "X1", 1, None).to_json()
    assert store.add_watch("T1", extra, 3, 5) == "user"
    saved(store, "T1", "B1", "U2")
    saved(store, "T1", "B2", "U2")
    assert store.add_watch("T1", Watch("C1", "U3", "X1", 1, None).to_json(), 3, 5) == "workspace"
    assert store.add_watch("T2", Watch("C1", "U3", "X1", 1, None).to_json(), 3, 5) is None
    assert len(store.watches("T1")) == 5 and store.watched_workspaces() == ["T1", "T2"]


def test_found_by_part_across_workspaces_and_updated_by_compare_and_set(store: Store) -> None:
    a, b = saved(store, "T1", "A1"), saved(store, "T2", "B1")
    saved(store, "T1", "A2", mpn="NE555DR")
    found = store.watches_of_part(a.part_key)
    assert sorted((ws, w["id"]) for ws, w in found) == [("T1", "A1"), ("T2", "B1")]
    changed = advance(a, Hit("M", 500, None, 100), 10.0)
    assert store.update_watch("T1", {**changed.to_json(), "rev": 1}, 0)
    assert not store.update_watch("T1", {**a.to_json(), "rev": 1}, 0)  # a stale writer loses
    (stored,) = [w for w in store.watches("T1") if w["id"] == "A1"]
    assert Watch.from_json(stored).pending == Hit("M", 500, None, 100) and stored["rev"] == 1
    assert b.part_key == a.part_key


def test_removed_and_forgotten(store: Store) -> None:
    a = saved(store, "T1", "A1")
    saved(store, "T1", "A2")
    assert store.remove_watch("T1", "A1") and not store.remove_watch("T1", "A1")
    assert [w for _, w in store.watches_of_part(a.part_key)] == store.watches("T1")
    assert not store.update_watch("T1", {**a.to_json(), "rev": 1}, 0)
    store.forget_workspace("T1")
    assert store.watches("T1") == [] and store.watches_of_part(a.part_key) == []


def test_watches_survive_a_restart_sqlite(tmp_path: Path) -> None:
    path = str(tmp_path / "w.sqlite3")
    first = SQLiteStore(path)
    w = saved(first, "T1", "A1")
    first.close()
    again = SQLiteStore(path)
    assert [Watch.from_json(x) for x in again.watches("T1")] == [w]
    again.close()


def test_watches_survive_a_restart_redis(redis_url: str) -> None:
    first = RedisStore(redis_url)
    w = saved(first, "T1", "A1")
    first.close()
    again = RedisStore(redis_url)
    assert [Watch.from_json(x) for x in again.watches("T1")] == [w]
    again.close()


def test_a_version_2_sqlite_file_gains_watches_and_keeps_its_data(tmp_path: Path) -> None:
    import sqlite3

    from bot.ports import Bucket

    path = str(tmp_path / "v2.sqlite3")
    old = SQLiteStore(path)
    old.reserve([(Bucket("T1", "month:2026-12", "U1"), 10)], 4, 3600)
    old.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE watches")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    new = SQLiteStore(path)
    assert new.spent(Bucket("T1", "month:2026-12", "U1")) == 4
    saved(new, "T1", "A1")
    assert len(new.watches("T1")) == 1
    new.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA


def test_version_2_redis_data_is_marked_the_current_version(redis_url: str) -> None:
    import redis

    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.set("partbot:schema", "2")
    r.set("partbot:cache:k", '{"value": {}, "stored_at": 1}')
    store = RedisStore(redis_url)
    assert r.get("partbot:schema") == str(REDIS_SCHEMA) and r.exists("partbot:cache:k")
    saved(store, "T1", "A1")
    store.close()
